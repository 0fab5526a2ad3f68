import { act } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { barChart, BarChartComponent, type Datum } from "../src/index";

const data: Datum[] = [
  { label: "todo", value: 5 },
  { label: "doing", value: 12 },
  { label: "done", value: 7 },
];

function host(): HTMLElement {
  const el = document.createElement("div");
  document.body.append(el);
  return el;
}

const bars = (el: HTMLElement) => [
  ...el.querySelectorAll<SVGGElement>("g.bar"),
];
const labels = (el: HTMLElement) =>
  bars(el).map((b) => b.getAttribute("aria-label"));

afterEach(() => {
  document.body.innerHTML = "";
});

describe("barChart", () => {
  it("renders one labelled, focusable bar per datum with an accessible name", () => {
    const el = host();
    barChart(el, {
      title: "Tasks by status",
      data,
      width: 400,
      height: 200,
      transitionMs: 0,
    });
    expect(el.querySelector("figcaption")?.textContent).toBe("Tasks by status");
    const svg = el.querySelector("svg")!;
    expect(svg.getAttribute("aria-labelledby")).toBe(
      el.querySelector("figcaption")!.id,
    );
    expect(labels(el)).toEqual(["todo: 5", "doing: 12", "done: 7"]);
    expect(bars(el).map((b) => b.getAttribute("tabindex"))).toEqual([
      "0",
      "-1",
      "-1",
    ]);
    expect(el.querySelector("g.bars")?.getAttribute("role")).toBe("listbox");
  });

  it("sorts, updates and removes bars", () => {
    const el = host();
    const chart = barChart(el, {
      title: "t",
      data,
      sort: "descending",
      width: 400,
      height: 200,
      transitionMs: 0,
    });
    expect(bars(el).map((b) => b.dataset.label)).toEqual([
      "doing",
      "done",
      "todo",
    ]);
    chart.update([
      { label: "done", value: 1 },
      { label: "new", value: 9 },
    ]);
    chart.setOptions({ sort: "label" });
    expect(bars(el).map((b) => b.dataset.label)).toEqual(["done", "new"]);
    chart.destroy();
    expect(el.querySelector("svg")).toBeNull();
  });

  it("clicks report the bar and toggle the filter", () => {
    const el = host();
    const onBarClick = vi.fn();
    const onFilterChange = vi.fn();
    const chart = barChart(el, {
      title: "t",
      data,
      width: 400,
      height: 200,
      onBarClick,
      onFilterChange,
      transitionMs: 0,
    });
    bars(el)[1]!.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(onBarClick).toHaveBeenCalledWith({ label: "doing", value: 12 }, 1);
    expect(onFilterChange).toHaveBeenLastCalledWith(["doing"]);
    expect(chart.selected()).toEqual(["doing"]);
    expect(bars(el)[1]!.getAttribute("aria-selected")).toBe("true");
    expect(labels(el)[1]).toBe("doing: 12 (selected)");
    expect(el.querySelector("[aria-live]")?.textContent).toMatch(
      /doing selected; 1 selected/,
    );
  });

  it("is operable by keyboard: arrows move focus, Enter selects, Escape clears", () => {
    const el = host();
    const onFilterChange = vi.fn();
    barChart(el, {
      title: "t",
      data,
      width: 400,
      height: 200,
      onFilterChange,
      transitionMs: 0,
    });
    const key = (k: string) =>
      document.activeElement!.dispatchEvent(
        new KeyboardEvent("keydown", { key: k, bubbles: true }),
      );
    bars(el)[0]!.focus();
    key("ArrowRight");
    expect(document.activeElement).toBe(bars(el)[1]);
    expect(bars(el).map((b) => b.getAttribute("tabindex"))).toEqual([
      "-1",
      "0",
      "-1",
    ]);
    key("End");
    expect(document.activeElement).toBe(bars(el)[2]);
    key("Enter");
    expect(onFilterChange).toHaveBeenLastCalledWith(["done"]);
    key("Escape");
    expect(onFilterChange).toHaveBeenLastCalledWith([]);
    expect(el.querySelector('[role="tooltip"]')?.textContent).toMatch(
      /done: 7/,
    );
  });

  it("uses design tokens, dark mode and a value format", () => {
    const el = host();
    barChart(el, {
      title: "t",
      data,
      width: 400,
      height: 200,
      dark: true,
      tokens: { bar: "#123456" },
      formatValue: (v) => `${v} tasks`,
      transitionMs: 0,
    });
    expect(bars(el)[0]!.querySelector("rect")!.getAttribute("fill")).toBe(
      "#123456",
    );
    expect(el.querySelector("svg")!.style.background).toBe("rgb(18, 18, 18)");
    expect(labels(el)[0]).toBe("todo: 5 tasks");
  });
});

describe("BarChartComponent (React)", () => {
  it("renders the data of its props and loads from a URL", async () => {
    (
      globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }
    ).IS_REACT_ACT_ENVIRONMENT = true;
    const el = host();
    const root = createRoot(el);
    await act(async () =>
      root.render(
        <BarChartComponent
          title="From props"
          data={data}
          width={400}
          height={200}
          transitionMs={0}
        />,
      ),
    );
    expect(labels(el)).toEqual(["todo: 5", "doing: 12", "done: 7"]);
    await act(async () =>
      root.render(
        <BarChartComponent
          title="From props"
          data={data.slice(0, 1)}
          width={400}
          height={200}
          transitionMs={0}
        />,
      ),
    );
    expect(el.querySelector("figcaption")?.textContent).toBe("From props");

    const fetch = vi.fn(
      async () =>
        new Response("label,value\nx,1\ny,2", {
          headers: { "content-type": "text/csv" },
        }),
    );
    const other = host();
    const root2 = createRoot(other);
    await act(async () =>
      root2.render(
        <BarChartComponent
          title="From a URL"
          src="/v1/analytics.csv"
          load={{ fetch }}
          width={400}
          height={200}
          transitionMs={0}
        />,
      ),
    );
    await act(async () => {
      await new Promise((r) => setTimeout(r, 10));
    });
    expect(fetch).toHaveBeenCalled();
    expect(labels(other)).toEqual(["x: 1", "y: 2"]);
    act(() => {
      root.unmount();
      root2.unmount();
    });
  });
});
