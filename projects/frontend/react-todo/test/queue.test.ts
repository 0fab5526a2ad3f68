import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import {
  ApiError,
  OfflineError,
  type NewTask,
  type Task,
  type TaskPatch,
} from "../src/api";
import { LocalCache } from "../src/db";
import { OfflineQueue, memoryStore, type TaskServer } from "../src/queue";

let clock = 0;
function task(id: string, patch: Partial<Task> = {}): Task {
  return {
    id,
    project_id: "p1",
    title: id,
    status: "todo",
    priority: "medium",
    labels: [],
    position: 1,
    version: 1,
    created_at: "2026-11-27T00:00:00Z",
    updated_at: "2026-11-27T00:00:00Z",
    ...patch,
  };
}

/** An in-memory task server with versions, If-Match and idempotency keys, like the API. */
class FakeServer implements TaskServer {
  tasks = new Map<string, Task>();
  keys = new Map<string, string>();
  offline = false;
  calls: string[] = [];
  refuse: string | null = null;
  private guard(what: string) {
    this.calls.push(what);
    if (this.offline) throw new OfflineError(new TypeError("Failed to fetch"));
  }
  async create(projectId: string, body: NewTask, key: string) {
    this.guard(`create ${body.title}`);
    if (this.refuse === body.title)
      throw new ApiError(422, "Invalid", "title refused");
    const known = this.keys.get(key);
    if (known) return this.tasks.get(known)!;
    const t = task(`srv-${++clock}`, {
      ...(body as Partial<Task>),
      project_id: projectId,
    });
    this.tasks.set(t.id, t);
    this.keys.set(key, t.id);
    return t;
  }
  async update(id: string, patch: TaskPatch, ifMatch: number) {
    this.guard(`update ${id}`);
    const t = this.tasks.get(id);
    if (!t) throw new ApiError(404, "Not found", "");
    if (t.version !== ifMatch)
      throw new ApiError(412, "Precondition failed", "stale");
    const next = { ...t, ...(patch as Partial<Task>), version: t.version + 1 };
    this.tasks.set(id, next);
    return next;
  }
  async remove(id: string, ifMatch: number) {
    this.guard(`delete ${id}`);
    const t = this.tasks.get(id);
    if (!t) throw new ApiError(404, "Not found", "");
    if (t.version !== ifMatch)
      throw new ApiError(412, "Precondition failed", "stale");
    this.tasks.delete(id);
  }
  async fetch(id: string) {
    return this.tasks.get(id) ?? null;
  }
}

describe("OfflineQueue", () => {
  it("sends queued edits in order once back online", async () => {
    const server = new FakeServer();
    server.tasks.set("a", task("a"));
    const q = new OfflineQueue(memoryStore());
    server.offline = true;
    await q.update(task("a"), { title: "A1" });
    await q.create("p1", { title: "new" }, "local-1");
    const first = await q.flush(server);
    expect(first.offline).toBe(true);
    expect((await q.pending()).length).toBe(2);

    server.offline = false;
    const r = await q.flush(server);
    expect(r.saved.map((s) => s.task.title)).toEqual(["A1", "new"]);
    expect(r.saved[1]!.tempId).toBe("local-1");
    expect(await q.pending()).toEqual([]);
  });

  it("merges edits of one task made offline into one request from the original version", async () => {
    const server = new FakeServer();
    server.tasks.set("a", task("a"));
    const q = new OfflineQueue(memoryStore());
    await q.update(task("a"), { title: "A1" });
    await q.update(task("a", { title: "A1" }), { priority: "high" });
    expect((await q.pending()).length).toBe(1);
    await q.flush(server);
    expect(server.calls).toEqual(["update a"]);
    expect(server.tasks.get("a")).toMatchObject({
      title: "A1",
      priority: "high",
      version: 2,
    });
  });

  it("folds edits of a task created offline into its create, and a delete cancels both", async () => {
    const server = new FakeServer();
    const q = new OfflineQueue(memoryStore());
    await q.create("p1", { title: "draft" }, "local-1");
    await q.update(task("local-1", { title: "draft" }), { title: "final" });
    await q.create("p1", { title: "gone" }, "local-2");
    await q.remove(task("local-2"));
    await q.flush(server);
    expect(server.calls).toEqual(["create final"]);
  });

  it("does not duplicate a create whose answer was lost", async () => {
    const server = new FakeServer();
    const q = new OfflineQueue(memoryStore());
    await q.create("p1", { title: "once" }, "local-9");
    // The server stores it but the answer never arrives.
    await server.create("p1", { title: "once" }, "local-9");
    await q.flush(server);
    expect(
      [...server.tasks.values()].filter((t) => t.title === "once"),
    ).toHaveLength(1);
  });

  it("stops at a conflict (412) and lets the user keep theirs or mine", async () => {
    const server = new FakeServer();
    server.tasks.set("a", task("a"));
    server.tasks.set("b", task("b"));
    const q = new OfflineQueue(memoryStore());
    await q.update(task("a"), { title: "mine" });
    await q.update(task("b"), { title: "mine too" });
    // Someone else changes both meanwhile.
    await server.update("a", { title: "theirs" }, 1);
    await server.update("b", { title: "theirs too" }, 1);
    const r = await q.flush(server);
    expect(
      r.conflicts.map((o) => (o.kind === "update" ? o.conflict?.title : "")),
    ).toEqual(["theirs", "theirs too"]);
    // A blocked edit stays blocked until the user chooses.
    expect((await q.flush(server)).conflicts).toHaveLength(2);
    const [a, b] = await q.pending();
    await q.resolve(a!.seq, "mine");
    await q.resolve(b!.seq, "theirs");
    await q.flush(server);
    expect(server.tasks.get("a")!.title).toBe("mine");
    expect(server.tasks.get("b")!.title).toBe("theirs too");
    expect(await q.pending()).toEqual([]);
  });

  it("does not call it a conflict when the server already has the change (a lost answer)", async () => {
    const server = new FakeServer();
    server.tasks.set("a", task("a"));
    const q = new OfflineQueue(memoryStore());
    await q.update(task("a"), { title: "mine", labels: ["x"] });
    // The request arrives, but its answer does not.
    await server.update("a", { title: "mine", labels: ["x"] }, 1);
    const r = await q.flush(server);
    expect(r.conflicts).toEqual([]);
    expect(r.saved.map((s) => s.task.version)).toEqual([2]);
    expect(await q.pending()).toEqual([]);
    // A different change by someone else still is a conflict.
    await q.update(task("a", { version: 2 }), { title: "again" });
    await server.update("a", { title: "theirs" }, 2);
    expect((await q.flush(server)).conflicts).toHaveLength(1);
  });

  it("rolls back an edit the server refuses for good", async () => {
    const server = new FakeServer();
    server.refuse = "bad";
    const q = new OfflineQueue(memoryStore());
    await q.create("p1", { title: "bad" }, "local-1");
    const r = await q.flush(server);
    expect(r.rejected).toMatchObject([
      { before: null, reason: "title refused" },
    ]);
    expect(await q.pending()).toEqual([]);
  });

  it("an edit queued while a flush runs is sent too", async () => {
    const server = new FakeServer();
    server.tasks.set("a", task("a"));
    const q = new OfflineQueue(memoryStore());
    await q.update(task("a"), { title: "one" });
    const running = q.flush(server);
    // The screen shows the optimistic task: still the version the first edit started from.
    await q.update(task("a", { title: "one" }), { title: "two" });
    await running;
    await q.flush(server);
    expect(server.tasks.get("a")!.title).toBe("two");
    expect(await q.pending()).toEqual([]);
  });

  it("survives a reload: the queue lives in IndexedDB", async () => {
    const cache = await LocalCache.open("user-1");
    const q = new OfflineQueue(cache.queue());
    await q.create("p1", { title: "kept" }, "local-1");
    await q.update(task("x"), { title: "x2" });
    cache.close();

    const again = await LocalCache.open("user-1");
    const q2 = new OfflineQueue(again.queue());
    expect((await q2.pending()).map((o) => o.kind)).toEqual([
      "create",
      "update",
    ]);
    // New operations continue the sequence.
    await q2.remove(task("y"));
    expect((await q2.pending()).map((o) => o.seq)).toEqual([1, 2, 3]);
    again.close();
  });
});

describe("LocalCache", () => {
  it("keeps projects, tasks per project and members", async () => {
    const cache = await LocalCache.open("user-2");
    await cache.putTasks("p1", [task("a"), task("b")]);
    await cache.putTasks("p2", [task("c", { project_id: "p2" })]);
    await cache.putTasks("p1", [task("b", { title: "B" })]);
    expect((await cache.tasks("p1")).map((t) => t.title)).toEqual(["B"]);
    expect((await cache.tasks("p2")).map((t) => t.id)).toEqual(["c"]);
    await cache.putMembers("p1", [
      { user_id: "u", email: "u@example.org", role: "owner" },
    ]);
    expect(await cache.members("p1")).toHaveLength(1);
    expect(await cache.members("p9")).toEqual([]);
    cache.close();
  });
});
