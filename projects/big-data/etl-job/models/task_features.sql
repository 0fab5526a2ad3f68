-- gold/task_features: one row per created task, the model's training set. Features are what
-- was known when the task was created; `late` is the label. `due_date`, `completed_date` and
-- `deleted` are the label's inputs, not features (a model must not train on them).
WITH created AS (
  SELECT
    task_id, project_id, time_us, event_date, created_at_us, priority, due_date, label_count,
    description_length, has_assignee
  FROM (
    SELECT
      s.*,
      ROW_NUMBER() OVER (
        PARTITION BY task_id ORDER BY time_us, kafka_partition, kafka_offset
      ) AS rn
    FROM stg_task_events s
    WHERE type = 'task.created'
  ) first_creation
  WHERE rn = 1
),
first_completions AS (
  SELECT task_id, MIN(time_us) AS completed_us
  FROM stg_task_events
  WHERE type = 'task.completed'
  GROUP BY task_id
),
life AS (
  SELECT
    c.*,
    k.completed_us,
    st.deleted_us,
    st.completed_date AS final_completed_date,
    CASE
      WHEN k.completed_us IS NULL THEN st.deleted_us
      WHEN st.deleted_us IS NULL OR k.completed_us < st.deleted_us THEN k.completed_us
      ELSE st.deleted_us
    END AS closed_us
  FROM created c
  LEFT JOIN first_completions k ON k.task_id = c.task_id
  LEFT JOIN task_state st ON st.task_id = c.task_id
),
-- A project's timeline: +1 open when a task is created, −1 when it is first completed or
-- deleted, and its completions; read strictly before each creation.
marks AS (
  SELECT project_id, time_us AS t, task_id, 1 AS opened, 0 AS closed, 0 AS completed FROM life
  UNION ALL
  SELECT project_id, closed_us AS t, NULL AS task_id, 0 AS opened, 1 AS closed, 0 AS completed
  FROM life WHERE closed_us IS NOT NULL
  UNION ALL
  SELECT project_id, completed_us AS t, NULL AS task_id, 0 AS opened, 0 AS closed, 1 AS completed
  FROM life WHERE completed_us IS NOT NULL
),
load_at_creation AS (
  SELECT task_id, open_load, throughput_28d
  FROM (
    SELECT
      task_id,
      SUM(opened - closed) OVER (
        PARTITION BY project_id ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
      ) AS open_load,
      SUM(completed) OVER (
        PARTITION BY project_id ORDER BY t RANGE BETWEEN 2419200000000 PRECEDING AND 1 PRECEDING
      ) AS throughput_28d
    FROM marks
  ) timeline
  WHERE task_id IS NOT NULL
)
SELECT
  l.task_id,
  l.project_id,
  l.created_at_us,
  l.event_date AS created_date,
  dayofweek(l.event_date) AS weekday,
  l.priority,
  l.due_date IS NOT NULL AS has_due_date,
  datediff(l.due_date, l.event_date) AS days_until_due,
  l.label_count,
  l.description_length,
  l.has_assignee,
  CAST(COALESCE(a.open_load, 0) AS BIGINT) AS project_open_load,
  CAST(COALESCE(a.throughput_28d, 0) AS BIGINT) AS project_throughput_28d,
  l.due_date,
  l.final_completed_date AS completed_date,
  l.deleted_us IS NOT NULL AS deleted,
  CASE
    WHEN l.due_date IS NULL THEN FALSE
    WHEN l.final_completed_date IS NOT NULL THEN l.final_completed_date > l.due_date
    WHEN l.deleted_us IS NOT NULL THEN FALSE
    ELSE l.due_date < DATE '{{run_date}}'
  END AS late
FROM life l
JOIN load_at_creation a ON a.task_id = l.task_id
