/**
 * The counter's sync logic, free of the DOM: one WebSocket to the task API's hub, an
 * optimistic value, a queue of increments not yet acknowledged (kept in storage, so clicks
 * made offline survive a reload), resends on reconnect (the server applies an operation id
 * once), and reconnects with exponential backoff.
 */

/** Messages of the hub (see the task API's `src/hub.rs`). */
export type ServerMessage =
  | { type: "value"; value: number }
  | { type: "ack"; op: string; value: number }
  | { type: "error"; op?: string; code: string; message: string };

/** One increment waiting for its acknowledgement. */
export interface PendingOp {
  op: string;
  by: number;
}

export type ConnectionState = "connecting" | "online" | "offline";

/** What the view shows. */
export interface Snapshot {
  /** Server value plus the increments not yet acknowledged. */
  value: number | null;
  /** Last value the server confirmed. */
  confirmed: number | null;
  pending: number;
  state: ConnectionState;
  /** Last refusal of the server (e.g. a viewer's click), until the next success. */
  error: { code: string; message: string } | null;
}

/** The part of `WebSocket` the sync uses (tests pass a fake). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

/** Where pending increments are kept between page loads. */
export interface QueueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SyncOptions {
  /** `ws://…/v1/projects/{id}/counters/{name}/live?access_token=…` */
  url: () => string;
  /** Storage key of the offline queue; no key: the queue lives in memory only. */
  storageKey?: string;
  storage?: QueueStorage;
  connect?: (url: string) => SocketLike;
  /** First reconnect delay in ms (doubles up to `maxBackoffMs`, with jitter). */
  backoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  newOpId?: () => string;
  onChange?: (s: Snapshot) => void;
}

const OPEN = 1;

/** The delay before reconnect attempt `attempt` (0-based): doubling, capped, ±20% jitter. */
export function backoffDelay(
  attempt: number,
  base: number,
  max: number,
  random: () => number = Math.random,
): number {
  const raw = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

export class CounterSync {
  private socket: SocketLike | null = null;
  private confirmed: number | null = null;
  private pending: PendingOp[];
  private state: ConnectionState = "offline";
  private error: Snapshot["error"] = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = true;
  private readonly o: Required<
    Omit<SyncOptions, "storageKey" | "storage" | "onChange">
  > &
    Pick<SyncOptions, "storageKey" | "storage" | "onChange">;

  constructor(options: SyncOptions) {
    this.o = {
      connect: (url) => new WebSocket(url) as unknown as SocketLike,
      backoffMs: 500,
      maxBackoffMs: 30_000,
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      newOpId: () => crypto.randomUUID(),
      ...options,
    };
    this.pending = this.load();
  }

  /** Opens the socket (and keeps reopening it) until `stop`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      s.close();
    }
    this.set("offline");
  }

  /** Adds `by` at once on screen; sent now if online, else queued until the next connection. */
  increment(by = 1): void {
    const op: PendingOp = { op: this.o.newOpId(), by };
    this.pending.push(op);
    this.save();
    if (this.socket?.readyState === OPEN && this.state === "online") {
      this.send(op);
    }
    this.emit();
  }

  snapshot(): Snapshot {
    const queued = this.pending.reduce((n, p) => n + p.by, 0);
    return {
      value: this.confirmed === null ? null : this.confirmed + queued,
      confirmed: this.confirmed,
      pending: this.pending.length,
      state: this.state,
      error: this.error,
    };
  }

  private open(): void {
    if (this.stopped) return;
    this.set("connecting");
    let s: SocketLike;
    try {
      s = this.o.connect(this.o.url());
    } catch {
      this.retry();
      return;
    }
    this.socket = s;
    s.onmessage = (ev) => this.receive(ev.data);
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.set("offline");
      this.retry();
    };
    s.onerror = () => {
      // A close follows; the retry happens there.
    };
  }

  private retry(): void {
    if (this.stopped || this.timer !== null) return;
    const delay = backoffDelay(
      this.attempt++,
      this.o.backoffMs,
      this.o.maxBackoffMs,
      this.o.random,
    );
    this.timer = this.o.setTimer(() => {
      this.timer = null;
      this.open();
    }, delay);
  }

  private receive(data: unknown): void {
    let m: ServerMessage;
    try {
      m = JSON.parse(String(data)) as ServerMessage;
    } catch {
      return;
    }
    if (m.type === "value") {
      const first = this.state !== "online";
      this.raise(m.value);
      if (first) {
        // The connection is usable: reset the backoff and resend what is still pending (the
        // server applies each operation id once, so a resend after a lost ack is harmless).
        this.attempt = 0;
        this.state = "online";
        for (const p of this.pending) this.send(p);
      }
    } else if (m.type === "ack") {
      this.pending = this.pending.filter((p) => p.op !== m.op);
      this.save();
      this.raise(m.value);
      this.error = null;
    } else if (m.type === "error") {
      // A refused increment is dropped (a viewer, a read-only figure): the optimistic value
      // rolls back and the view says why. `unavailable` and `rate-limited` are kept and resent
      // later.
      if (m.op && m.code !== "unavailable" && m.code !== "rate-limited") {
        this.pending = this.pending.filter((p) => p.op !== m.op);
        this.save();
      }
      this.error = { code: m.code, message: m.message };
    }
    this.emit();
  }

  /** Counters only grow, so an older value arriving late never moves the figure back. */
  private raise(v: number): void {
    this.confirmed = this.confirmed === null ? v : Math.max(this.confirmed, v);
  }

  private send(p: PendingOp): void {
    this.socket?.send(
      JSON.stringify({ type: "increment", op: p.op, by: p.by }),
    );
  }

  private set(state: ConnectionState): void {
    this.state = state;
    this.emit();
  }

  private emit(): void {
    this.o.onChange?.(this.snapshot());
  }

  private load(): PendingOp[] {
    if (!this.o.storage || !this.o.storageKey) return [];
    try {
      const raw = this.o.storage.getItem(this.o.storageKey);
      const list: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(list)
        ? list.filter(
            (p): p is PendingOp =>
              typeof p?.op === "string" && Number.isInteger(p?.by),
          )
        : [];
    } catch {
      return [];
    }
  }

  private save(): void {
    if (!this.o.storage || !this.o.storageKey) return;
    if (this.pending.length === 0) this.o.storage.removeItem(this.o.storageKey);
    else
      this.o.storage.setItem(this.o.storageKey, JSON.stringify(this.pending));
  }
}
