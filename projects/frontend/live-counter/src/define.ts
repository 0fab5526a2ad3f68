import { LiveCounter } from "./element";

/** Registers `<live-counter>` once (importing the package does this). */
export function defineLiveCounter(tag = "live-counter"): void {
  if (typeof customElements !== "undefined" && !customElements.get(tag)) {
    customElements.define(tag, LiveCounter);
  }
}

defineLiveCounter();
