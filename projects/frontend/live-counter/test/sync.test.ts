import { describe, expect, it } from "vitest";
import {
  CounterSync,
  backoffDelay,
  type Snapshot,
  type SocketLike,
} from "../src/sync";

/** A fake socket the test drives: `server` plays the hub. */
class FakeSocket implements SocketLike {
  readyState = 0;
  sent: { op: string; by: number }[] = [];
  onopen: SocketLike["onopen"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  onmessage: SocketLike["onmessage"] = null;
  constructor(public url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open(value: number) {
    this.readyState = 1;
    this.onopen?.({});
    this.push({ type: "value", value });
  }
  push(m: object) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
}

function harness(storage?: Map<string, string>) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let n = 0;
  const seen: Snapshot[] = [];
  const sync = new CounterSync({
    url: () => "ws://hub/live",
    connect: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    storageKey: "k",
    storage: storage && {
      getItem: (k) => storage.get(k) ?? null,
      setItem: (k, v) => void storage.set(k, v),
      removeItem: (k) => void storage.delete(k),
    },
    random: () => 0.5,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => {},
    newOpId: () => `op${++n}`,
    onChange: (s) => seen.push(s),
  });
  return { sync, sockets, timers, seen };
}

describe("CounterSync", () => {
  it("shows clicks at once and settles on the server's value", () => {
    const { sync, sockets } = harness();
    sync.start();
    sockets[0]!.open(10);
    sync.increment();
    sync.increment();
    expect(sync.snapshot()).toMatchObject({ value: 12, pending: 2 });
    expect(sockets[0]!.sent.map((s) => s.op)).toEqual(["op1", "op2"]);
    sockets[0]!.push({ type: "ack", op: "op1", value: 11 });
    // Another user's click arrives before our second ack.
    sockets[0]!.push({ type: "value", value: 12 });
    sockets[0]!.push({ type: "ack", op: "op2", value: 13 });
    expect(sync.snapshot()).toMatchObject({
      value: 13,
      confirmed: 13,
      pending: 0,
      state: "online",
    });
  });

  it("never moves back when an older value arrives late", () => {
    const { sync, sockets } = harness();
    sync.start();
    sockets[0]!.open(5);
    sockets[0]!.push({ type: "value", value: 9 });
    sockets[0]!.push({ type: "value", value: 7 });
    expect(sync.snapshot().value).toBe(9);
  });

  it("queues clicks offline, keeps them across reloads and resends them on reconnect", () => {
    const storage = new Map<string, string>();
    const first = harness(storage);
    first.sync.start();
    first.sockets[0]!.open(3);
    first.sockets[0]!.drop();
    expect(first.sync.snapshot().state).toBe("offline");
    first.sync.increment();
    first.sync.increment();
    expect(first.sockets[0]!.sent).toEqual([]);
    expect(first.sync.snapshot()).toMatchObject({ value: 5, pending: 2 });
    first.sync.stop();

    // A reload while offline: the queue comes back from storage.
    const second = harness(storage);
    expect(second.sync.snapshot().pending).toBe(2);
    second.sync.start();
    second.sockets[0]!.open(3);
    expect(second.sockets[0]!.sent).toEqual([
      { type: "increment", op: "op1", by: 1 },
      { type: "increment", op: "op2", by: 1 },
    ]);
    second.sockets[0]!.push({ type: "ack", op: "op1", value: 4 });
    second.sockets[0]!.push({ type: "ack", op: "op2", value: 5 });
    expect(second.sync.snapshot()).toMatchObject({ value: 5, pending: 0 });
    expect(storage.has("k")).toBe(false);
  });

  it("resends an increment whose ack was lost; the server's dedup keeps the count", () => {
    const { sync, sockets, timers } = harness();
    sync.start();
    sockets[0]!.open(0);
    sync.increment();
    sockets[0]!.drop(); // the ack never came
    timers.shift()!.fn();
    sockets[1]!.open(1); // the server had applied it
    expect(sockets[1]!.sent).toEqual([{ type: "increment", op: "op1", by: 1 }]);
    sockets[1]!.push({ type: "ack", op: "op1", value: 1 });
    expect(sync.snapshot()).toMatchObject({ value: 1, pending: 0 });
  });

  it("rolls back a refused click and says why", () => {
    const { sync, sockets } = harness();
    sync.start();
    sockets[0]!.open(2);
    sync.increment();
    expect(sync.snapshot().value).toBe(3);
    sockets[0]!.push({
      type: "error",
      op: "op1",
      code: "forbidden",
      message: "viewers cannot change this project",
    });
    expect(sync.snapshot()).toMatchObject({
      value: 2,
      pending: 0,
      error: { code: "forbidden" },
    });
  });

  it("reconnects with growing delays and resets them once connected", () => {
    const { sync, sockets, timers } = harness();
    sync.start();
    sockets[0]!.drop();
    timers.shift()!.fn();
    sockets[1]!.drop();
    timers.shift()!.fn();
    sockets[2]!.drop();
    expect(timers.map((t) => t.ms)).toEqual([2000]);
    timers.shift()!.fn();
    sockets[3]!.open(0);
    sockets[3]!.drop();
    expect(timers.map((t) => t.ms)).toEqual([500]);
  });

  it("caps and jitters the backoff", () => {
    expect(backoffDelay(0, 500, 30_000, () => 0.5)).toBe(500);
    expect(backoffDelay(3, 500, 30_000, () => 0.5)).toBe(4000);
    expect(backoffDelay(50, 500, 30_000, () => 0.5)).toBe(30_000);
    expect(backoffDelay(0, 500, 30_000, () => 0)).toBe(400);
    expect(backoffDelay(0, 500, 30_000, () => 1)).toBe(600);
  });

  it("stops cleanly: no more reconnects", () => {
    const { sync, sockets, timers } = harness();
    sync.start();
    sync.stop();
    sockets[0]!.drop();
    expect(timers).toEqual([]);
    expect(sync.snapshot().state).toBe("offline");
  });
});
