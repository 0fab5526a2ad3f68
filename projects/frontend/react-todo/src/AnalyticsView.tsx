import { useEffect, useState } from "react";
import { BarChartComponent } from "@portfolio/d3-interactive-bar-chart";
import type { Analytics, Api, FlagSet, Task } from "./api";
import { useT } from "./i18n";

/**
 * The project's analytics from `GET /v1/projects/{id}/analytics`, drawn with the bar chart
 * package (loaded on demand: D3 is not part of the app's first download). Reloads when the
 * tasks change (`version`). The median cycle time shows only when the `analytics.cycle-time`
 * flag is on.
 */
export default function AnalyticsView({
  api,
  projectId,
  flags,
  version,
}: {
  api: Api;
  projectId: string;
  flags: FlagSet["flags"];
  version: readonly Task[];
}) {
  const t = useT();
  const [data, setData] = useState<Analytics | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let gone = false;
    api
      .get<Analytics>(`/v1/projects/${projectId}/analytics`)
      .then((a) => !gone && (setData(a), setError(null)))
      .catch((e: Error) => !gone && setError(e.message));
    return () => {
      gone = true;
    };
  }, [api, projectId, version]);
  if (error) return <p role="alert">{error}</p>;
  if (!data) return <p>{t.loading}</p>;
  const byStatus = (["todo", "in_progress", "done"] as const).map((s) => ({
    label: t[s],
    value: data.by_status[s] ?? 0,
  }));
  const weeks = data.completed_per_week.map((w) => ({
    label: w.week,
    value: w.completed,
  }));
  const dark =
    document.documentElement.dataset.theme === "dark" ? true : undefined;
  return (
    <section aria-labelledby="analytics-h" className="analytics">
      <h3 id="analytics-h">{t.analytics}</h3>
      <dl className="kpis">
        <Kpi id="total" term={t.total} value={data.total} />
        <Kpi
          id="completion-rate"
          term={t.completionRate}
          value={`${Math.round(data.completion_rate * 100)} %`}
        />
        <Kpi id="overdue" term={t.overdueTasks} value={data.overdue} />
        {flags["analytics.cycle-time"] &&
          data.median_cycle_time_hours !== null && (
            <Kpi
              id="median-cycle-time"
              term={t.medianCycle}
              value={t.hours(data.median_cycle_time_hours)}
            />
          )}
      </dl>
      <div className="chart" data-chart="by-status">
        <BarChartComponent
          title={t.tasksByStatus}
          data={byStatus}
          height={240}
          dark={dark}
        />
      </div>
      <div className="chart" data-chart="per-week">
        <BarChartComponent
          title={t.completedPerWeek}
          data={weeks}
          height={240}
          dark={dark}
        />
      </div>
    </section>
  );
}

function Kpi({
  id,
  term,
  value,
}: {
  id: string;
  term: string;
  value: string | number;
}) {
  return (
    <div>
      <dt>{term}</dt>
      <dd data-kpi={id}>{value}</dd>
    </div>
  );
}
