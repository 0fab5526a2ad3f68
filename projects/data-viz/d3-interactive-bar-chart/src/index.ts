/**
 * An accessible, animated bar chart built on D3 7, with a React wrapper.
 *
 * ```ts
 * import { barChart, loadData } from "@portfolio/d3-interactive-bar-chart";
 * const chart = barChart(document.querySelector("#chart")!, { title: "Tasks by status" });
 * chart.update(await loadData("/v1/analytics/tasks-by-status.json"));
 * ```
 *
 * @packageDocumentation
 */
export { barChart, type BarChart, type BarChartOptions } from "./chart";
export {
  DataError,
  fromRows,
  loadData,
  parseCsv,
  parseJson,
  type LoadOptions,
} from "./data";
export { keyAction, type KeyAction } from "./keyboard";
export { computeScales, sortData, type Margins, type Scales } from "./scales";
export { darkTokens, lightTokens, tokensFor } from "./tokens";
export { BarChart as BarChartComponent, type BarChartProps } from "./react";
export type { Datum, Orientation, SortOrder, Tokens } from "./types";
