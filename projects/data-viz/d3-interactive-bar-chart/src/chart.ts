import { select } from "d3-selection";
import "d3-transition";
import { keyAction } from "./keyboard";
import { computeScales, sortData, type Margins } from "./scales";
import { tokensFor } from "./tokens";
import type { Datum, Orientation, SortOrder, Tokens } from "./types";

export interface BarChartOptions {
  /** The accessible name of the chart (also its visible title). */
  title: string;
  /** A longer description for screen readers. */
  description?: string;
  data?: readonly Datum[];
  orientation?: Orientation;
  sort?: SortOrder;
  /** Fixed size in pixels; without it the chart follows its container's width (height 300). */
  width?: number;
  height?: number;
  /** Colour and type overrides (design tokens); `dark` forces a theme. */
  tokens?: Partial<Tokens>;
  dark?: boolean;
  /** Transition length in milliseconds (0 when the user prefers reduced motion). */
  transitionMs?: number;
  formatValue?: (value: number) => string;
  onBarClick?: (datum: Datum, index: number) => void;
  /** The selected labels, whenever the selection changes (click, Enter or Space, Escape). */
  onFilterChange?: (selected: string[]) => void;
}

export interface BarChart {
  /** New data: bars enter, move and leave with a transition. */
  update(data: readonly Datum[]): void;
  /** New options (merged with the current ones). */
  setOptions(options: Partial<BarChartOptions>): void;
  /** The labels currently selected. */
  selected(): string[];
  /** Moves keyboard focus to bar `index` (in display order). */
  focusBar(index: number): void;
  /** Removes the chart and its listeners. */
  destroy(): void;
}

const MARGINS: Margins = { top: 28, right: 16, bottom: 40, left: 56 };

function reducedMotion(): boolean {
  return (
    typeof matchMedia === "function" &&
    matchMedia("(prefers-reduced-motion: reduce)").matches
  );
}

let nextId = 0;

/** Draws an accessible bar chart into `container` and returns its handle. */
export function barChart(
  container: HTMLElement,
  initial: BarChartOptions,
): BarChart {
  let options: BarChartOptions = {
    orientation: "vertical",
    sort: "none",
    ...initial,
  };
  let data: Datum[] = [...(initial.data ?? [])];
  let focused = 0;
  const selection = new Set<string>();
  const id = `bar-chart-${++nextId}`;
  const format = () =>
    options.formatValue ?? ((v: number) => v.toLocaleString());

  const root = select(container)
    .append("figure")
    .attr("class", "bar-chart")
    .style("margin", "0");
  const caption = root.append("figcaption").attr("id", `${id}-title`);
  const svg = root
    .append("svg")
    .attr("role", "group")
    .attr("aria-labelledby", `${id}-title`)
    .attr("aria-describedby", `${id}-desc`);
  const desc = root
    .append("p")
    .attr("id", `${id}-desc`)
    .attr("class", "bar-chart-description");
  const live = root
    .append("p")
    .attr("class", "bar-chart-live")
    .attr("aria-live", "polite")
    .style("position", "absolute")
    .style("width", "1px")
    .style("height", "1px")
    .style("overflow", "hidden")
    .style("clip-path", "inset(50%)");
  const plot = svg.append("g");
  const valueAxis = plot
    .append("g")
    .attr("class", "value-axis")
    .attr("aria-hidden", "true");
  const bars = plot
    .append("g")
    .attr("class", "bars")
    .attr("role", "listbox")
    .attr("aria-multiselectable", "true")
    .attr("aria-labelledby", `${id}-title`);
  const tooltip = root
    .append("div")
    .attr("role", "tooltip")
    .attr("id", `${id}-tooltip`)
    .style("position", "absolute")
    .style("pointer-events", "none")
    .style("visibility", "hidden");

  const size = () => ({
    width: options.width ?? (container.clientWidth || 600),
    height: options.height ?? 300,
  });

  function label(d: Datum): string {
    return `${d.label}: ${format()(d.value)}${selection.has(d.label) ? " (selected)" : ""}`;
  }

  function showTooltip(d: Datum, x: number, y: number) {
    tooltip
      .text(label(d))
      .style("left", `${x}px`)
      .style("top", `${y}px`)
      .style("visibility", "visible");
  }

  function hideTooltip() {
    tooltip.style("visibility", "hidden");
  }

  function toggle(d: Datum) {
    if (selection.has(d.label)) selection.delete(d.label);
    else selection.add(d.label);
    options.onFilterChange?.([...selection]);
    live.text(
      `${d.label} ${selection.has(d.label) ? "selected" : "deselected"}; ${selection.size} selected`,
    );
    render(false);
  }

  function render(animate = true) {
    const t = tokensFor(options.tokens, options.dark);
    const { width, height } = size();
    const shown = sortData(data, options.sort ?? "none");
    focused = Math.min(focused, Math.max(0, shown.length - 1));
    const vertical = options.orientation !== "horizontal";
    const { band, value } = computeScales(
      shown,
      vertical ? "vertical" : "horizontal",
      width,
      height,
      MARGINS,
    );
    const ms = animate && !reducedMotion() ? (options.transitionMs ?? 400) : 0;

    root
      .style("font-family", t.fontFamily)
      .style("font-size", t.fontSize)
      .style("color", t.text)
      .style("position", "relative");
    caption.text(options.title);
    desc.text(options.description ?? `${shown.length} bars`);
    svg
      .attr("width", width)
      .attr("height", height)
      .attr("viewBox", `0 0 ${width} ${height}`)
      .style("background", t.background);
    plot.attr("transform", `translate(${MARGINS.left},${MARGINS.top})`);

    // A few value ticks (text only: the bars carry their own accessible labels).
    const ticks = value.ticks(5);
    valueAxis
      .selectAll<SVGTextElement, number>("text")
      .data(ticks)
      .join("text")
      .attr("fill", t.axis)
      .attr("x", (v) => (vertical ? -8 : value(v)))
      .attr("y", (v) => (vertical ? value(v) : band.range()[1] + 16))
      .attr("text-anchor", vertical ? "end" : "middle")
      .attr("dominant-baseline", "middle")
      .text((v) => format()(v));

    const zero = value(0);
    const geometry = (d: Datum) => {
      const b = band(d.label) ?? 0;
      const v = value(d.value);
      return vertical
        ? {
            x: b,
            y: Math.min(v, zero),
            w: band.bandwidth(),
            h: Math.abs(zero - v),
          }
        : {
            x: Math.min(v, zero),
            y: b,
            w: Math.abs(v - zero),
            h: band.bandwidth(),
          };
    };

    const groups = bars
      .selectAll<SVGGElement, Datum>("g.bar")
      .data(shown, (d) => d.label)
      .join(
        (enter) => {
          const g = enter
            .append("g")
            .attr("class", "bar")
            .attr("role", "option");
          g.append("rect")
            .attr("x", (d) => geometry(d).x)
            .attr("y", (d) => (vertical ? zero : geometry(d).y))
            .attr("width", (d) => (vertical ? geometry(d).w : 0))
            .attr("height", (d) => (vertical ? 0 : geometry(d).h));
          g.append("text")
            .attr("class", "bar-label")
            .attr("aria-hidden", "true");
          return g;
        },
        (update) => update,
        (exit) => {
          if (ms > 0)
            exit.transition().duration(ms).style("opacity", 0).remove();
          else exit.remove();
          return exit;
        },
      )
      // DOM order = display order, so Tab and screen readers follow the bars.
      .order();

    groups
      .attr("tabindex", (_, i) => (i === focused ? 0 : -1))
      .attr("aria-label", label)
      .attr("aria-selected", (d) => String(selection.has(d.label)))
      .attr("data-label", (d) => d.label)
      .attr("data-value", (d) => d.value)
      .style("cursor", "pointer")
      .style("outline", "none");
    groups
      .select("rect")
      .attr("fill", (d) => (selection.has(d.label) ? t.barSelected : t.bar))
      .attr("stroke", (_, i) =>
        i === focused &&
        document.activeElement?.closest?.(".bar-chart") === root.node()
          ? t.barFocus
          : "none",
      )
      .attr("stroke-width", 2)
      .transition()
      .duration(ms)
      .attr("x", (d) => geometry(d).x)
      .attr("y", (d) => geometry(d).y)
      .attr("width", (d) => geometry(d).w)
      .attr("height", (d) => geometry(d).h);
    groups
      .select("text")
      .attr("fill", t.text)
      .attr("x", (d) => (vertical ? geometry(d).x + band.bandwidth() / 2 : -8))
      .attr("y", (d) =>
        vertical
          ? (value.range()[0] ?? 0) + 16
          : geometry(d).y + band.bandwidth() / 2,
      )
      .attr("text-anchor", vertical ? "middle" : "end")
      .attr("dominant-baseline", "middle")
      .text((d) => d.label);

    groups
      .on("click", (event: MouseEvent, d) => {
        const i = shown.indexOf(d);
        focused = i;
        options.onBarClick?.(d, i);
        toggle(d);
      })
      .on("mouseenter", (event: MouseEvent, d) =>
        showTooltip(d, event.offsetX + 12, event.offsetY),
      )
      .on("mouseleave", hideTooltip)
      .on("focus", (_event: FocusEvent, d) => {
        const g = geometry(d);
        showTooltip(d, MARGINS.left + g.x + g.w, MARGINS.top + g.y);
      })
      .on("blur", hideTooltip)
      .on("keydown", (event: KeyboardEvent) => {
        const action = keyAction(
          event.key,
          focused,
          shown.length,
          vertical ? "vertical" : "horizontal",
        );
        if (action.kind === "none") return;
        event.preventDefault();
        if (action.kind === "move") {
          focused = action.index;
          render(false);
          focusBar(focused);
        } else if (action.kind === "toggle") {
          const d = shown[action.index];
          if (d) toggle(d);
          focusBar(focused);
        } else {
          selection.clear();
          options.onFilterChange?.([]);
          live.text("selection cleared");
          render(false);
        }
      });
  }

  function focusBar(index: number) {
    const nodes = bars.selectAll<SVGGElement, Datum>("g.bar").nodes();
    const node = nodes[Math.max(0, Math.min(nodes.length - 1, index))];
    if (node) {
      focused = nodes.indexOf(node);
      nodes.forEach((n, i) =>
        n.setAttribute("tabindex", i === focused ? "0" : "-1"),
      );
      node.focus();
    }
  }

  const resize =
    typeof ResizeObserver === "function" && options.width === undefined
      ? new ResizeObserver(() => render(false))
      : undefined;
  resize?.observe(container);
  render(false);

  return {
    update(next) {
      data = [...next];
      for (const l of [...selection])
        if (!data.some((d) => d.label === l)) selection.delete(l);
      render(true);
    },
    setOptions(next) {
      options = { ...options, ...next };
      if (next.data) data = [...next.data];
      render(true);
    },
    selected: () => [...selection],
    focusBar,
    destroy() {
      resize?.disconnect();
      root.remove();
    },
  };
}
