import {
  Suspense,
  lazy,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type DragEvent,
  type FormEvent,
  type KeyboardEvent,
} from "react";
import "@portfolio/live-counter";
import type {
  Api,
  FlagSet,
  Member,
  Priority,
  Project,
  Role,
  Status,
  Task,
} from "./api";
import type { LocalCache } from "./db";
import { useT, type Messages } from "./i18n";
import { ProjectModel } from "./model";
import { OfflineQueue, isTemp, memoryStore, type Op } from "./queue";

const AnalyticsView = lazy(() => import("./AnalyticsView"));

const STATUSES: Status[] = ["todo", "in_progress", "done"];
const PRIORITIES: Priority[] = ["low", "medium", "high", "urgent"];

declare module "react" {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      "live-counter": React.DetailedHTMLProps<
        React.HTMLAttributes<HTMLElement>,
        HTMLElement
      > & {
        project?: string;
        name?: string;
        label?: string;
        token?: string;
        lang?: string;
        readonly?: boolean;
      };
    }
  }
}

/** Queues are per user; one queue object per cache so all open views share it. */
const queues = new WeakMap<object, OfflineQueue>();
const fallback = {};
function queueFor(cache: LocalCache | null): OfflineQueue {
  const key = cache ?? fallback;
  let q = queues.get(key);
  if (!q) {
    q = new OfflineQueue(cache ? cache.queue() : memoryStore());
    queues.set(key, q);
  }
  return q;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function isOverdue(task: Task, day = today()): boolean {
  return task.status !== "done" && !!task.due_date && task.due_date < day;
}

export function ProjectView(props: {
  api: Api;
  cache: LocalCache | null;
  projectId: string;
  project: Project | null;
  tab: string;
  flags: FlagSet["flags"];
  me: string;
}) {
  const { api, cache, projectId, tab, flags } = props;
  const t = useT();
  const model = useMemo(
    () =>
      new ProjectModel(api, cache, queueFor(cache), projectId, props.project),
    // One model per project view (the view is keyed by project id).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );
  useEffect(() => {
    void model.start();
    return () => model.stop();
  }, [model]);
  const s = useSyncExternalStore(model.subscribe, model.snapshot);
  const project = s.project ?? props.project;
  const role: Role = project?.role ?? "viewer";
  const canEdit = role !== "viewer";
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), [tab]);

  const tabs: [string, string][] = [
    ["tasks", t.tasks],
    ["members", t.members],
    ["analytics", t.analytics],
  ];
  return (
    <section aria-labelledby="project-h" className="project">
      <p>
        <a href="#/">← {t.projects}</a>
      </p>
      <h2 id="project-h" ref={headingRef} tabIndex={-1}>
        {project?.name ?? t.loading}
      </h2>
      <div className="counters">
        <live-counter
          project={projectId}
          name="kudos"
          label={t.kudos}
          token={api.current?.access_token}
          lang={document.documentElement.lang}
          readonly={canEdit ? undefined : true}
        />
        <live-counter
          project={projectId}
          name="tasks-completed-today"
          label={t.completedToday}
          token={api.current?.access_token}
          lang={document.documentElement.lang}
        />
      </div>
      <SyncStatus s={s} t={t} />
      {!canEdit && <p className="banner">{t.readOnly}</p>}
      {s.conflicts.map((op) => (
        <Conflict
          key={op.seq}
          op={op}
          onChoose={(c) => void model.resolve(op, c)}
        />
      ))}
      <nav aria-label={t.tasks} className="tabs">
        {tabs.map(([id, label]) => (
          <a
            key={id}
            href={`#/projects/${projectId}/${id}`}
            aria-current={tab === id ? "page" : undefined}
          >
            {label}
          </a>
        ))}
      </nav>
      {tab === "members" ? (
        <Members model={model} members={s.members} role={role} me={props.me} />
      ) : tab === "analytics" ? (
        <Suspense fallback={<p>{t.loading}</p>}>
          <AnalyticsView
            api={api}
            projectId={projectId}
            flags={flags}
            version={s.tasks}
          />
        </Suspense>
      ) : (
        <Tasks
          model={model}
          tasks={s.tasks}
          members={s.members}
          canEdit={canEdit}
          touched={s.touched}
        />
      )}
    </section>
  );
}

function SyncStatus({
  s,
  t,
}: {
  s: ReturnType<ProjectModel["snapshot"]>;
  t: Messages;
}) {
  return (
    <div className="status">
      {!s.online && <p className="banner">{t.offline}</p>}
      <p role="status" className="sync" data-pending={s.pending}>
        {s.pending > 0
          ? t.pending(s.pending)
          : s.loading
            ? t.loading
            : t.synced}
      </p>
      <ul className="notices" aria-live="assertive">
        {s.notices
          .filter((n) => n.kind === "error")
          .map((n) => (
            <li key={n.id} className="error">
              {t.refused(n.text)}
            </li>
          ))}
      </ul>
    </div>
  );
}

function Conflict({
  op,
  onChoose,
}: {
  op: Op;
  onChoose: (c: "mine" | "theirs") => void;
}) {
  const t = useT();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  if (op.kind === "create") return null;
  const title = op.before.title;
  const gone = op.conflict === null;
  return (
    <div
      className="conflict"
      role="alertdialog"
      aria-labelledby={`c${op.seq}-h`}
      aria-describedby={`c${op.seq}-b`}
      tabIndex={-1}
      ref={ref}
    >
      <h3 id={`c${op.seq}-h`}>{t.conflictTitle}</h3>
      <p id={`c${op.seq}-b`}>
        {gone ? t.conflictGone(title) : t.conflictBody(title)}
      </p>
      <button type="button" onClick={() => onChoose("mine")}>
        {t.keepMine}
      </button>{" "}
      <button type="button" onClick={() => onChoose("theirs")}>
        {t.useTheirs}
      </button>
    </div>
  );
}

function Tasks({
  model,
  tasks,
  members,
  canEdit,
  touched,
}: {
  model: ProjectModel;
  tasks: Task[];
  members: Member[];
  canEdit: boolean;
  touched: string[];
}) {
  const t = useT();
  const [status, setStatus] = useState<"" | Status>("");
  const [q, setQ] = useState("");
  const [label, setLabel] = useState("");
  const [overdueOnly, setOverdueOnly] = useState(false);
  const [announce, setAnnounce] = useState("");
  const dragged = useRef<string | null>(null);
  const day = today();
  const shown = tasks.filter(
    (x) =>
      (!status || x.status === status) &&
      (!q ||
        `${x.title} ${x.description ?? ""}`
          .toLowerCase()
          .includes(q.toLowerCase())) &&
      (!label || x.labels.includes(label)) &&
      (!overdueOnly || isOverdue(x, day)),
  );
  const allLabels = [...new Set(tasks.flatMap((x) => x.labels))].sort();

  const add = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const title = String(f.get("title") ?? "").trim();
    if (!title) return;
    form.reset();
    await model.create({
      title,
      priority: (String(f.get("priority")) as Priority) || "medium",
      due_date: String(f.get("due") ?? "") || null,
    });
  };

  const moveBy = async (task: Task, delta: number) => {
    const visibleIndex = shown.findIndex((x) => x.id === task.id);
    const target = shown[visibleIndex + delta];
    if (!target) return;
    const to = tasks.findIndex((x) => x.id === target.id);
    await model.move(task, to);
    setAnnounce(t.moved(task.title, visibleIndex + delta + 1, shown.length));
    // Keep the focus on the moved task's handle.
    requestAnimationFrame(() =>
      document
        .querySelector<HTMLElement>(`[data-handle="${task.id}"]`)
        ?.focus(),
    );
  };

  const onDrop = async (e: DragEvent<HTMLLIElement>, target: Task) => {
    e.preventDefault();
    const id = dragged.current ?? e.dataTransfer.getData("text/plain");
    dragged.current = null;
    const task = tasks.find((x) => x.id === id);
    if (!task || task.id === target.id) return;
    // Dropped on a task below: it goes after that one; above: before it. In both cases that
    // is the target's index in the full order (counted before the dragged task is taken out).
    await model.move(task, tasks.indexOf(target));
    setAnnounce(
      t.moved(
        task.title,
        shown.findIndex((x) => x.id === target.id) + 1,
        shown.length,
      ),
    );
  };

  return (
    <section aria-labelledby="tasks-h">
      <h3 id="tasks-h">{t.tasks}</h3>
      {canEdit && (
        <form className="inline new-task" onSubmit={(e) => void add(e)}>
          <label>
            {t.newTask}
            <input name="title" required maxLength={200} />
          </label>
          <label>
            {t.priority}
            <select name="priority" defaultValue="medium">
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {t[p]}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.due}
            <input name="due" type="date" />
          </label>
          <button type="submit">{t.add}</button>
        </form>
      )}
      <div className="filters" role="search">
        <label>
          {t.search}
          <input
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </label>
        <label>
          {t.status}
          <select
            value={status}
            onChange={(e) => setStatus(e.target.value as Status | "")}
          >
            <option value="">{t.all}</option>
            {STATUSES.map((x) => (
              <option key={x} value={x}>
                {t[x]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.labels}
          <select value={label} onChange={(e) => setLabel(e.target.value)}>
            <option value="">{t.all}</option>
            {allLabels.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={overdueOnly}
            onChange={(e) => setOverdueOnly(e.target.checked)}
          />
          {t.overdueOnly}
        </label>
      </div>
      <p className="sr-only" aria-live="polite">
        {announce}
      </p>
      {shown.length === 0 ? (
        <p>{t.noTasks}</p>
      ) : (
        <ol className="tasks" aria-label={t.tasks}>
          {shown.map((task) => (
            <li
              key={task.id}
              data-task={task.id}
              data-title={task.title}
              className={[
                "task",
                isOverdue(task, day) ? "overdue" : "",
                task.status === "done" ? "done" : "",
                touched.includes(task.id) ? "touched" : "",
                isTemp(task.id) ? "unsynced" : "",
              ].join(" ")}
              onDragOver={(e) => canEdit && e.preventDefault()}
              onDrop={(e) => void onDrop(e, task)}
            >
              <TaskRow
                task={task}
                members={members}
                canEdit={canEdit}
                overdue={isOverdue(task, day)}
                onChange={(patch) => void model.update(task, patch)}
                onDelete={() => void model.remove(task)}
                onMoveKey={(delta) => void moveBy(task, delta)}
                onDragStart={(e) => {
                  dragged.current = task.id;
                  e.dataTransfer.setData("text/plain", task.id);
                  e.dataTransfer.effectAllowed = "move";
                }}
              />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function TaskRow({
  task,
  members,
  canEdit,
  overdue,
  onChange,
  onDelete,
  onMoveKey,
  onDragStart,
}: {
  task: Task;
  members: Member[];
  canEdit: boolean;
  overdue: boolean;
  onChange: (patch: Partial<Task>) => void;
  onDelete: () => void;
  onMoveKey: (delta: number) => void;
  onDragStart: (e: DragEvent<HTMLElement>) => void;
}) {
  const t = useT();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(task.title);
  const editRef = useRef<HTMLInputElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  // Leaving the editor puts the focus back on its button (keyboard users stay in the row).
  // Enter saves and unmounts the input, whose blur would save a second time: once only.
  const open = useRef(false);
  const close = () => {
    open.current = false;
    setEditing(false);
    requestAnimationFrame(() => editButton.current?.focus());
  };
  useEffect(() => {
    if (editing) editRef.current?.select();
  }, [editing]);
  const id = `t-${task.id}`;
  const save = () => {
    if (!open.current) return;
    const title = draft.trim();
    close();
    if (title && title !== task.title) onChange({ title });
  };
  const onHandleKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (e.key === "ArrowUp" || e.key === "ArrowDown") {
      e.preventDefault();
      onMoveKey(e.key === "ArrowUp" ? -1 : 1);
    }
  };
  const disabled = !canEdit;
  return (
    <div className="row" role="group" aria-labelledby={`${id}-title`}>
      {canEdit && (
        <button
          type="button"
          className="handle"
          draggable
          data-handle={task.id}
          aria-label={t.moveHandle(task.title)}
          onDragStart={onDragStart}
          onKeyDown={onHandleKey}
        >
          ⠿
        </button>
      )}
      {editing ? (
        <input
          ref={editRef}
          autoFocus
          className="title-edit"
          aria-label={t.title}
          value={draft}
          maxLength={200}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={save}
          onKeyDown={(e) => {
            if (e.key === "Enter") save();
            if (e.key === "Escape") {
              setDraft(task.title);
              close();
            }
          }}
        />
      ) : (
        <span id={`${id}-title`} className="title">
          {task.title}
          {overdue && <span className="badge">{t.overdue}</span>}
        </span>
      )}
      {canEdit && !editing && (
        <button
          ref={editButton}
          type="button"
          onClick={() => {
            setDraft(task.title);
            open.current = true;
            setEditing(true);
          }}
          aria-label={`${t.edit}: ${task.title}`}
        >
          {t.edit}
        </button>
      )}
      <Choice
        value={task.status}
        options={STATUSES.map((x) => [x, t[x]])}
        label={`${t.status}: ${task.title}`}
        disabled={disabled}
        onChange={(status) => onChange({ status })}
      />
      <Choice
        value={task.priority}
        options={PRIORITIES.map((x) => [x, t[x]])}
        label={`${t.priority}: ${task.title}`}
        disabled={disabled}
        onChange={(priority) => onChange({ priority })}
      />
      <input
        type="date"
        value={task.due_date ?? ""}
        disabled={disabled}
        aria-label={`${t.due}: ${task.title}`}
        onChange={(e) => onChange({ due_date: e.target.value || null })}
      />
      <Choice
        value={task.assignee_id ?? ""}
        options={[
          ["", t.nobody],
          ...members.map((m): [string, string] => [
            m.user_id,
            m.display_name || m.email,
          ]),
        ]}
        label={`${t.assignee}: ${task.title}`}
        disabled={disabled}
        onChange={(id) => onChange({ assignee_id: id || null })}
      />
      <LabelsInput
        labels={task.labels}
        disabled={disabled}
        label={`${t.labels}: ${task.title}`}
        hint={t.labelsHint}
        onSave={(labels) => onChange({ labels })}
      />
      {canEdit && (
        <button
          type="button"
          className="danger"
          onClick={onDelete}
          aria-label={`${t.delete}: ${task.title}`}
        >
          {t.delete}
        </button>
      )}
    </div>
  );
}

/** A labelled select over `[value, text]` options. */
function Choice<T extends string>(props: {
  value: T;
  options: [T, string][];
  label: string;
  disabled?: boolean;
  onChange: (value: T) => void;
}) {
  return (
    <select
      value={props.value}
      disabled={props.disabled}
      aria-label={props.label}
      onChange={(e) => props.onChange(e.target.value as T)}
    >
      {props.options.map(([v, text]) => (
        <option key={v} value={v}>
          {text}
        </option>
      ))}
    </select>
  );
}

function LabelsInput(props: {
  labels: string[];
  disabled: boolean;
  label: string;
  hint: string;
  onSave: (labels: string[]) => void;
}) {
  const joined = props.labels.join(", ");
  // While the user types, their text; otherwise the task's labels (which live updates change).
  const [draft, setDraft] = useState<string | null>(null);
  const save = () => {
    if (draft === null) return;
    const labels = [
      ...new Set(
        draft
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ];
    setDraft(null);
    if (labels.join(", ") !== joined) props.onSave(labels);
  };
  return (
    <input
      className="labels"
      value={draft ?? joined}
      disabled={props.disabled}
      aria-label={`${props.label} (${props.hint})`}
      placeholder={props.hint}
      onFocus={() => setDraft(joined)}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={save}
      onKeyDown={(e) => e.key === "Enter" && save()}
    />
  );
}

function Members({
  model,
  members,
  role,
  me,
}: {
  model: ProjectModel;
  members: Member[];
  role: Role;
  me: string;
}) {
  const t = useT();
  const owner = role === "owner";
  const invite = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    if (
      await model.invite(String(f.get("email")), String(f.get("role")) as Role)
    )
      form.reset();
  };
  return (
    <section aria-labelledby="members-h">
      <h3 id="members-h">{t.members}</h3>
      <table className="members">
        <thead>
          <tr>
            <th scope="col">{t.email}</th>
            <th scope="col">{t.role}</th>
            {owner && (
              <th scope="col">
                <span className="sr-only">{t.remove}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.user_id}>
              <td>
                {m.display_name ? `${m.display_name} <${m.email}>` : m.email}
              </td>
              <td>
                {owner && m.user_id !== me && m.role !== "owner" ? (
                  <select
                    value={m.role}
                    aria-label={`${t.role}: ${m.email}`}
                    onChange={(e) =>
                      void model.invite(m.email, e.target.value as Role)
                    }
                  >
                    <option value="contributor">{t.contributor}</option>
                    <option value="viewer">{t.viewer}</option>
                  </select>
                ) : (
                  t[m.role]
                )}
              </td>
              {owner && (
                <td>
                  {m.role !== "owner" && (
                    <button
                      type="button"
                      className="danger"
                      aria-label={`${t.remove}: ${m.email}`}
                      onClick={() => void model.removeMember(m.user_id)}
                    >
                      {t.remove}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {owner && (
        <form className="inline" onSubmit={(e) => void invite(e)}>
          <label>
            {t.inviteEmail}
            <input name="email" type="email" required />
          </label>
          <label>
            {t.role}
            <select name="role" defaultValue="contributor" aria-label={t.role}>
              <option value="contributor">{t.contributor}</option>
              <option value="viewer">{t.viewer}</option>
            </select>
          </label>
          <button type="submit">{t.invite}</button>
        </form>
      )}
    </section>
  );
}
