/**
 * The project's live stream: the task API's Server-Sent Events (`/v1/projects/{id}/events`),
 * the role Firestore's listeners play in the guide. The access token goes in the query string
 * (EventSource cannot send headers); when the stream fails (token expired, server restarted)
 * it refreshes the session and reconnects with backoff.
 */
import { backoffDelay } from "@portfolio/live-counter";
import type { Api, Task } from "./api";

export type LiveEvent =
  | { kind: "task"; task: Task }
  | { kind: "task-deleted"; taskId: string }
  | { kind: "members" }
  | { kind: "project" }
  | { kind: "resync" };

/** A CloudEvent of `events.tasks` as the stream carries it → what the view needs to do. */
export function toLiveEvent(type: string, data: string): LiveEvent | null {
  if (type === "resync") return { kind: "resync" };
  let ev: { data?: { task?: Task; task_id?: string } };
  try {
    ev = JSON.parse(data);
  } catch {
    return null;
  }
  switch (type) {
    case "task.created":
    case "task.updated":
    case "task.completed":
      return ev.data?.task ? { kind: "task", task: ev.data.task } : null;
    case "task.deleted":
      return ev.data?.task_id
        ? { kind: "task-deleted", taskId: ev.data.task_id }
        : null;
    case "member.added":
    case "member.role_changed":
    case "member.removed":
      return { kind: "members" };
    case "project.updated":
    case "project.deleted":
      return { kind: "project" };
    default:
      return null;
  }
}

const TYPES = [
  "task.created",
  "task.updated",
  "task.completed",
  "task.deleted",
  "member.added",
  "member.role_changed",
  "member.removed",
  "project.updated",
  "project.deleted",
  "resync",
];

/** Listens until the returned function is called. `onOpen` fires on every (re)connect. */
export function listen(
  api: Api,
  projectId: string,
  onEvent: (e: LiveEvent) => void,
  onOpen: () => void,
): () => void {
  let source: EventSource | null = null;
  let stopped = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const open = () => {
    const token = api.current?.access_token;
    if (stopped || !token) return;
    source = new EventSource(
      `${api.base}/v1/projects/${projectId}/events?access_token=${encodeURIComponent(token)}`,
    );
    source.onopen = () => {
      attempt = 0;
      onOpen();
    };
    for (const type of TYPES) {
      source.addEventListener(type, (m) => {
        const e = toLiveEvent(type, (m as MessageEvent).data);
        if (e) onEvent(e);
      });
    }
    source.onerror = () => {
      source?.close();
      source = null;
      if (stopped) return;
      const delay = backoffDelay(attempt++, 500, 30_000);
      timer = setTimeout(() => {
        timer = null;
        // The token may have expired: refresh (quietly) before reconnecting.
        api
          .refresh()
          .catch(() => false)
          .finally(open);
      }, delay);
    };
  };
  open();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    source?.close();
  };
}
