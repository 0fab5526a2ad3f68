import { barChart, parseCsv, type Datum } from "../src/index";

const statuses = ["todo", "doing", "review", "done", "blocked"];
const random = (): Datum[] =>
  statuses.map((label) => ({ label, value: Math.round(Math.random() * 40) }));

const filter = document.querySelector("#filter")!;
let orientation: "vertical" | "horizontal" = "vertical";
const tasks = barChart(document.querySelector<HTMLElement>("#tasks")!, {
  title: "Tasks by status",
  description: "Open tasks of all projects, by status.",
  data: random(),
  sort: "descending",
  onFilterChange: (labels) => {
    filter.textContent = `Selected: ${labels.length ? labels.join(", ") : "none"}`;
  },
});
document
  .querySelector("#shuffle")!
  .addEventListener("click", () => tasks.update(random()));
document.querySelector("#flip")!.addEventListener("click", () => {
  orientation = orientation === "vertical" ? "horizontal" : "vertical";
  tasks.setOptions({ orientation });
});

barChart(document.querySelector<HTMLElement>("#csv")!, {
  title: "Completed per week",
  dark: true,
  data: parseCsv("label,value\nW40,12\nW41,18\nW42,9\nW43,21\n"),
  formatValue: (v) => `${v} tasks`,
});
