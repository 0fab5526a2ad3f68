/**
 * One open project's state outside React: tasks and members from the local cache first, then
 * the server; edits go through the {@link OfflineQueue} (optimistic, rolled back on refusal);
 * live events from other users merge in by version. The view subscribes with
 * `useSyncExternalStore`.
 */
import {
  ApiError,
  OfflineError,
  type Api,
  type Member,
  type NewTask,
  type Project,
  type Task,
  type TaskPatch,
} from "./api";
import type { LocalCache } from "./db";
import { listen, type LiveEvent } from "./live";
import {
  OfflineQueue,
  TEMP_PREFIX,
  type FlushReport,
  type Op,
  type TaskServer,
} from "./queue";

export interface Notice {
  id: number;
  kind: "error" | "info";
  text: string;
}

export interface ProjectState {
  project: Project | null;
  tasks: Task[];
  members: Member[];
  loading: boolean;
  online: boolean;
  pending: number;
  conflicts: Op[];
  /** Refusals and live changes, for the live region; the view clears them. */
  notices: Notice[];
  /** Ids of tasks just changed by someone else (highlighted briefly). */
  touched: string[];
}

/** Orders tasks as the server does: position, then id. */
export function byPosition(a: Task, b: Task): number {
  return a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The position between two neighbours (drag-and-drop and keyboard moves). */
export function positionBetween(
  before: Task | undefined,
  after: Task | undefined,
): number {
  if (before && after) return (before.position + after.position) / 2;
  if (before) return before.position + 1024;
  if (after) return after.position - 1024;
  return 1024;
}

let noticeId = 0;

export class ProjectModel {
  private state: ProjectState;
  private listeners = new Set<() => void>();
  private stopLive: (() => void) | null = null;
  private readonly server: TaskServer;
  // The browser says the network is gone: stop listening (an open stream may linger on a
  // dead connection) and queue edits; back online: listen again and send the queue.
  /** When each task last changed here (a counter, not a clock): a list loaded before a
   * change must not undo it (see `sync`). */
  private changed = new Map<string, number>();
  /** Task events held back while one of our creates is on its way (it may be that task). */
  private deferred: LiveEvent[] = [];
  private flushes = 0;
  private tick = 0;
  private mark(id: string): void {
    this.changed.set(id, ++this.tick);
  }

  private onOnline = () => {
    this.listen();
    void this.sync();
  };
  private onOffline = () => {
    this.stopLive?.();
    this.stopLive = null;
    this.set({ online: false });
  };

  constructor(
    private readonly api: Api,
    private readonly cache: LocalCache | null,
    private readonly queue: OfflineQueue,
    readonly projectId: string,
    project: Project | null,
  ) {
    this.state = {
      project,
      tasks: [],
      members: [],
      loading: true,
      online: typeof navigator === "undefined" ? true : navigator.onLine,
      pending: 0,
      conflicts: [],
      notices: [],
      touched: [],
    };
    this.server = {
      create: async (pid, body, key) =>
        (
          await api.send<Task>("POST", `/v1/projects/${pid}/tasks`, body, {
            idempotencyKey: key,
          })
        ).data,
      update: async (id, patch, v) =>
        (
          await api.send<Task>("PATCH", `/v1/tasks/${id}`, patch, {
            ifMatch: v,
          })
        ).data,
      remove: async (id, v) =>
        void (await api.send("DELETE", `/v1/tasks/${id}`, undefined, {
          ifMatch: v,
        })),
      fetch: async (id) => {
        try {
          return await api.get<Task>(`/v1/tasks/${id}`);
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) return null;
          throw e;
        }
      },
    };
  }

  subscribe = (f: () => void): (() => void) => {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  };

  snapshot = (): ProjectState => this.state;

  private set(patch: Partial<ProjectState>): void {
    this.state = { ...this.state, ...patch };
    for (const f of this.listeners) f();
  }

  private notice(kind: Notice["kind"], text: string): void {
    this.set({
      notices: [
        ...this.state.notices.slice(-4),
        { id: ++noticeId, kind, text },
      ],
    });
  }

  dismiss(id: number): void {
    this.set({ notices: this.state.notices.filter((n) => n.id !== id) });
  }

  /** Cache first, then the server and the live stream. */
  async start(): Promise<void> {
    if (this.cache) {
      const [tasks, members] = await Promise.all([
        this.cache.tasks(this.projectId),
        this.cache.members(this.projectId),
      ]);
      this.set({ tasks: await this.withPending(tasks), members });
    }
    await this.refreshPending();
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onOnline);
      window.addEventListener("offline", this.onOffline);
    }
    if (this.state.online) this.listen();
    await this.sync();
  }

  private listen(): void {
    this.stopLive?.();
    this.stopLive = listen(
      this.api,
      this.projectId,
      (e) => this.live(e),
      () => void this.sync(),
    );
  }

  stop(): void {
    this.stopLive?.();
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onOnline);
      window.removeEventListener("offline", this.onOffline);
    }
  }

  /** Sends queued edits, then reloads from the server. */
  async sync(): Promise<void> {
    try {
      const report = await this.flush();
      if (report.offline) throw new OfflineError("flush");
      const since = this.tick;
      const [project, fetched, members] = await Promise.all([
        this.api.get<Project>(`/v1/projects/${this.projectId}`),
        this.api.allTasks(this.projectId),
        this.api.get<Member[]>(`/v1/projects/${this.projectId}/members`),
      ]);
      // What changed here while the list was loading (live events, saved edits, creates,
      // deletions) is newer than the list: it stays.
      const fresh = (id: string) => (this.changed.get(id) ?? 0) > since;
      const shown = new Map(this.state.tasks.map((t) => [t.id, t]));
      const listed = new Set(fetched.map((t) => t.id));
      const tasks = fetched
        .filter((t) => !fresh(t.id) || shown.has(t.id))
        .map((t) => {
          const s = shown.get(t.id);
          return s && (s.version > t.version || fresh(t.id)) ? s : t;
        })
        .concat(
          this.state.tasks.filter((t) => !listed.has(t.id) && fresh(t.id)),
        );
      // Only microtasks until the state is set: no event may land in between and be undone.
      this.set({
        project,
        tasks: await this.withPending(tasks),
        members,
        loading: false,
        online: true,
      });
      await this.cache?.putTasks(this.projectId, tasks);
      await this.cache?.putMembers(this.projectId, members);
    } catch (e) {
      if (e instanceof OfflineError)
        this.set({ online: false, loading: false });
      else if (e instanceof ApiError) {
        this.set({ loading: false });
        this.notice("error", e.message);
      } else throw e;
    }
    await this.refreshPending();
  }

  /** Server tasks with the queued (not yet sent) edits laid over them. */
  private async withPending(tasks: Task[]): Promise<Task[]> {
    const map = new Map(tasks.map((t) => [t.id, t]));
    for (const op of await this.queue.pending(this.projectId)) {
      if (op.kind === "create") {
        // A create being sent may already be in the list under its server id.
        const sent =
          op.seq === this.queue.sending &&
          tasks.some(
            (t) => t.title === op.body.title && t.position === op.body.position,
          );
        if (!sent)
          map.set(op.tempId, draft(op.tempId, this.projectId, op.body));
      } else if (op.kind === "update") {
        const t = map.get(op.taskId) ?? op.before;
        map.set(op.taskId, { ...t, ...(op.patch as Partial<Task>) });
      } else map.delete(op.taskId);
    }
    return [...map.values()].sort(byPosition);
  }

  private async refreshPending(): Promise<void> {
    const ops = await this.queue.pending(this.projectId);
    this.set({
      pending: ops.length,
      conflicts: ops.filter((o) => "conflict" in o && o.conflict !== undefined),
    });
  }

  private async apply(r: FlushReport): Promise<void> {
    let tasks = this.state.tasks;
    for (const { task } of r.saved) this.mark(task.id);
    for (const id of r.deleted) this.mark(id);
    for (const { task, tempId } of r.saved) {
      tasks = tasks
        .filter((t) => t.id !== tempId && t.id !== task.id)
        .concat(task);
    }
    const deleted = new Set(r.deleted);
    tasks = tasks.filter((t) => !deleted.has(t.id));
    for (const { op, before, reason } of r.rejected) {
      const id = op.kind === "create" ? op.tempId : op.taskId;
      tasks = tasks.filter((t) => t.id !== id);
      if (before) tasks = tasks.concat(before);
      this.notice("error", reason);
    }
    // Edits queued meanwhile stay on screen over the server's versions. The state is set
    // before anything else is awaited: an edit made next must start from these versions.
    this.set({ tasks: await this.withPending(tasks), online: !r.offline });
    for (const { task } of r.saved) await this.cache?.putTask(task);
    for (const id of r.deleted) await this.cache?.deleteTask(id);
  }

  private live(e: LiveEvent): void {
    if (e.kind === "task") {
      const cur = this.state.tasks.find((t) => t.id === e.task.id);
      if (cur && cur.version >= e.task.version) return;
      void this.cache?.putTask(e.task);
      void this.queue.pending(this.projectId).then((ops) => {
        // A task with a queued edit keeps showing the edit; the flush settles it. And the
        // state may have moved on while the queue was read.
        if (ops.some((o) => o.kind !== "create" && o.taskId === e.task.id))
          return;
        if (
          !this.state.tasks.some((t) => t.id === e.task.id) &&
          (this.flushes > 0 || ops.some((o) => o.kind === "create"))
        ) {
          this.deferred.push(e);
          return;
        }
        const now = this.state.tasks.find((t) => t.id === e.task.id);
        if (now && now.version >= e.task.version) return;
        this.mark(e.task.id);
        const tasks = this.state.tasks
          .filter((t) => t.id !== e.task.id)
          .concat(e.task);
        this.set({
          tasks: tasks.sort(byPosition),
          touched: [...this.state.touched.slice(-9), e.task.id],
        });
      });
    } else if (e.kind === "task-deleted") {
      void this.cache?.deleteTask(e.taskId);
      this.mark(e.taskId);
      this.set({ tasks: this.state.tasks.filter((t) => t.id !== e.taskId) });
    } else {
      void this.sync();
    }
  }

  // ----- edits (optimistic) -----

  async create(body: NewTask): Promise<void> {
    const last = this.state.tasks[this.state.tasks.length - 1];
    const full = {
      ...body,
      position: body.position ?? positionBetween(last, undefined),
    };
    const tempId = `${TEMP_PREFIX}${crypto.randomUUID()}`;
    await this.queue.create(this.projectId, full, tempId);
    this.set({
      tasks: [...this.state.tasks, draft(tempId, this.projectId, full)].sort(
        byPosition,
      ),
    });
    await this.afterEdit();
  }

  /** The task as the model has it now (the view's copy may be a render behind). */
  private current(task: Task): Task {
    return this.state.tasks.find((t) => t.id === task.id) ?? task;
  }

  async update(view: Task, patch: TaskPatch): Promise<void> {
    const task = this.current(view);
    await this.queue.update(task, patch);
    const changed = { ...this.current(task), ...(patch as Partial<Task>) };
    this.set({
      tasks: this.state.tasks
        .map((t) => (t.id === task.id ? changed : t))
        .sort(byPosition),
    });
    await this.afterEdit();
  }

  async remove(view: Task): Promise<void> {
    const task = this.current(view);
    await this.queue.remove(task);
    this.set({ tasks: this.state.tasks.filter((t) => t.id !== task.id) });
    await this.afterEdit();
  }

  /** Moves `task` to index `to` of the full (unfiltered) order. */
  async move(task: Task, to: number): Promise<void> {
    const rest = this.state.tasks.filter((t) => t.id !== task.id);
    const clamped = Math.max(0, Math.min(to, rest.length));
    await this.update(task, {
      position: positionBetween(rest[clamped - 1], rest[clamped]),
    });
  }

  async resolve(op: Op, choice: "mine" | "theirs"): Promise<void> {
    await this.queue.resolve(op.seq, choice);
    if (choice === "theirs" && op.kind !== "create") {
      const server = "conflict" in op ? op.conflict : null;
      const tasks = this.state.tasks.filter((t) => t.id !== op.taskId);
      this.set({
        tasks: (server ? tasks.concat(server) : tasks).sort(byPosition),
      });
    }
    await this.sync();
  }

  private async afterEdit(): Promise<void> {
    await this.refreshPending();
    await this.flush();
    await this.refreshPending();
  }

  /** Sends the queue and applies the report. Until it is applied, events of tasks this view
   * does not know yet are held back: they may be creates of ours, still under a temporary
   * id on screen. */
  private async flush(): Promise<FlushReport> {
    this.flushes++;
    try {
      const report = await this.queue.flush(this.server);
      await this.apply(report);
      return report;
    } finally {
      this.flushes--;
      if (this.flushes === 0)
        for (const e of this.deferred.splice(0)) this.live(e);
    }
  }

  /** Member management (online only; refusals are shown). */
  async invite(email: string, role: Member["role"]): Promise<boolean> {
    return this.memberCall(() =>
      this.api.send("PUT", `/v1/projects/${this.projectId}/members`, {
        email,
        role,
      }),
    );
  }

  async removeMember(userId: string): Promise<boolean> {
    return this.memberCall(() =>
      this.api.send(
        "DELETE",
        `/v1/projects/${this.projectId}/members/${userId}`,
      ),
    );
  }

  private async memberCall(f: () => Promise<unknown>): Promise<boolean> {
    try {
      await f();
      const members = await this.api.get<Member[]>(
        `/v1/projects/${this.projectId}/members`,
      );
      await this.cache?.putMembers(this.projectId, members);
      this.set({ members });
      return true;
    } catch (e) {
      this.notice("error", e instanceof Error ? e.message : String(e));
      return false;
    }
  }
}

/** A task that exists only on this device so far. */
function draft(id: string, projectId: string, body: NewTask): Task {
  const now = new Date().toISOString();
  return {
    id,
    project_id: projectId,
    title: body.title,
    description: body.description ?? null,
    status: body.status ?? "todo",
    priority: body.priority ?? "medium",
    due_date: body.due_date ?? null,
    assignee_id: body.assignee_id ?? null,
    labels: body.labels ?? [],
    position: body.position ?? 0,
    version: 0,
    created_at: now,
    updated_at: now,
    completed_at: null,
  };
}
