import { CounterSync, type Snapshot } from "./sync";
import { messages, pickLang } from "./i18n";

// Colours follow the page's color-scheme (inherited; `color-scheme: light dark` on the page
// follows the system), or the `theme` attribute.
const STYLE = `
:host { display: inline-block; font: 14px/1.4 system-ui, sans-serif;
  --lc-fg: light-dark(#1b1b1b, #f1f1f1); --lc-bg: light-dark(#ffffff, #121212);
  --lc-accent: light-dark(#1f5fa8, #7fb3f0); --lc-muted: light-dark(#595959, #c7c7c7);
  --lc-error: light-dark(#a4281c, #ff9c8f); }
:host([theme="dark"]) { color-scheme: dark; }
:host([theme="light"]) { color-scheme: light; }
.box { display: inline-flex; align-items: center; gap: .5em; color: var(--lc-fg); background: var(--lc-bg);
  border: 1px solid var(--lc-muted); border-radius: 6px; padding: .25em .6em; }
button { font: inherit; color: var(--lc-bg); background: var(--lc-accent); border: 0; border-radius: 4px;
  padding: .2em .7em; cursor: pointer; min-width: 2.2em; min-height: 2.2em; }
button:focus-visible { outline: 3px solid var(--lc-fg); outline-offset: 2px; }
.value { font-weight: 600; font-variant-numeric: tabular-nums; }
.state { color: var(--lc-muted); font-size: .85em; }
.error { color: var(--lc-error); font-size: .85em; }
`;

/**
 * `<live-counter project="UUID" name="kudos" label="Kudos" token="JWT">`: a counter shared
 * live by everyone who can see the project. Attributes: `project`, `name` (a counter, or the
 * read-only figure `tasks-completed-today`), `label`, `token` (an access token; or set the
 * `token` property), `base` (the API's origin, default this page's), `lang` (`en`, `de`),
 * `readonly`, `theme` (`light`, `dark`; default: the page's `color-scheme`).
 * Events: `live-counter-change` with the {@link Snapshot} as `detail`.
 */
export class LiveCounter extends HTMLElement {
  static observedAttributes = [
    "project",
    "name",
    "token",
    "base",
    "lang",
    "label",
    "readonly",
  ];
  private sync: CounterSync | null = null;
  private root: ShadowRoot;
  private button: HTMLButtonElement;
  private valueEl: HTMLElement;
  private stateEl: HTMLElement;
  private errorEl: HTMLElement;
  private labelEl: HTMLElement;
  private last: Snapshot | null = null;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    this.root.innerHTML = `<style>${STYLE}</style><div class="box" part="box">
<span class="label" part="label"></span>
<output class="value" part="value" aria-live="polite" aria-atomic="true">–</output>
<button type="button" part="button">+1</button>
<span class="state" part="state" role="status"></span>
<span class="error" part="error" role="alert"></span></div>`;
    const q = <T extends HTMLElement>(sel: string) =>
      this.root.querySelector(sel) as T;
    this.button = q("button");
    this.valueEl = q(".value");
    this.stateEl = q(".state");
    this.errorEl = q(".error");
    this.labelEl = q(".label");
    this.button.addEventListener("click", () => this.increment());
  }

  get token(): string {
    return this.getAttribute("token") ?? "";
  }
  set token(v: string) {
    this.setAttribute("token", v);
  }

  /** The current snapshot (value, queue, connection). */
  get snapshot(): Snapshot | null {
    return this.last;
  }

  /** Adds one, as a click does. */
  increment(): void {
    if (!this.readOnly) this.sync?.increment(1);
  }

  get readOnly(): boolean {
    return (
      this.hasAttribute("readonly") ||
      this.getAttribute("name") === "tasks-completed-today"
    );
  }

  connectedCallback(): void {
    this.restart();
  }

  disconnectedCallback(): void {
    this.sync?.stop();
    this.sync = null;
  }

  attributeChangedCallback(
    attr: string,
    old: string | null,
    now: string | null,
  ): void {
    if (old === now || !this.isConnected) return;
    if (attr === "lang" || attr === "label" || attr === "readonly")
      this.render();
    else this.restart();
  }

  private restart(): void {
    this.sync?.stop();
    this.sync = null;
    const project = this.getAttribute("project");
    const name = this.getAttribute("name") ?? "kudos";
    this.render();
    if (!project || !this.token) return;
    const base = new URL(
      this.getAttribute("base") || document.baseURI,
      document.baseURI,
    );
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    this.sync = new CounterSync({
      url: () =>
        new URL(
          `/v1/projects/${encodeURIComponent(project)}/counters/${encodeURIComponent(name)}/live?access_token=${encodeURIComponent(this.token)}`,
          base,
        ).toString(),
      storage: typeof localStorage === "undefined" ? undefined : localStorage,
      storageKey: `live-counter:${project}:${name}`,
      onChange: (s) => {
        this.last = s;
        this.render();
        this.dispatchEvent(
          new CustomEvent("live-counter-change", { detail: s, bubbles: true }),
        );
      },
    });
    this.sync.start();
  }

  private render(): void {
    const t =
      messages[
        pickLang(
          this.getAttribute("lang") ||
            document.documentElement.getAttribute("lang"),
        )
      ];
    const s = this.last;
    const label = this.getAttribute("label") ?? this.getAttribute("name") ?? "";
    const value =
      s?.value === null || s?.value === undefined ? "–" : String(s.value);
    this.labelEl.textContent = label;
    this.valueEl.textContent = value;
    this.button.hidden = this.readOnly;
    this.button.setAttribute("aria-label", t.add(label, value));
    const state = s?.state ?? "offline";
    let text: string = this.readOnly ? t.readOnly : t[state];
    if (s && s.pending > 0) text += ` · ${t.queued(s.pending)}`;
    this.stateEl.textContent = text;
    this.errorEl.textContent = s?.error
      ? `${t.refused} ${s.error.message}`
      : "";
  }
}
