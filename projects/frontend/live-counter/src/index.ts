/**
 * `<live-counter>`: a framework-free Web Component whose counter is shared live between users
 * over the task API's WebSocket hub. Importing the package defines the element.
 *
 * ```html
 * <script type="module">import "@portfolio/live-counter";</script>
 * <live-counter project="…" name="kudos" label="Kudos" token="…"></live-counter>
 * ```
 */
export { LiveCounter } from "./element";
export { defineLiveCounter } from "./define";
export {
  CounterSync,
  backoffDelay,
  type ConnectionState,
  type PendingOp,
  type QueueStorage,
  type ServerMessage,
  type Snapshot,
  type SocketLike,
  type SyncOptions,
} from "./sync";
export { messages, pickLang, type Lang } from "./i18n";
