/**
 * The local cache in IndexedDB (through `idb`): projects, each project's tasks and members, and
 * the offline queue. The app reads it first, so it opens and shows data without a network.
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { Member, Project, Task } from "./api";
import type { Op, QueueStore } from "./queue";

interface TodoDb extends DBSchema {
  projects: { key: string; value: Project };
  tasks: { key: string; value: Task; indexes: { by_project: string } };
  members: { key: string; value: { projectId: string; members: Member[] } };
  queue: { key: number; value: Op };
}

export class LocalCache {
  private constructor(private readonly db: IDBPDatabase<TodoDb>) {}

  /** Opens the cache of one user (each user has their own database). */
  static async open(userId: string): Promise<LocalCache> {
    const db = await openDB<TodoDb>(`portfolio-todo-${userId}`, 1, {
      upgrade(db) {
        db.createObjectStore("projects", { keyPath: "id" });
        db.createObjectStore("tasks", { keyPath: "id" }).createIndex(
          "by_project",
          "project_id",
        );
        db.createObjectStore("members", { keyPath: "projectId" });
        db.createObjectStore("queue", { keyPath: "seq" });
      },
    });
    return new LocalCache(db);
  }

  close(): void {
    this.db.close();
  }

  projects(): Promise<Project[]> {
    return this.db.getAll("projects");
  }

  async putProjects(list: Project[]): Promise<void> {
    const tx = this.db.transaction("projects", "readwrite");
    await tx.store.clear();
    await Promise.all(list.map((p) => tx.store.put(p)));
    await tx.done;
  }

  async tasks(projectId: string): Promise<Task[]> {
    return this.db.getAllFromIndex("tasks", "by_project", projectId);
  }

  /** Replaces the cached tasks of a project. */
  async putTasks(projectId: string, list: Task[]): Promise<void> {
    const tx = this.db.transaction("tasks", "readwrite");
    const old = await tx.store.index("by_project").getAllKeys(projectId);
    await Promise.all(old.map((k) => tx.store.delete(k)));
    await Promise.all(list.map((t) => tx.store.put(t)));
    await tx.done;
  }

  async putTask(task: Task): Promise<void> {
    await this.db.put("tasks", task);
  }

  async deleteTask(id: string): Promise<void> {
    await this.db.delete("tasks", id);
  }

  async members(projectId: string): Promise<Member[]> {
    return (await this.db.get("members", projectId))?.members ?? [];
  }

  async putMembers(projectId: string, members: Member[]): Promise<void> {
    await this.db.put("members", { projectId, members });
  }

  /** The offline queue's persistence. */
  queue(): QueueStore {
    return {
      all: () => this.db.getAll("queue"),
      put: async (op) => void (await this.db.put("queue", op)),
      remove: (seq) => this.db.delete("queue", seq),
    };
  }
}
