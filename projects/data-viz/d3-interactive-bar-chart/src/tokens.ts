import type { Tokens } from "./types";

/** Light theme: text and bars meet WCAG 2.1 AA contrast on the background. */
export const lightTokens: Tokens = {
  bar: "#1f5fa8",
  barSelected: "#b3420f",
  barFocus: "#0b1f33",
  text: "#1b1b1b",
  axis: "#595959",
  background: "#ffffff",
  fontFamily: "system-ui, sans-serif",
  fontSize: "12px",
};

/** Dark theme, same contrast rules. */
export const darkTokens: Tokens = {
  bar: "#7fb3f0",
  barSelected: "#ffb08a",
  barFocus: "#ffffff",
  text: "#f1f1f1",
  axis: "#c7c7c7",
  background: "#121212",
  fontFamily: "system-ui, sans-serif",
  fontSize: "12px",
};

/** The tokens for the user's colour scheme (`prefers-color-scheme`), with overrides. */
export function tokensFor(
  overrides: Partial<Tokens> = {},
  dark?: boolean,
): Tokens {
  const prefersDark =
    dark ??
    (typeof matchMedia === "function" &&
      matchMedia("(prefers-color-scheme: dark)").matches);
  return { ...(prefersDark ? darkTokens : lightTokens), ...overrides };
}
