-- The last known state of every task: its latest snapshot (by event time, then the higher
-- Kafka partition, then the higher offset) and, when it was deleted, when.
WITH snapshots AS (
  SELECT
    task_id, project_id, status, due_date, created_at_us, completed_at_us, completed_date,
    ROW_NUMBER() OVER (
      PARTITION BY task_id
      ORDER BY time_us DESC, kafka_partition DESC, kafka_offset DESC
    ) AS rn
  FROM stg_task_events
  WHERE type <> 'task.deleted'
),
deletions AS (
  SELECT task_id, MIN(time_us) AS deleted_us
  FROM stg_task_events
  WHERE type = 'task.deleted'
  GROUP BY task_id
)
SELECT
  s.task_id, s.project_id, s.status, s.due_date, s.created_at_us, s.completed_at_us,
  s.completed_date, d.deleted_us
FROM snapshots s
LEFT JOIN deletions d ON d.task_id = s.task_id
WHERE s.rn = 1
