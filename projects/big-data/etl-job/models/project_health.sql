-- gold/project_health: one row per project with live (not deleted) tasks, as of the end of
-- the run's UTC day ({{as_of_us}}).
SELECT
  project_id,
  SUM(CASE WHEN status <> 'done' THEN 1 ELSE 0 END) AS open_tasks,
  SUM(CASE WHEN status <> 'done' AND due_date < DATE '{{run_date}}' THEN 1 ELSE 0 END)
    AS overdue_open_tasks,
  SUM(
    CASE WHEN completed_at_us >= {{as_of_us}} - 604800000000 AND completed_at_us < {{as_of_us}}
    THEN 1 ELSE 0 END
  ) AS completed_last_7d,
  SUM(
    CASE WHEN completed_at_us >= {{as_of_us}} - 2419200000000 AND completed_at_us < {{as_of_us}}
    THEN 1 ELSE 0 END
  ) AS completed_last_28d,
  percentile(
    CASE WHEN status <> 'done' THEN CAST({{as_of_us}} - created_at_us AS DOUBLE) / 8.64e10 END,
    0.5
  ) AS median_open_age_days,
  DATE '{{run_date}}' AS as_of
FROM task_state
WHERE deleted_us IS NULL
GROUP BY project_id
