import { useEffect, useState } from "react";
import { BarChartComponent } from "@portfolio/d3-interactive-bar-chart";
import type { Analytics, Api, FlagSet, Kpis, Task } from "./api";
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
      <DailyKpis api={api} projectId={projectId} dark={dark} />
    </section>
  );
}

/**
 * The lake's daily KPIs (`GET /v1/projects/{id}/kpis`, etl-job's `gold/kpis_daily`) for the
 * last 30 days. They trail the live numbers above by up to a minute (the ETL's schedule), so
 * they are polled every 30 seconds while the view is open.
 */
function DailyKpis({
  api,
  projectId,
  dark,
}: {
  api: Api;
  projectId: string;
  dark: true | undefined;
}) {
  const t = useT();
  const [kpis, setKpis] = useState<Kpis | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let gone = false;
    const load = () =>
      api
        .get<Kpis>(`/v1/projects/${projectId}/kpis`)
        .then((k) => !gone && (setKpis(k), setError(null)))
        .catch((e: Error) => !gone && setError(e.message));
    void load();
    const timer = setInterval(load, 30_000);
    return () => {
      gone = true;
      clearInterval(timer);
    };
  }, [api, projectId]);
  if (error) return <p role="alert">{error}</p>;
  if (!kpis) return <p>{t.loading}</p>;
  const days = kpis.days;
  const withDue = days.filter((d) => d.on_time_rate !== null);
  const latest = [...days]
    .reverse()
    .find((d) => d.cycle_time_p50_hours !== null);
  return (
    <section aria-labelledby="daily-kpis-h" className="daily-kpis">
      <h4 id="daily-kpis-h">{t.dailyKpis}</h4>
      {days.length === 0 ? (
        <p data-empty="kpis">{t.noKpisYet}</p>
      ) : (
        <>
          <dl className="kpis">
            {withDue.length > 0 && (
              <Kpi
                id="on-time-rate"
                term={t.onTimeRate}
                value={`${Math.round(
                  (withDue.reduce((s, d) => s + (d.on_time_rate ?? 0), 0) /
                    withDue.length) *
                    100,
                )} %`}
              />
            )}
            {latest && (
              <Kpi
                id="cycle-p50"
                term={t.cycleP50}
                value={t.hours(latest.cycle_time_p50_hours!)}
              />
            )}
          </dl>
          <div className="chart" data-chart="per-day">
            <BarChartComponent
              title={t.completedPerDay}
              data={days.map((d) => ({
                label: d.date.slice(5),
                value: d.tasks_completed,
              }))}
              height={240}
              dark={dark}
            />
          </div>
        </>
      )}
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
