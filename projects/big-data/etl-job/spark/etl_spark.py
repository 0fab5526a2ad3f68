"""etl-job's SQL models on Spark SQL (written by `etl-job export-spark`).

The models' SQL files beside this script are the ones etl-job runs on DataFusion; only the
staging view (bronze's JSON into typed columns) is this engine's own, built here with
`from_json`. Usage:

    python etl_spark.py --lake LAKE_FOLDER --out OUT_FOLDER [--run-date YYYY-MM-DD] [--master local[2]]

Reads the Delta tables of a local lake through their transaction logs (JSON commits and
Parquet checkpoints) and writes each gold table as Parquet under OUT_FOLDER/<table>. On a
cluster with delta-spark, pass --delta to read and write Delta tables instead.
"""

import argparse
import datetime
import glob
import json
import os
import sys
import time
import tomllib

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

TASK_TYPES = ["task.created", "task.updated", "task.completed", "task.deleted"]

EVENT_SCHEMA = (
    "struct<data:struct<"
    "task:struct<id:string,status:string,priority:string,due_date:string,description:string,"
    "assignee_id:string,labels:array<string>,created_at:string,completed_at:string>,"
    "task_id:string>>"
)


def live_files(spark, table):
    """The data files of a Delta table's latest version, from its transaction log."""
    log = os.path.join(table, "_delta_log")
    if not os.path.isdir(log):
        sys.exit(f"error: {table} is not a Delta table (no _delta_log)")
    live = {}
    start = -1
    last = os.path.join(log, "_last_checkpoint")
    if os.path.exists(last):
        with open(last) as f:
            start = json.load(f)["version"]
        parts = sorted(glob.glob(os.path.join(log, f"{start:020d}.checkpoint*.parquet")))
        for row in spark.read.parquet(*parts).where("add IS NOT NULL").select("add.path").collect():
            live[row.path] = True
    for path in sorted(glob.glob(os.path.join(log, "*.json"))):
        version = int(os.path.basename(path).split(".")[0])
        if version <= start:
            continue
        with open(path) as f:
            for line in f:
                action = json.loads(line)
                if "add" in action:
                    live[action["add"]["path"]] = True
                elif "remove" in action:
                    live.pop(action["remove"]["path"], None)
    from urllib.parse import unquote

    return [os.path.join(table, unquote(p)) for p in live]


def read_delta(spark, table, use_delta):
    if use_delta:
        return spark.read.format("delta").load(table)
    files = live_files(spark, table)
    if not files:
        sys.exit(f"error: {table} has no data files")
    return spark.read.parquet(*files)


def staging(bronze):
    """bronze/task_events -> stg_task_events, the columns etl-job's staging table has."""
    ev = bronze.where(F.col("type").isin(TASK_TYPES)).withColumn(
        "j", F.from_json("event", EVENT_SCHEMA)
    )
    task = F.col("j.data.task")
    has_task = task.isNotNull()
    created = F.col("j.data.task.created_at").cast("timestamp")
    completed = F.col("j.data.task.completed_at").cast("timestamp")
    return ev.select(
        F.col("event_id"),
        F.col("type"),
        F.unix_micros(F.col("time")).alias("time_us"),
        F.to_date(F.col("time")).alias("event_date"),
        F.col("project_id"),
        F.col("kafka_partition").cast("int").alias("kafka_partition"),
        F.col("kafka_offset").cast("long").alias("kafka_offset"),
        F.coalesce(F.col("j.data.task.id"), F.col("j.data.task_id")).alias("task_id"),
        F.unix_micros(created).alias("created_at_us"),
        F.unix_micros(completed).alias("completed_at_us"),
        F.to_date(completed).alias("completed_date"),
        F.col("j.data.task.due_date").cast("date").alias("due_date"),
        F.col("j.data.task.priority").alias("priority"),
        F.col("j.data.task.status").alias("status"),
        F.when(has_task, F.size(F.col("j.data.task.labels"))).alias("label_count"),
        F.when(has_task, F.coalesce(F.length(F.col("j.data.task.description")), F.lit(0))).alias(
            "description_length"
        ),
        F.when(has_task, F.col("j.data.task.assignee_id").isNotNull()).alias("has_assignee"),
    )


def render(sql, run_date):
    next_day = run_date + datetime.timedelta(days=1)
    as_of = datetime.datetime(next_day.year, next_day.month, next_day.day, tzinfo=datetime.timezone.utc)
    as_of_us = int(as_of.timestamp()) * 1_000_000
    return sql.replace("{{run_date}}", run_date.isoformat()).replace("{{as_of_us}}", str(as_of_us))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lake", required=True, help="the lake folder (holds bronze/task_events)")
    ap.add_argument("--out", required=True, help="where the gold tables go (one folder each)")
    ap.add_argument("--run-date", default=datetime.datetime.now(datetime.timezone.utc).date().isoformat())
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--models", default=os.path.join(here, "models"))
    ap.add_argument("--delta", action="store_true", help="read and write Delta (needs delta-spark)")
    ap.add_argument("--driver-memory", default="3g")
    args = ap.parse_args()
    run_date = datetime.date.fromisoformat(args.run_date)

    started = time.time()
    spark = (
        SparkSession.builder.master(args.master)
        .appName("etl-job-spark")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    bronze = read_delta(spark, os.path.join(args.lake, "bronze", "task_events"), args.delta)
    staging(bronze).createOrReplaceTempView("stg_task_events")

    with open(os.path.join(args.models, "models.toml"), "rb") as f:
        manifest = tomllib.load(f)
    summary = []
    for model in manifest["model"]:
        with open(os.path.join(args.models, model["name"] + ".sql")) as f:
            sql = render(f.read(), run_date)
        df = spark.sql(sql)
        if model["materialized"] == "view":
            df.createOrReplaceTempView(model["name"])
            continue
        out = os.path.join(args.out, model["table"])
        t = time.time()
        writer = df.orderBy(*model["key"]).write.mode("overwrite")
        if args.delta:
            writer.format("delta").save(out)
        else:
            writer.parquet(out)
        summary.append({"table": model["table"], "seconds": round(time.time() - t, 3)})
    print(json.dumps({"engine": "spark", "seconds": round(time.time() - started, 3), "tables": summary}))
    spark.stop()


if __name__ == "__main__":
    main()
