import { max } from "d3-array";
import {
  scaleBand,
  scaleLinear,
  type ScaleBand,
  type ScaleLinear,
} from "d3-scale";
import type { Datum, Orientation, SortOrder } from "./types";

/** The data in `order` (a new array; ties keep their input order). */
export function sortData(data: readonly Datum[], order: SortOrder): Datum[] {
  const out = [...data];
  switch (order) {
    case "ascending":
      return out.sort((a, b) => a.value - b.value);
    case "descending":
      return out.sort((a, b) => b.value - a.value);
    case "label":
      return out.sort((a, b) => a.label.localeCompare(b.label));
    default:
      return out;
  }
}

export interface Margins {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface Scales {
  band: ScaleBand<string>;
  value: ScaleLinear<number, number>;
  /** The drawing area inside the margins. */
  inner: { width: number; height: number };
}

/**
 * The band scale (labels) and the linear scale (values) for a chart of `width` x `height`.
 * The value domain starts at 0 (or the smallest negative value) and is rounded to nice ticks.
 */
export function computeScales(
  data: readonly Datum[],
  orientation: Orientation,
  width: number,
  height: number,
  margins: Margins,
): Scales {
  const inner = {
    width: Math.max(0, width - margins.left - margins.right),
    height: Math.max(0, height - margins.top - margins.bottom),
  };
  const labels = data.map((d) => d.label);
  const top = Math.max(0, max(data, (d) => d.value) ?? 0);
  const bottom = Math.min(0, ...data.map((d) => d.value));
  const band = scaleBand<string>().domain(labels).padding(0.2);
  const value = scaleLinear()
    .domain([bottom, top === bottom ? bottom + 1 : top])
    .nice();
  if (orientation === "vertical") {
    band.range([0, inner.width]);
    value.range([inner.height, 0]);
  } else {
    band.range([0, inner.height]);
    value.range([0, inner.width]);
  }
  return { band, value, inner };
}
