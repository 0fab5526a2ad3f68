/**
 * The task API client: JSON over `fetch` on the same origin (`/v1`), bearer tokens with a
 * silent refresh (one refresh in flight, the request retried once), ETags for `If-Match`, and
 * RFC 9457 problems turned into {@link ApiError}s. A failed connection is an
 * {@link OfflineError}, so callers can queue the work instead.
 */

export type Status = "todo" | "in_progress" | "done";
export type Priority = "low" | "medium" | "high" | "urgent";
export type Role = "owner" | "contributor" | "viewer";

export interface User {
  id: string;
  email: string;
  display_name?: string | null;
}

export interface Task {
  id: string;
  project_id: string;
  title: string;
  description?: string | null;
  status: Status;
  priority: Priority;
  due_date?: string | null;
  assignee_id?: string | null;
  labels: string[];
  position: number;
  version: number;
  created_at: string;
  updated_at: string;
  completed_at?: string | null;
}

export interface Project {
  id: string;
  name: string;
  description?: string | null;
  owner_id: string;
  role: Role;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface Member {
  user_id: string;
  email: string;
  display_name?: string | null;
  role: Role;
}

export interface WeekCount {
  week: string;
  starts: string;
  completed: number;
}

export interface Analytics {
  project_id: string;
  total: number;
  by_status: Record<string, number>;
  completion_rate: number;
  overdue: number;
  median_cycle_time_hours: number | null;
  completed_today: number;
  completed_per_week: WeekCount[];
}

/** One day of `GET /v1/projects/{id}/kpis` (the lake's `gold/kpis_daily`). */
export interface KpiDay {
  date: string;
  tasks_created: number;
  tasks_completed: number;
  tasks_deleted: number;
  cycle_time_p50_hours: number | null;
  cycle_time_p90_hours: number | null;
  on_time_rate: number | null;
}

export interface Kpis {
  project_id: string;
  from: string;
  to: string;
  table_version: number | null;
  days: KpiDay[];
}

export interface Session {
  user: User;
  access_token: string;
  refresh_token: string;
}

export interface FlagSet {
  environment: string;
  flags: Record<string, boolean>;
}

/** Fields a task is created with. */
export interface NewTask {
  title: string;
  description?: string | null;
  status?: Status;
  priority?: Priority;
  due_date?: string | null;
  assignee_id?: string | null;
  labels?: string[];
  position?: number;
}

export type TaskPatch = Partial<Omit<NewTask, "title">> & { title?: string };

/** A refusal of the API (4xx/5xx), with the problem document's fields. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: {
      pointer?: string;
      field?: string;
      detail?: string;
      message?: string;
    }[] = [],
  ) {
    // The detail, then each field's problem ("/labels/0: at most 50 characters").
    super(
      [
        detail || title || `HTTP ${status}`,
        ...errors.map(
          (e) =>
            `${e.field ?? e.pointer ?? ""}: ${e.message ?? e.detail ?? ""}`,
        ),
      ].join(" "),
    );
  }
}

/** The API could not be reached (offline, server down). */
export class OfflineError extends Error {
  constructor(cause: unknown) {
    super("the server cannot be reached");
    this.cause = cause;
  }
}

export interface SessionStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const SESSION_KEY = "todo.session";

export interface Reply<T> {
  data: T;
  etag: string | null;
}

export class Api {
  private session: Session | null = null;
  private refreshing: Promise<boolean> | null = null;
  private listeners = new Set<(s: Session | null) => void>();

  constructor(
    readonly base = "",
    private readonly storage: SessionStorageLike | null = typeof localStorage ===
    "undefined"
      ? null
      : localStorage,
    private readonly fetcher: typeof fetch = (...a) => fetch(...a),
  ) {
    try {
      const raw = storage?.getItem(SESSION_KEY);
      this.session = raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      this.session = null;
    }
  }

  get current(): Session | null {
    return this.session;
  }

  onSession(f: (s: Session | null) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private setSession(s: Session | null): void {
    this.session = s;
    if (s) this.storage?.setItem(SESSION_KEY, JSON.stringify(s));
    else this.storage?.removeItem(SESSION_KEY);
    for (const f of this.listeners) f(s);
  }

  async register(
    email: string,
    password: string,
    displayName?: string,
  ): Promise<Session> {
    const body: Record<string, string> = { email, password };
    if (displayName) body.display_name = displayName;
    const { data } = await this.send<Session>(
      "POST",
      "/v1/auth/register",
      body,
      { auth: false },
    );
    this.setSession(data);
    return data;
  }

  async login(email: string, password: string): Promise<Session> {
    const { data } = await this.send<Session>(
      "POST",
      "/v1/auth/login",
      { email, password },
      { auth: false },
    );
    this.setSession(data);
    return data;
  }

  async logout(): Promise<void> {
    const s = this.session;
    this.setSession(null);
    if (s) {
      await this.fetcher(`${this.base}/v1/auth/logout`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${s.access_token}`,
        },
        body: JSON.stringify({ refresh_token: s.refresh_token }),
      }).catch(() => undefined);
    }
  }

  /** Rotates the refresh token; `false` (and signed out) when the session is gone. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const s = this.session;
    if (!s) return false;
    let res: Response;
    try {
      res = await this.fetcher(`${this.base}/v1/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: s.refresh_token }),
      });
    } catch (e) {
      throw new OfflineError(e);
    }
    if (!res.ok) {
      // Only a definite refusal ends the session; anything else keeps it for a later try.
      if (res.status === 401 || res.status === 403) this.setSession(null);
      return false;
    }
    this.setSession((await res.json()) as Session);
    return true;
  }

  /** One request; JSON in and out. `ifMatch` is a version number. */
  async send<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { auth?: boolean; ifMatch?: number; idempotencyKey?: string } = {},
  ): Promise<Reply<T>> {
    const auth = opts.auth ?? true;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      if (auth && this.session)
        headers.authorization = `Bearer ${this.session.access_token}`;
      if (opts.ifMatch !== undefined) headers["if-match"] = `"${opts.ifMatch}"`;
      if (opts.idempotencyKey) headers["idempotency-key"] = opts.idempotencyKey;
      let res: Response;
      try {
        res = await this.fetcher(`${this.base}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        throw new OfflineError(e);
      }
      if (res.status === 401 && auth && attempt === 0 && (await this.refresh()))
        continue;
      const etag = res.headers.get("etag");
      if (res.status === 204) return { data: undefined as T, etag };
      const text = await res.text();
      const json: unknown = text ? JSON.parse(text) : undefined;
      if (!res.ok) {
        const p = (json ?? {}) as {
          title?: string;
          detail?: string;
          errors?: ApiError["errors"];
        };
        throw new ApiError(
          res.status,
          p.title ?? "",
          p.detail ?? "",
          p.errors ?? [],
        );
      }
      return { data: json as T, etag };
    }
  }

  async get<T>(path: string): Promise<T> {
    return (await this.send<T>("GET", path)).data;
  }

  /** Every task of a project, following the cursor pages. */
  async allTasks(projectId: string): Promise<Task[]> {
    const out: Task[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page: { items: Task[]; next_cursor: string | null } =
        await this.get(`/v1/projects/${projectId}/tasks?limit=100${q}`);
      out.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }
}
