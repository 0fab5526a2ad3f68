import { describe, expect, it } from "vitest";
import { computeScales, sortData } from "../src/scales";

const data = [
  { label: "todo", value: 5 },
  { label: "doing", value: 12 },
  { label: "done", value: 7 },
];
const margins = { top: 10, right: 10, bottom: 20, left: 30 };

describe("sortData", () => {
  it("orders by value, label or not at all, without touching the input", () => {
    expect(sortData(data, "descending").map((d) => d.label)).toEqual([
      "doing",
      "done",
      "todo",
    ]);
    expect(sortData(data, "ascending").map((d) => d.label)).toEqual([
      "todo",
      "done",
      "doing",
    ]);
    expect(sortData(data, "label").map((d) => d.label)).toEqual([
      "doing",
      "done",
      "todo",
    ]);
    expect(sortData(data, "none")).toEqual(data);
    expect(data[0]?.label).toBe("todo");
  });
});

describe("computeScales", () => {
  it("maps labels to bands and values from zero to a nice top (vertical)", () => {
    const { band, value, inner } = computeScales(
      data,
      "vertical",
      440,
      230,
      margins,
    );
    expect(inner).toEqual({ width: 400, height: 200 });
    expect(band.domain()).toEqual(["todo", "doing", "done"]);
    expect(band.range()).toEqual([0, 400]);
    expect(value.domain()).toEqual([0, 12]);
    expect(value(0)).toBe(200);
    expect(value(12)).toBe(0);
    expect(band("doing")).toBeGreaterThan(band("todo")!);
  });

  it("turns around for horizontal bars and includes negative values", () => {
    const { band, value } = computeScales(
      [...data, { label: "debt", value: -3 }],
      "horizontal",
      440,
      230,
      margins,
    );
    expect(band.range()).toEqual([0, 200]);
    expect(value.range()).toEqual([0, 400]);
    expect(value.domain()[0]).toBeLessThanOrEqual(-3);
  });

  it("copes with no data and all-zero data", () => {
    expect(
      computeScales([], "vertical", 100, 100, margins).value.domain(),
    ).toEqual([0, 1]);
    expect(
      computeScales(
        [{ label: "a", value: 0 }],
        "vertical",
        100,
        100,
        margins,
      ).value.domain(),
    ).toEqual([0, 1]);
  });
});
