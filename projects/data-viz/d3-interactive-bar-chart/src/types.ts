/** One bar: a label and a value. */
export interface Datum {
  label: string;
  value: number;
}

/** Which way bars grow. */
export type Orientation = "vertical" | "horizontal";

/** How bars are ordered: as given, by value, or by label. */
export type SortOrder = "none" | "ascending" | "descending" | "label";

/** The colours and type of the chart; defaults in {@link lightTokens} and {@link darkTokens}. */
export interface Tokens {
  bar: string;
  barSelected: string;
  barFocus: string;
  text: string;
  axis: string;
  background: string;
  fontFamily: string;
  fontSize: string;
}
