import { describe, expect, it } from "vitest";
import { Api, ApiError, OfflineError } from "../src/api";
import { toLiveEvent } from "../src/live";
import { byPosition, positionBetween } from "../src/model";
import { isOverdue } from "../src/ProjectView";

function storage() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
    m,
  };
}

const session = (n: number) => ({
  user: { id: "u1", email: "a@example.org" },
  access_token: `access-${n}`,
  refresh_token: `refresh-${n}`,
});

describe("Api", () => {
  it("refreshes an expired token silently, once for concurrent requests, and retries", async () => {
    const s = storage();
    s.setItem("todo.session", JSON.stringify(session(1)));
    const calls: string[] = [];
    const fetcher = async (url: RequestInfo | URL, init?: RequestInit) => {
      const auth =
        (init?.headers as Record<string, string>)?.authorization ?? "";
      calls.push(`${String(url)} ${auth}`);
      if (String(url).endsWith("/v1/auth/refresh")) {
        await new Promise((r) => setTimeout(r, 10));
        return new Response(JSON.stringify(session(2)), { status: 200 });
      }
      if (auth === "Bearer access-1")
        return new Response("{}", { status: 401 });
      return new Response(JSON.stringify({ ok: true }), {
        status: 200,
        headers: { etag: '"3"' },
      });
    };
    const api = new Api("", s, fetcher as typeof fetch);
    const [a, b] = await Promise.all([
      api.send("GET", "/v1/me"),
      api.send("GET", "/v1/projects"),
    ]);
    expect(a).toEqual({ data: { ok: true }, etag: '"3"' });
    expect(b.data).toEqual({ ok: true });
    expect(calls.filter((c) => c.includes("/auth/refresh"))).toHaveLength(1);
    expect(JSON.parse(s.m.get("todo.session")!).refresh_token).toBe(
      "refresh-2",
    );
  });

  it("signs out when the refresh token is refused", async () => {
    const s = storage();
    s.setItem("todo.session", JSON.stringify(session(1)));
    const fetcher = async () => new Response("{}", { status: 401 });
    const api = new Api("", s, fetcher as typeof fetch);
    const seen: unknown[] = [];
    api.onSession((x) => seen.push(x));
    await expect(api.send("GET", "/v1/me")).rejects.toBeInstanceOf(ApiError);
    expect(api.current).toBeNull();
    expect(seen).toEqual([null]);
  });

  it("turns problems into ApiErrors, network failures into OfflineErrors and sends If-Match", async () => {
    let headers: Record<string, string> = {};
    const api = new Api("", storage(), (async (
      _url: RequestInfo | URL,
      init?: RequestInit,
    ) => {
      headers = init?.headers as Record<string, string>;
      return new Response(
        JSON.stringify({
          title: "Precondition failed",
          detail: "stale",
          errors: [],
        }),
        { status: 412 },
      );
    }) as typeof fetch);
    const e = await api
      .send("PATCH", "/v1/tasks/x", {}, { ifMatch: 4 })
      .catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.message]).toEqual([412, "stale"]);
    expect(headers["if-match"]).toBe('"4"');
    const down = new Api("", storage(), (async () => {
      throw new TypeError("Failed to fetch");
    }) as typeof fetch);
    await expect(down.send("GET", "/v1/me")).rejects.toBeInstanceOf(
      OfflineError,
    );
  });
});

describe("live events", () => {
  it("maps the push stream's CloudEvents onto view updates", () => {
    const t = { id: "t1", version: 2 };
    expect(
      toLiveEvent(
        "task.updated",
        JSON.stringify({ data: { task: t, changed: ["title"] } }),
      ),
    ).toEqual({
      kind: "task",
      task: t,
    });
    expect(
      toLiveEvent("task.deleted", JSON.stringify({ data: { task_id: "t1" } })),
    ).toEqual({
      kind: "task-deleted",
      taskId: "t1",
    });
    expect(toLiveEvent("member.added", "{}")).toEqual({ kind: "members" });
    expect(toLiveEvent("resync", "{}")).toEqual({ kind: "resync" });
    expect(toLiveEvent("task.created", "not json")).toBeNull();
  });
});

describe("ordering and dates", () => {
  it("places a moved task between its neighbours", () => {
    const a = { position: 1 } as never;
    const b = { position: 2 } as never;
    expect(positionBetween(a, b)).toBe(1.5);
    expect(positionBetween(undefined, a)).toBe(1 - 1024);
    expect(positionBetween(b, undefined)).toBe(2 + 1024);
    expect(positionBetween(undefined, undefined)).toBe(1024);
    const list = [
      { id: "b", position: 1 },
      { id: "a", position: 1 },
      { id: "c", position: 0 },
    ] as never[];
    expect(list.sort(byPosition).map((x: { id: string }) => x.id)).toEqual([
      "c",
      "a",
      "b",
    ]);
  });

  it("highlights open tasks past their due date only", () => {
    const base = { status: "todo", due_date: "2026-11-20" } as never;
    expect(isOverdue(base, "2026-11-27")).toBe(true);
    expect(
      isOverdue({ ...(base as object), status: "done" } as never, "2026-11-27"),
    ).toBe(false);
    expect(
      isOverdue(
        { ...(base as object), due_date: "2026-11-27" } as never,
        "2026-11-27",
      ),
    ).toBe(false);
    expect(
      isOverdue({ ...(base as object), due_date: null } as never, "2026-11-27"),
    ).toBe(false);
  });
});
