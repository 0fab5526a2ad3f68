-- The writing transaction's id on PostgreSQL (NULL on SQLite, whose single writer commits in
-- id order): the push-stream feed reads the outbox in commit order and only below the oldest
-- running transaction, so an event committed late is never skipped.
ALTER TABLE outbox ADD COLUMN commit_seq BIGINT;
CREATE INDEX outbox_commit_seq ON outbox (commit_seq, id);
