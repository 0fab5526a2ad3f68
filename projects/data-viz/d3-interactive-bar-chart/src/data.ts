import { csvParse } from "d3-dsv";
import type { Datum } from "./types";

/** A row that could not be read, with where it is. */
export class DataError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = "DataError";
  }
}

function datum(label: unknown, value: unknown, line?: number): Datum {
  const text = String(label ?? "").trim();
  const n =
    typeof value === "number" ? value : Number(String(value ?? "").trim());
  if (text === "") throw new DataError("the label is empty", line);
  if (
    value === "" ||
    value === null ||
    value === undefined ||
    !Number.isFinite(n)
  ) {
    throw new DataError(
      `the value of "${text}" is not a number (${String(value)})`,
      line,
    );
  }
  return { label: text, value: n };
}

/** Data from rows of objects, taking `labelKey` and `valueKey` (default `label` and `value`). */
export function fromRows(
  rows: readonly Record<string, unknown>[],
  labelKey = "label",
  valueKey = "value",
): Datum[] {
  return rows.map((r, i) => datum(r[labelKey], r[valueKey], i + 1));
}

/** Data from CSV text with a header row (line numbers in errors count the header as line 1). */
export function parseCsv(
  text: string,
  labelKey = "label",
  valueKey = "value",
): Datum[] {
  const rows = csvParse(text);
  for (const key of [labelKey, valueKey]) {
    if (!rows.columns.includes(key)) {
      throw new DataError(
        `no "${key}" column (columns: ${rows.columns.join(", ")})`,
        1,
      );
    }
  }
  return rows.map((r, i) => datum(r[labelKey], r[valueKey], i + 2));
}

/** Data from JSON text: an array of `{label, value}` objects (or other keys). */
export function parseJson(
  text: string,
  labelKey = "label",
  valueKey = "value",
): Datum[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new DataError(`not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed))
    throw new DataError("the JSON is not an array of rows");
  return fromRows(parsed as Record<string, unknown>[], labelKey, valueKey);
}

export interface LoadOptions {
  labelKey?: string;
  valueKey?: string;
  /** `csv` or `json`; by default from the response's content type, then the URL's extension. */
  format?: "csv" | "json";
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** Loads data from a URL (REST endpoint, CSV or JSON file). */
export async function loadData(
  url: string | URL,
  options: LoadOptions = {},
): Promise<Datum[]> {
  const f = options.fetch ?? fetch;
  const res = await f(String(url), { signal: options.signal });
  if (!res.ok) throw new DataError(`${String(url)}: HTTP ${res.status}`);
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  const format =
    options.format ??
    (type.includes("csv") || String(url).endsWith(".csv")
      ? "csv"
      : type.includes("json") || String(url).endsWith(".json")
        ? "json"
        : undefined);
  if (!format)
    throw new DataError(
      `${String(url)}: neither CSV nor JSON (${type || "no type"})`,
    );
  return format === "csv"
    ? parseCsv(text, options.labelKey, options.valueKey)
    : parseJson(text, options.labelKey, options.valueKey);
}
