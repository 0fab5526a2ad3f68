import type { Orientation } from "./types";

/** What a key press does to the focused bar. */
export type KeyAction =
  | { kind: "move"; index: number }
  | { kind: "toggle"; index: number }
  | { kind: "clear" }
  | { kind: "none" };

/**
 * The keyboard model: arrows move between bars (Left/Up to the previous bar, Right/Down to the
 * next, whatever the orientation), Home and End jump to the ends, Enter and Space toggle the
 * focused bar in the selection (the filter), Escape clears the selection. Moves stop at the
 * ends.
 */
export function keyAction(
  key: string,
  current: number,
  count: number,
  _orientation: Orientation,
): KeyAction {
  if (count === 0) return { kind: "none" };
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return { kind: "move", index: clamp(current + 1) };
    case "ArrowLeft":
    case "ArrowUp":
      return { kind: "move", index: clamp(current - 1) };
    case "Home":
      return { kind: "move", index: 0 };
    case "End":
      return { kind: "move", index: count - 1 };
    case "Enter":
    case " ":
      return { kind: "toggle", index: clamp(current) };
    case "Escape":
      return { kind: "clear" };
    default:
      return { kind: "none" };
  }
}
