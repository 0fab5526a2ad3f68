import { useEffect, useRef, useState } from "react";
import {
  barChart,
  type BarChart as Handle,
  type BarChartOptions,
} from "./chart";
import { loadData, type LoadOptions } from "./data";
import type { Datum } from "./types";

export interface BarChartProps extends Omit<BarChartOptions, "data"> {
  /** The data; or give `src` to load it from a URL (CSV or JSON). */
  data?: readonly Datum[];
  src?: string;
  load?: LoadOptions;
  className?: string;
  /** Called when `src` cannot be loaded. */
  onError?: (error: Error) => void;
}

/** The bar chart as a React component: options are props, data updates animate. */
export function BarChart({
  data,
  src,
  load,
  className,
  onError,
  ...options
}: BarChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<Handle | null>(null);
  const [loaded, setLoaded] = useState<readonly Datum[] | null>(null);
  const latest = useRef(options);
  latest.current = options;

  useEffect(() => {
    if (!ref.current) return;
    chart.current = barChart(ref.current, {
      ...latest.current,
      data: data ?? [],
    });
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // The chart is created once; later props go through update/setOptions below.
  }, []);

  useEffect(() => {
    if (!src) return;
    const abort = new AbortController();
    loadData(src, { ...load, signal: abort.signal })
      .then(setLoaded)
      .catch((e: Error) => {
        if (!abort.signal.aborted) onError?.(e);
      });
    return () => abort.abort();
  }, [src, load, onError]);

  const shown = data ?? loaded;
  useEffect(() => {
    if (shown) chart.current?.update(shown);
  }, [shown]);

  const {
    title,
    description,
    orientation,
    sort,
    width,
    height,
    dark,
    transitionMs,
    tokens,
    formatValue,
    onBarClick,
    onFilterChange,
  } = options;
  useEffect(() => {
    chart.current?.setOptions({
      title,
      description,
      orientation,
      sort,
      width,
      height,
      dark,
      transitionMs,
      tokens,
      formatValue,
      onBarClick,
      onFilterChange,
    });
  }, [
    title,
    description,
    orientation,
    sort,
    width,
    height,
    dark,
    transitionMs,
    tokens,
    formatValue,
    onBarClick,
    onFilterChange,
  ]);

  return <div ref={ref} className={className} />;
}
