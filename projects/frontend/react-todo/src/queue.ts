/**
 * The offline queue: every task edit is queued first, applied to the screen at once
 * (optimistic), and sent in order when the server can be reached. Edits to one task made while
 * offline are merged into one operation, so each carries the version the user started from;
 * the server answers 412 when someone else changed the task meanwhile, and the edit waits as a
 * {@link Conflict} until the user chooses "keep mine" or "use theirs". An edit the server
 * refuses for another reason (403, 422) is dropped and rolled back, with the reason shown.
 *
 * Creates carry their temporary id as the `Idempotency-Key`, so a create whose answer was lost
 * is not duplicated when it is sent again.
 */
import {
  ApiError,
  OfflineError,
  type NewTask,
  type Task,
  type TaskPatch,
} from "./api";

export type Op =
  | {
      seq: number;
      kind: "create";
      projectId: string;
      tempId: string;
      body: NewTask;
    }
  | {
      seq: number;
      kind: "update";
      projectId: string;
      taskId: string;
      baseVersion: number;
      patch: TaskPatch;
      /** The task before the first queued change: what a rollback restores. */
      before: Task;
      conflict?: Task | null;
    }
  | {
      seq: number;
      kind: "delete";
      projectId: string;
      taskId: string;
      baseVersion: number;
      before: Task;
      conflict?: Task | null;
    };

/** Persistence of the queue (IndexedDB in the app, a Map in tests). */
export interface QueueStore {
  all(): Promise<Op[]>;
  put(op: Op): Promise<void>;
  remove(seq: number): Promise<void>;
}

/** What the server side of a flush needs (the {@link Api} in the app). */
export interface TaskServer {
  create(
    projectId: string,
    body: NewTask,
    idempotencyKey: string,
  ): Promise<Task>;
  update(taskId: string, patch: TaskPatch, ifMatch: number): Promise<Task>;
  remove(taskId: string, ifMatch: number): Promise<void>;
  fetch(taskId: string): Promise<Task | null>;
}

/** What a flush did, for the view to apply. */
export interface FlushReport {
  /** Tasks as the server now has them (creates carry the temporary id they replace). */
  saved: { task: Task; tempId?: string }[];
  deleted: string[];
  /** Edits the server refused: roll back to `before` (null: remove the created task). */
  rejected: { op: Op; before: Task | null; reason: string }[];
  /** Edits waiting for the user's choice. */
  conflicts: Op[];
  /** The server could not be reached; the rest waits. */
  offline: boolean;
}

export const TEMP_PREFIX = "local-";

export function isTemp(id: string): boolean {
  return id.startsWith(TEMP_PREFIX);
}

export class OfflineQueue {
  private ops: Op[] = [];
  private seq = 0;
  private loaded: Promise<void>;
  private flushing: Promise<FlushReport> | null = null;
  private next: Promise<FlushReport> | null = null;
  /** The operation being sent now: later edits must not merge into it. */
  private inflight: number | null = null;
  /** Versions the server gave our own writes: an edit made before the screen caught up with
   * one of them starts from it, not from the older version on screen. */
  private written = new Map<string, number>();

  /** The sequence number of the operation being sent, if any. */
  get sending(): number | null {
    return this.inflight;
  }

  /** The waiting (not in-flight) create or update of task `id`: later edits merge into it. */
  private waiting<K extends "create" | "update">(
    kind: K,
    id: string,
  ): Extract<Op, { kind: K }> | undefined {
    return this.ops.find(
      (o): o is Extract<Op, { kind: K }> =>
        o.kind === kind &&
        (o.kind === "create" ? o.tempId : o.taskId) === id &&
        o.seq !== this.inflight,
    );
  }

  private base(task: Task): number {
    return Math.max(task.version, this.written.get(task.id) ?? 0);
  }

  constructor(private readonly store: QueueStore) {
    this.loaded = store.all().then((ops) => {
      this.ops = ops.sort((a, b) => a.seq - b.seq);
      this.seq = this.ops.reduce((m, o) => Math.max(m, o.seq), 0);
    });
  }

  async pending(projectId?: string): Promise<Op[]> {
    await this.loaded;
    return this.ops.filter((o) => !projectId || o.projectId === projectId);
  }

  /** Queues a new task; returns its temporary id. */
  async create(
    projectId: string,
    body: NewTask,
    tempId: string,
  ): Promise<void> {
    await this.loaded;
    await this.add({
      seq: ++this.seq,
      kind: "create",
      projectId,
      tempId,
      body,
    });
  }

  /** Queues a change of `task` (as the screen shows it now). */
  async update(task: Task, patch: TaskPatch): Promise<void> {
    await this.loaded;
    const id = task.id;
    const create = this.waiting("create", id);
    if (create) {
      create.body = { ...create.body, ...patch };
      await this.store.put(create);
      return;
    }
    const queued = this.waiting("update", id);
    if (queued) {
      queued.patch = { ...queued.patch, ...patch };
      await this.store.put(queued);
      return;
    }
    await this.add({
      seq: ++this.seq,
      kind: "update",
      projectId: task.project_id,
      taskId: id,
      baseVersion: this.base(task),
      patch,
      before: task,
    });
  }

  async remove(task: Task): Promise<void> {
    await this.loaded;
    const id = task.id;
    const create = this.waiting("create", id);
    if (create) {
      // Never reached the server: forget it.
      await this.drop(create);
      return;
    }
    const queued = this.waiting("update", id);
    const before = queued ? queued.before : task;
    if (queued) await this.drop(queued);
    await this.add({
      seq: ++this.seq,
      kind: "delete",
      projectId: task.project_id,
      taskId: id,
      baseVersion: queued ? before.version : this.base(task),
      before,
    });
  }

  /**
   * Settles a conflict: `mine` sends the edit again over the server's current version,
   * `theirs` drops it (the caller shows the server's task).
   */
  async resolve(seq: number, choice: "mine" | "theirs"): Promise<void> {
    await this.loaded;
    const op = this.ops.find((o) => o.seq === seq);
    if (!op || op.kind === "create") return;
    if (choice === "theirs" || (op.kind === "delete" && op.conflict === null)) {
      await this.drop(op);
      return;
    }
    if (op.conflict) op.baseVersion = op.conflict.version;
    else if (op.conflict === null && op.kind === "update") {
      // The task was deleted meanwhile: keeping mine re-creates it.
      await this.drop(op);
      const {
        id: _id,
        version: _v,
        created_at: _c,
        updated_at: _u,
        completed_at: _d,
        ...rest
      } = {
        ...op.before,
        ...op.patch,
      } as Task;
      await this.create(
        op.projectId,
        rest as NewTask,
        `${TEMP_PREFIX}${crypto.randomUUID()}`,
      );
      return;
    }
    delete op.conflict;
    await this.store.put(op);
  }

  /**
   * Sends what is queued, in order, until done, offline or blocked by conflicts. A call while
   * a flush runs gets the flush after it (which sends what was queued meanwhile).
   */
  flush(server: TaskServer): Promise<FlushReport> {
    if (this.flushing) {
      this.next ??= this.flushing.then(() => {
        this.next = null;
        return this.flush(server);
      });
      return this.next;
    }
    this.flushing = this.run(server).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async run(server: TaskServer): Promise<FlushReport> {
    await this.loaded;
    const report: FlushReport = {
      saved: [],
      deleted: [],
      rejected: [],
      conflicts: [],
      offline: false,
    };
    // Operations queued while this runs are sent too (each is tried once per run).
    const tried = new Set<number>();
    for (;;) {
      const op = this.ops.find((o) => !tried.has(o.seq));
      if (!op) break;
      tried.add(op.seq);
      if ("conflict" in op && op.conflict !== undefined) {
        report.conflicts.push(op);
        continue;
      }
      this.inflight = op.seq;
      try {
        if (op.kind === "create") {
          const task = await server.create(op.projectId, op.body, op.tempId);
          report.saved.push({ task, tempId: op.tempId });
          this.written.set(task.id, task.version);
          // Later operations named the temporary id.
          for (const o of this.ops) {
            if (o.kind !== "create" && o.taskId === op.tempId) {
              o.taskId = task.id;
              o.baseVersion = task.version;
              await this.store.put(o);
            }
          }
        } else if (op.kind === "update") {
          const task = await server.update(op.taskId, op.patch, op.baseVersion);
          report.saved.push({ task });
          this.written.set(task.id, task.version);
          // Edits queued while this one was on its way started from it: rebase them.
          for (const o of this.ops) {
            if (
              o.seq !== op.seq &&
              o.kind !== "create" &&
              o.taskId === op.taskId &&
              o.baseVersion === op.baseVersion
            ) {
              o.baseVersion = task.version;
              await this.store.put(o);
            }
          }
        } else {
          await server.remove(op.taskId, op.baseVersion);
          report.deleted.push(op.taskId);
        }
        await this.drop(op);
        this.inflight = null;
      } catch (e) {
        this.inflight = null;
        if (e instanceof OfflineError) {
          report.offline = true;
          break;
        }
        if (e instanceof ApiError && e.status === 412 && op.kind !== "create") {
          const current = await server.fetch(op.taskId).catch(() => null);
          if (op.kind === "update" && current && applied(op.patch, current)) {
            // The server already has exactly this change: an earlier send whose answer was
            // lost. Not a conflict.
            report.saved.push({ task: current });
            this.written.set(current.id, current.version);
            await this.drop(op);
            continue;
          }
          op.conflict = current;
          await this.store.put(op);
          report.conflicts.push(op);
          continue;
        }
        if (e instanceof ApiError && e.status === 404 && op.kind === "delete") {
          // Already gone: what the user wanted.
          report.deleted.push(op.taskId);
          await this.drop(op);
          continue;
        }
        if (e instanceof ApiError && e.status === 404 && op.kind === "update") {
          op.conflict = null;
          await this.store.put(op);
          report.conflicts.push(op);
          continue;
        }
        const reason = e instanceof Error ? e.message : String(e);
        report.rejected.push({
          op,
          before: op.kind === "create" ? null : op.before,
          reason,
        });
        await this.drop(op);
      }
    }
    return report;
  }

  private async add(op: Op): Promise<void> {
    this.ops.push(op);
    await this.store.put(op);
  }

  private async drop(op: Op): Promise<void> {
    this.ops = this.ops.filter((o) => o.seq !== op.seq);
    await this.store.remove(op.seq);
  }
}

/** Whether `task` already carries every field of `patch`. */
function applied(patch: TaskPatch, task: Task): boolean {
  return Object.entries(patch).every(
    ([k, v]) =>
      JSON.stringify(task[k as keyof Task] ?? null) ===
      JSON.stringify(v ?? null),
  );
}

/** A queue store in memory (tests; and the app when IndexedDB is unavailable). */
export function memoryStore(): QueueStore {
  const m = new Map<number, Op>();
  return {
    all: async () => [...m.values()].map((o) => structuredClone(o)),
    put: async (op) => void m.set(op.seq, structuredClone(op)),
    remove: async (seq) => void m.delete(seq),
  };
}
