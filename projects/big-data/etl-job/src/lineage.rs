//! OpenLineage run events (spec 2-0-2): each step of a run (staging, then every table model)
//! is a job with a START event and a COMPLETE or FAIL event naming its input and output
//! datasets, their schemas and the output's row count. Events go to a JSONL file and, when
//! `OPENLINEAGE_URL` is set, to `<url>/api/v1/lineage` (Marquez's endpoint) over HTTP.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use datafusion::arrow::datatypes::Schema;
use serde_json::{Value, json};

const PRODUCER: &str = concat!(
    "https://github.com/portfolio-platform/portfolio/tree/main/projects/big-data/etl-job/v",
    env!("CARGO_PKG_VERSION")
);
const SCHEMA_URL: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const SCHEMA_FACET: &str =
    "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
const STATS_FACET: &str = "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet";
const ERROR_FACET: &str = "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";

/// Where events go.
#[derive(Debug, Clone, Default)]
pub struct Sink {
    /// Appended one JSON object per line.
    pub file: Option<PathBuf>,
    /// An OpenLineage HTTP endpoint's base URL.
    pub url: Option<String>,
}

/// A dataset: its namespace is the lake root, its name the table.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub schema: Option<Schema>,
    pub rows: Option<usize>,
}

impl Dataset {
    pub fn new(name: &str) -> Dataset {
        Dataset {
            name: name.to_string(),
            schema: None,
            rows: None,
        }
    }
}

/// The emitter of one ETL run.
pub struct Lineage {
    sink: Sink,
    namespace: String,
    pub run_id: String,
    /// Events that could not be delivered (the run goes on; the report lists them).
    pub errors: Vec<String>,
}

impl Lineage {
    pub fn new(sink: Sink, lake: &str) -> Lineage {
        Lineage {
            sink,
            namespace: lake.to_string(),
            run_id: uuid::Uuid::new_v4().to_string(),
            errors: Vec::new(),
        }
    }

    fn dataset(&self, d: &Dataset, output: bool) -> Value {
        let mut facets = serde_json::Map::new();
        if let Some(schema) = &d.schema {
            let fields: Vec<Value> = schema
                .fields()
                .iter()
                .map(|f| json!({"name": f.name(), "type": f.data_type().to_string()}))
                .collect();
            facets.insert(
                "schema".into(),
                json!({"_producer": PRODUCER, "_schemaURL": SCHEMA_FACET, "fields": fields}),
            );
        }
        let mut value = json!({"namespace": self.namespace, "name": d.name, "facets": facets});
        if output && let Some(rows) = d.rows {
            value["outputFacets"] = json!({"outputStatistics": {
                "_producer": PRODUCER, "_schemaURL": STATS_FACET, "rowCount": rows
            }});
        }
        value
    }

    /// The event of `job` (`etl-job.<step>`) in state `event_type`.
    pub fn event(
        &self,
        event_type: &str,
        job: &str,
        inputs: &[Dataset],
        outputs: &[Dataset],
        error: Option<&str>,
    ) -> Value {
        let mut run = json!({"runId": self.run_id, "facets": {}});
        if let Some(message) = error {
            run["facets"]["errorMessage"] = json!({
                "_producer": PRODUCER, "_schemaURL": ERROR_FACET,
                "message": message, "programmingLanguage": "rust"
            });
        }
        json!({
            "eventType": event_type,
            "eventTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "producer": PRODUCER,
            "schemaURL": SCHEMA_URL,
            "run": run,
            "job": {"namespace": "etl-job", "name": format!("etl-job.{job}"), "facets": {}},
            "inputs": inputs.iter().map(|d| self.dataset(d, false)).collect::<Vec<_>>(),
            "outputs": outputs.iter().map(|d| self.dataset(d, true)).collect::<Vec<_>>(),
        })
    }

    /// Sends an event to the file and the endpoint; failures are kept in `errors`.
    pub fn emit(&mut self, event: Value) {
        if let Some(path) = &self.sink.file {
            let line = format!("{event}\n");
            let written = (|| -> std::io::Result<()> {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?
                    .write_all(line.as_bytes())
            })();
            if let Err(e) = written {
                self.errors
                    .push(format!("writing lineage to {}: {e}", path.display()));
            }
        }
        if let Some(url) = &self.sink.url {
            let target = format!("{}/api/v1/lineage", url.trim_end_matches('/'));
            let agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(5)))
                .build()
                .new_agent();
            if let Err(e) = agent
                .post(&target)
                .header("Content-Type", "application/json")
                .send(event.to_string())
            {
                self.errors
                    .push(format!("posting lineage to {target}: {e}"));
            }
        }
    }
}
