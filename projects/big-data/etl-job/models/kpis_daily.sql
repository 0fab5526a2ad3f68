-- gold/kpis_daily: one row per project and UTC day with at least one task event.
-- The contract is in the README ("Gold tables"); this file is its implementation.
WITH days AS (
  SELECT
    project_id,
    event_date AS date,
    COUNT(DISTINCT CASE WHEN type = 'task.created' THEN task_id END) AS tasks_created,
    COUNT(DISTINCT CASE WHEN type = 'task.completed' THEN task_id END) AS tasks_completed,
    COUNT(DISTINCT CASE WHEN type = 'task.deleted' THEN task_id END) AS tasks_deleted
  FROM stg_task_events
  GROUP BY project_id, event_date
),
-- The snapshot of each task's last completion of the day.
last_completions AS (
  SELECT project_id, event_date, created_at_us, completed_at_us, completed_date, due_date
  FROM (
    SELECT
      project_id, event_date, created_at_us, completed_at_us, completed_date, due_date,
      ROW_NUMBER() OVER (
        PARTITION BY project_id, event_date, task_id
        ORDER BY time_us DESC, kafka_partition DESC, kafka_offset DESC
      ) AS rn
    FROM stg_task_events
    WHERE type = 'task.completed'
  ) ranked
  WHERE rn = 1
),
cycle AS (
  SELECT
    project_id,
    event_date AS date,
    percentile(CAST(completed_at_us - created_at_us AS DOUBLE) / 3.6e9, 0.5) AS cycle_time_p50_hours,
    percentile(CAST(completed_at_us - created_at_us AS DOUBLE) / 3.6e9, 0.9) AS cycle_time_p90_hours,
    AVG(
      CASE
        WHEN due_date IS NULL THEN NULL
        WHEN completed_date IS NOT NULL AND completed_date <= due_date THEN CAST(1 AS DOUBLE)
        ELSE CAST(0 AS DOUBLE)
      END
    ) AS on_time_rate
  FROM last_completions
  GROUP BY project_id, event_date
)
SELECT
  d.project_id,
  d.date,
  d.tasks_created,
  d.tasks_completed,
  d.tasks_deleted,
  c.cycle_time_p50_hours,
  c.cycle_time_p90_hours,
  c.on_time_rate
FROM days d
LEFT JOIN cycle c ON c.project_id = d.project_id AND c.date = d.date
