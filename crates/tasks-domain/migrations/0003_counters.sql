-- Shared counters of a project (the live counter's hub): the server is the authority, every
-- increment is applied once. `counter_ops` remembers the client's operation ids, so an
-- increment resent after a lost acknowledgement (reconnect, offline queue) is not counted twice.
CREATE TABLE counters (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value       BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE counter_ops (
    op_id       TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL
);
