import { afterEach, describe, expect, it } from "vitest";
import "../src/define";
import { pickLang } from "../src/i18n";
import type { LiveCounter } from "../src/element";

afterEach(() => {
  document.body.innerHTML = "";
});

describe("<live-counter>", () => {
  it("renders an accessible control with a live region", () => {
    document.body.innerHTML = `<live-counter name="kudos" label="Kudos"></live-counter>`;
    const el = document.querySelector("live-counter") as LiveCounter;
    const root = el.shadowRoot!;
    const button = root.querySelector("button")!;
    expect(button.getAttribute("aria-label")).toBe("Add one to Kudos (now –)");
    expect(root.querySelector("output")!.getAttribute("aria-live")).toBe(
      "polite",
    );
    expect(root.querySelector("[role=status]")!.textContent).toBe("Offline");
  });

  it("speaks German when asked and hides the button for read-only figures", () => {
    document.body.innerHTML = `<live-counter lang="de" name="tasks-completed-today" label="Heute erledigt"></live-counter>`;
    const el = document.querySelector("live-counter") as LiveCounter;
    const root = el.shadowRoot!;
    expect(el.readOnly).toBe(true);
    expect(root.querySelector("button")!.hidden).toBe(true);
    expect(root.querySelector("[role=status]")!.textContent).toBe(
      "Live-Kennzahl",
    );
  });

  it("picks a language from a tag", () => {
    expect(pickLang("de-AT")).toBe("de");
    expect(pickLang("fr")).toBe("en");
    expect(pickLang(null)).toBe("en");
  });
});
