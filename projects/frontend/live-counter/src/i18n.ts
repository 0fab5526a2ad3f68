/** The component's texts in English and German; `lang` picks one (default: the page's). */
export const messages = {
  en: {
    add: (label: string, value: string) => `Add one to ${label} (now ${value})`,
    online: "Live",
    connecting: "Connecting…",
    offline: "Offline",
    queued: (n: number) =>
      n === 1 ? "1 click waiting to sync" : `${n} clicks waiting to sync`,
    readOnly: "Live figure",
    refused: "Not counted:",
  },
  de: {
    add: (label: string, value: string) =>
      `${label} um eins erhöhen (jetzt ${value})`,
    online: "Live",
    connecting: "Verbinde…",
    offline: "Offline",
    queued: (n: number) =>
      n === 1
        ? "1 Klick wartet auf Abgleich"
        : `${n} Klicks warten auf Abgleich`,
    readOnly: "Live-Kennzahl",
    refused: "Nicht gezählt:",
  },
} as const;

export type Lang = keyof typeof messages;

/** `de-AT` → `de`; anything unknown → `en`. */
export function pickLang(tag: string | null | undefined): Lang {
  const base = (tag ?? "").toLowerCase().split("-")[0];
  return base === "de" ? "de" : "en";
}
