import { describe, expect, it } from "vitest";
import { keyAction } from "../src/keyboard";

describe("keyboard model", () => {
  it("moves with arrows in both orientations and stops at the ends", () => {
    expect(keyAction("ArrowRight", 0, 3, "vertical")).toEqual({
      kind: "move",
      index: 1,
    });
    expect(keyAction("ArrowDown", 1, 3, "horizontal")).toEqual({
      kind: "move",
      index: 2,
    });
    expect(keyAction("ArrowRight", 2, 3, "vertical")).toEqual({
      kind: "move",
      index: 2,
    });
    expect(keyAction("ArrowLeft", 0, 3, "vertical")).toEqual({
      kind: "move",
      index: 0,
    });
    expect(keyAction("ArrowUp", 2, 3, "horizontal")).toEqual({
      kind: "move",
      index: 1,
    });
  });

  it("jumps with Home and End, toggles with Enter and Space, clears with Escape", () => {
    expect(keyAction("Home", 2, 5, "vertical")).toEqual({
      kind: "move",
      index: 0,
    });
    expect(keyAction("End", 0, 5, "vertical")).toEqual({
      kind: "move",
      index: 4,
    });
    expect(keyAction("Enter", 3, 5, "vertical")).toEqual({
      kind: "toggle",
      index: 3,
    });
    expect(keyAction(" ", 1, 5, "vertical")).toEqual({
      kind: "toggle",
      index: 1,
    });
    expect(keyAction("Escape", 1, 5, "vertical")).toEqual({ kind: "clear" });
  });

  it("does nothing for other keys or no bars", () => {
    expect(keyAction("a", 0, 3, "vertical")).toEqual({ kind: "none" });
    expect(keyAction("ArrowRight", 0, 0, "vertical")).toEqual({ kind: "none" });
  });
});
