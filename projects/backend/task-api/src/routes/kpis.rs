//! `GET /v1/projects/{id}/kpis`: a project's daily KPIs from the lake's `gold/kpis_daily`
//! (written by etl-job every minute under `portfolio up`), for the project's members only.
//!
//! The table is small (projects × days); it is read whole and kept in memory, and looked at
//! again at most every [`RECHECK`]: a new table version is read, an unchanged one is not.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use lake::deltalake::arrow::array::{Array, AsArray, RecordBatch};
use lake::deltalake::arrow::datatypes::{Date32Type, Float64Type, Int64Type};
use serde::{Deserialize, Serialize};
use tasks_domain::Checks;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Actor;
use crate::extract::{Path, Query};
use crate::problem::{ApiResult, Problem};

/// The table etl-job writes.
pub const TABLE: &str = "gold/kpis_daily";
/// How long a read of the table is used before its version is looked at again.
pub const RECHECK: Duration = Duration::from_secs(5);
/// The longest range one request may ask for.
pub const MAX_DAYS: i64 = 366;

/// One project's KPIs of one day (the columns of `gold/kpis_daily`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KpiDay {
    pub date: NaiveDate,
    pub tasks_created: i64,
    pub tasks_completed: i64,
    pub tasks_deleted: i64,
    pub cycle_time_p50_hours: Option<f64>,
    pub cycle_time_p90_hours: Option<f64>,
    pub on_time_rate: Option<f64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KpisView {
    project_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    /// The Delta table version read; null while the ETL has not written the table yet.
    table_version: Option<u64>,
    /// Days with task activity in the range, oldest first (days without any are absent).
    days: Vec<KpiDay>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KpiParams {
    /// First day (UTC), default 29 days before `to`.
    #[serde(default)]
    from: Option<NaiveDate>,
    /// Last day (UTC), default today.
    #[serde(default)]
    to: Option<NaiveDate>,
}

#[derive(Default)]
struct Cached {
    version: Option<u64>,
    checked: Option<Instant>,
    rows: Arc<Vec<(String, KpiDay)>>,
}

/// The lake's KPI table as the API reads it.
pub struct GoldKpis {
    lake: String,
    cached: Mutex<Cached>,
}

impl GoldKpis {
    pub fn new(lake: &str) -> GoldKpis {
        GoldKpis {
            lake: lake::resolve(lake),
            cached: Mutex::new(Cached::default()),
        }
    }

    /// Every row, with the table version (None: no table yet).
    async fn rows(&self) -> anyhow::Result<(Option<u64>, Arc<Vec<(String, KpiDay)>>)> {
        let mut cached = self.cached.lock().await;
        if cached.checked.is_some_and(|t| t.elapsed() < RECHECK) {
            return Ok((cached.version, cached.rows.clone()));
        }
        let table = lake::open_existing(&self.lake, TABLE).await?;
        let version = table.as_ref().and_then(|t| t.version());
        if version != cached.version || cached.checked.is_none() {
            let rows = match &table {
                Some(t) => read(t).await?,
                None => Vec::new(),
            };
            cached.rows = Arc::new(rows);
            cached.version = version;
        }
        cached.checked = Some(Instant::now());
        Ok((cached.version, cached.rows.clone()))
    }
}

async fn read(table: &lake::deltalake::DeltaTable) -> anyhow::Result<Vec<(String, KpiDay)>> {
    let columns = [
        "project_id",
        "date",
        "tasks_created",
        "tasks_completed",
        "tasks_deleted",
        "cycle_time_p50_hours",
        "cycle_time_p90_hours",
        "on_time_rate",
    ];
    let batches = lake::read_columns(table, &columns).await?;
    let mut out = Vec::new();
    for b in &batches {
        out.extend(rows_of(b)?);
    }
    Ok(out)
}

fn rows_of(b: &RecordBatch) -> anyhow::Result<Vec<(String, KpiDay)>> {
    let project = b
        .column(0)
        .as_string_opt::<i32>()
        .ok_or_else(|| anyhow::anyhow!("{TABLE}: project_id is not a string column"))?;
    let date = b
        .column(1)
        .as_primitive_opt::<Date32Type>()
        .ok_or_else(|| anyhow::anyhow!("{TABLE}: date is not a date column"))?;
    let int = |i: usize| {
        b.column(i).as_primitive_opt::<Int64Type>().ok_or_else(|| {
            anyhow::anyhow!(
                "{TABLE}: {} is not a bigint column",
                b.schema().field(i).name()
            )
        })
    };
    let float = |i: usize| {
        b.column(i)
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{TABLE}: {} is not a double column",
                    b.schema().field(i).name()
                )
            })
    };
    let (created, completed, deleted) = (int(2)?, int(3)?, int(4)?);
    let (p50, p90, on_time) = (float(5)?, float(6)?, float(7)?);
    let opt = |a: &lake::deltalake::arrow::array::Float64Array, i: usize| {
        (!a.is_null(i)).then(|| a.value(i))
    };
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let mut out = Vec::with_capacity(b.num_rows());
    for i in 0..b.num_rows() {
        if project.is_null(i) || date.is_null(i) {
            continue;
        }
        out.push((
            project.value(i).to_string(),
            KpiDay {
                date: epoch + chrono::Duration::days(i64::from(date.value(i))),
                tasks_created: created.value(i),
                tasks_completed: completed.value(i),
                tasks_deleted: deleted.value(i),
                cycle_time_p50_hours: opt(p50, i),
                cycle_time_p90_hours: opt(p90, i),
                on_time_rate: opt(on_time, i),
            },
        ));
    }
    Ok(out)
}

#[utoipa::path(get, path = "/v1/projects/{id}/kpis", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project id"), KpiParams),
    responses((status = 200, body = KpisView), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn kpis(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    Query(p): Query<KpiParams>,
) -> ApiResult<Json<KpisView>> {
    let to = p.to.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let from = p.from.unwrap_or(to - chrono::Duration::days(29));
    let mut c = Checks::default();
    if from > to {
        c.fail("from", format!("must not be after `to` ({to})"));
    } else if (to - from).num_days() >= MAX_DAYS {
        c.fail("from", format!("the range is at most {MAX_DAYS} days"));
    }
    c.finish(())?;
    // Members only: a non-member gets the same 404 as for a project that does not exist.
    state.store.project(actor.user_id, id).await?;
    let (table_version, rows) = state.kpis.rows().await.map_err(|e| {
        tracing::error!(error = %format!("{e:#}"), table = TABLE, "reading the KPI table failed");
        Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "KPIs unavailable",
            "the KPI table could not be read; try again shortly",
        )
    })?;
    let project = id.to_string();
    let mut days: Vec<KpiDay> = rows
        .iter()
        .filter(|(p, d)| *p == project && d.date >= from && d.date <= to)
        .map(|(_, d)| d.clone())
        .collect();
    days.sort_by_key(|d| d.date);
    Ok(Json(KpisView {
        project_id: id,
        from,
        to,
        table_version,
        days,
    }))
}
