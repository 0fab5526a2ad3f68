//! The training data: `gold/task_features` read from the lake (or the same columns from a
//! CSV file), typed by the contract, turned into the model's numeric matrix, and split by
//! creation time.
//!
//! A row's label is *settled* when its outcome is known on the data's last day: a task that
//! is still open, not deleted, and due on or after that day may yet be late or not, so it
//! neither trains nor tests the model (it is counted in the validation report).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use lake::deltalake::arrow::array::{Array, ArrayRef, AsArray};
use lake::deltalake::arrow::compute::cast;
use lake::deltalake::arrow::datatypes::{DataType, Date32Type, Float64Type};
use serde::Serialize;

/// The model's features, in matrix order: what is known when a task is created.
pub const FEATURES: [&str; 9] = [
    "weekday",
    "priority",
    "has_due_date",
    "days_until_due",
    "label_count",
    "description_length",
    "has_assignee",
    "project_open_load",
    "project_throughput_28d",
];

/// The label's inputs: columns of the table that must never be features.
pub const LEAKAGE: [&str; 3] = ["due_date", "completed_date", "deleted"];

/// The label.
pub const LABEL: &str = "late";

/// The API's priorities, in the order the model encodes them (0 = low).
pub const PRIORITIES: [&str; 4] = ["low", "medium", "high", "urgent"];

/// A column's type in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    Number,
    Bool,
    Date,
}

/// The contract's columns and their types, in the table's order.
pub const SCHEMA: [(&str, Kind); 17] = [
    ("task_id", Kind::Text),
    ("project_id", Kind::Text),
    ("created_at_us", Kind::Number),
    ("created_date", Kind::Date),
    ("weekday", Kind::Number),
    ("priority", Kind::Text),
    ("has_due_date", Kind::Bool),
    ("days_until_due", Kind::Number),
    ("label_count", Kind::Number),
    ("description_length", Kind::Number),
    ("has_assignee", Kind::Bool),
    ("project_open_load", Kind::Number),
    ("project_throughput_28d", Kind::Number),
    ("due_date", Kind::Date),
    ("completed_date", Kind::Date),
    ("deleted", Kind::Bool),
    ("late", Kind::Bool),
];

/// One column's values (null = `None`); dates are days since 1970-01-01.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Text(Vec<Option<String>>),
    Number(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<i32>>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Text(v) => v.len(),
            Column::Number(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Date(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn kind(&self) -> Kind {
        match self {
            Column::Text(_) => Kind::Text,
            Column::Number(_) => Kind::Number,
            Column::Bool(_) => Kind::Bool,
            Column::Date(_) => Kind::Date,
        }
    }

    pub fn nulls(&self) -> usize {
        match self {
            Column::Text(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Number(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Bool(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Date(v) => v.iter().filter(|x| x.is_none()).count(),
        }
    }

    /// The value as a number for the model and the drift bins (null: NaN).
    fn number(&self, i: usize) -> f64 {
        match self {
            Column::Number(v) => v[i].unwrap_or(f64::NAN),
            Column::Bool(v) => v[i].map_or(f64::NAN, |b| f64::from(u8::from(b))),
            Column::Date(v) => v[i].map_or(f64::NAN, f64::from),
            Column::Text(v) => v[i]
                .as_deref()
                .and_then(|p| PRIORITIES.iter().position(|x| *x == p))
                .map_or(f64::NAN, |p| p as f64),
        }
    }
}

/// A value that does not have its column's type (a CSV cell; Arrow columns are typed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadValue {
    pub column: String,
    /// 1-based data row (the CSV header is row 0).
    pub row: usize,
    pub value: String,
    pub expected: Kind,
}

/// The source's columns as read, before the contract judges them.
#[derive(Debug, Clone, Default)]
pub struct RawTable {
    /// Where it came from (`lake/gold/task_features v7`, `features.csv`).
    pub source: String,
    pub columns: BTreeMap<String, Column>,
    /// Column order as found.
    pub order: Vec<String>,
    pub bad_values: Vec<BadValue>,
    pub rows: usize,
}

impl RawTable {
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.columns.get(name)
    }
}

/// Reads `table` under the lake root `lake`: every column of its schema, typed from Arrow.
pub async fn read_lake(lake: &str, table: &str) -> anyhow::Result<RawTable> {
    let t = lake::open_existing(lake, table).await?.ok_or_else(|| {
        anyhow::anyhow!("{table} does not exist under {lake}: run `etl-job run` first")
    })?;
    let names: Vec<String> = t
        .snapshot()?
        .schema()
        .fields()
        .map(|f| f.name().to_string())
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let batches = lake::read_columns(&t, &refs).await?;
    let mut raw = RawTable {
        source: format!("{lake}/{table} v{}", t.version().unwrap_or_default()),
        order: names.clone(),
        ..RawTable::default()
    };
    for (i, name) in names.iter().enumerate() {
        let arrays: Vec<&ArrayRef> = batches.iter().map(|b| b.column(i)).collect();
        raw.columns.insert(name.clone(), from_arrow(name, &arrays)?);
    }
    raw.rows = batches.iter().map(|b| b.num_rows()).sum();
    Ok(raw)
}

fn from_arrow(name: &str, arrays: &[&ArrayRef]) -> anyhow::Result<Column> {
    let Some(first) = arrays.first() else {
        return Ok(Column::Number(vec![]));
    };
    let err = |e| anyhow::anyhow!("column {name}: {e}");
    Ok(match first.data_type() {
        DataType::Boolean => Column::Bool(
            arrays
                .iter()
                .flat_map(|a| a.as_boolean().iter().collect::<Vec<_>>())
                .collect(),
        ),
        DataType::Date32 => Column::Date(
            arrays
                .iter()
                .flat_map(|a| a.as_primitive::<Date32Type>().iter().collect::<Vec<_>>())
                .collect(),
        ),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let mut out = Vec::new();
            for a in arrays {
                let s = cast(a, &DataType::Utf8).map_err(err)?;
                out.extend(s.as_string::<i32>().iter().map(|v| v.map(str::to_string)));
            }
            Column::Text(out)
        }
        t if t.is_numeric() || matches!(t, DataType::Timestamp(..)) => {
            let mut out = Vec::new();
            for a in arrays {
                let a = if matches!(a.data_type(), DataType::Timestamp(..)) {
                    cast(a, &DataType::Int64).map_err(err)?
                } else {
                    (*a).clone()
                };
                let f = cast(&a, &DataType::Float64).map_err(err)?;
                out.extend(f.as_primitive::<Float64Type>().iter());
            }
            Column::Number(out)
        }
        other => {
            // Kept as text so the contract can name the column and its type.
            let mut out = Vec::new();
            for a in arrays {
                let s = cast(a, &DataType::Utf8)
                    .map_err(|e| anyhow::anyhow!("column {name} of type {other}: {e}"))?;
                out.extend(s.as_string::<i32>().iter().map(|v| v.map(str::to_string)));
            }
            Column::Text(out)
        }
    })
}

/// Reads a CSV file with a header row: contract columns are parsed by their type (a cell
/// that does not parse is a [`BadValue`], read as null); other columns are kept as text.
pub fn read_csv(path: &Path) -> anyhow::Result<RawTable> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let kinds: Vec<Kind> = headers
        .iter()
        .map(|h| {
            SCHEMA
                .iter()
                .find(|(n, _)| n == h)
                .map_or(Kind::Text, |(_, k)| *k)
        })
        .collect();
    let mut cols: Vec<Column> = kinds
        .iter()
        .map(|k| match k {
            Kind::Text => Column::Text(vec![]),
            Kind::Number => Column::Number(vec![]),
            Kind::Bool => Column::Bool(vec![]),
            Kind::Date => Column::Date(vec![]),
        })
        .collect();
    let mut bad = Vec::new();
    let mut rows = 0;
    for (r, record) in reader.records().enumerate() {
        let record = record.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        rows += 1;
        for (c, col) in cols.iter_mut().enumerate() {
            let cell = record.get(c).unwrap_or("").trim();
            let mut mark = |expected| {
                bad.push(BadValue {
                    column: headers[c].clone(),
                    row: r + 1,
                    value: cell.to_string(),
                    expected,
                })
            };
            match col {
                Column::Text(v) => v.push((!cell.is_empty()).then(|| cell.to_string())),
                Column::Number(v) => v.push(if cell.is_empty() {
                    None
                } else {
                    match cell.parse::<f64>() {
                        Ok(x) if x.is_finite() => Some(x),
                        _ => {
                            mark(Kind::Number);
                            None
                        }
                    }
                }),
                Column::Bool(v) => v.push(match cell {
                    "" => None,
                    "true" | "1" => Some(true),
                    "false" | "0" => Some(false),
                    _ => {
                        mark(Kind::Bool);
                        None
                    }
                }),
                Column::Date(v) => v.push(if cell.is_empty() {
                    None
                } else {
                    match NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
                        Ok(d) => Some(days(d)),
                        Err(_) => {
                            mark(Kind::Date);
                            None
                        }
                    }
                }),
            }
        }
    }
    Ok(RawTable {
        source: path.display().to_string(),
        columns: headers.iter().cloned().zip(cols).collect(),
        order: headers,
        bad_values: bad,
        rows,
    })
}

/// Days since 1970-01-01.
pub fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

/// The date of a day number.
pub fn date(days: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(days.into())
}

/// Which part of the time-ordered data a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Train,
    Validation,
    Test,
}

/// The model's view of the data: settled rows in creation order, as a column-major matrix.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub task_id: Vec<String>,
    pub created_us: Vec<i64>,
    pub created_date: Vec<i32>,
    /// Column-major: `matrix[f * rows + i]`, NaN for null.
    pub matrix: Vec<f64>,
    pub label: Vec<f64>,
    pub rows: usize,
    /// Rows left out because their outcome is not known yet.
    pub unsettled: usize,
    /// The data's last day (the day outcomes are judged on).
    pub as_of: i32,
}

impl Dataset {
    /// The settled rows of a table that passed the contract, sorted by (creation time,
    /// task id) so that the split and the hash do not depend on file order.
    pub fn from_raw(raw: &RawTable) -> anyhow::Result<Dataset> {
        Self::rows_of(raw, true)
    }

    /// Every row, outcome known or not (drift compares inputs, not outcomes).
    pub fn all_rows(raw: &RawTable) -> anyhow::Result<Dataset> {
        Self::rows_of(raw, false)
    }

    fn rows_of(raw: &RawTable, settled_only: bool) -> anyhow::Result<Dataset> {
        let col = |n: &str| {
            raw.get(n)
                .ok_or_else(|| anyhow::anyhow!("{}: no column {n}", raw.source))
        };
        let Column::Date(created) = col("created_date")? else {
            anyhow::bail!("{}: created_date is not a date", raw.source);
        };
        let as_of = created.iter().flatten().copied().max().unwrap_or(0);
        let settled = if settled_only {
            settled_rows(raw, as_of)?
        } else {
            vec![true; raw.rows]
        };
        let Column::Number(created_us) = col("created_at_us")? else {
            anyhow::bail!("{}: created_at_us is not a number", raw.source);
        };
        let Column::Text(ids) = col("task_id")? else {
            anyhow::bail!("{}: task_id is not text", raw.source);
        };
        let mut rows: Vec<usize> = (0..raw.rows).filter(|&i| settled[i]).collect();
        rows.sort_by(|&a, &b| {
            created_us[a]
                .unwrap_or(0.0)
                .total_cmp(&created_us[b].unwrap_or(0.0))
                .then_with(|| ids[a].cmp(&ids[b]))
        });
        let n = rows.len();
        let mut matrix = Vec::with_capacity(n * FEATURES.len());
        for f in FEATURES {
            let c = col(f)?;
            matrix.extend(rows.iter().map(|&i| c.number(i)));
        }
        let Column::Bool(late) = col(LABEL)? else {
            anyhow::bail!("{}: late is not a boolean", raw.source);
        };
        Ok(Dataset {
            task_id: rows
                .iter()
                .map(|&i| ids[i].clone().unwrap_or_default())
                .collect(),
            created_us: rows
                .iter()
                .map(|&i| created_us[i].unwrap_or(0.0) as i64)
                .collect(),
            created_date: rows.iter().map(|&i| created[i].unwrap_or(0)).collect(),
            matrix,
            label: rows
                .iter()
                .map(|&i| f64::from(u8::from(late[i].unwrap_or(false))))
                .collect(),
            rows: n,
            unsettled: raw.rows - n,
            as_of,
        })
    }

    /// Feature `f`'s values (all rows).
    pub fn feature(&self, f: usize) -> &[f64] {
        &self.matrix[f * self.rows..(f + 1) * self.rows]
    }

    /// The row ranges of the time-based split.
    pub fn split(&self, train_share: f64, validation_share: f64) -> Split {
        let a = ((self.rows as f64) * train_share).round() as usize;
        let b = ((self.rows as f64) * (train_share + validation_share)).round() as usize;
        Split {
            train: 0..a.min(self.rows),
            validation: a.min(self.rows)..b.min(self.rows),
            test: b.min(self.rows)..self.rows,
        }
    }

    /// A copy of rows `range` (column-major again).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Dataset {
        let mut matrix = Vec::with_capacity(range.len() * FEATURES.len());
        for f in 0..FEATURES.len() {
            matrix.extend_from_slice(&self.feature(f)[range.clone()]);
        }
        Dataset {
            task_id: self.task_id[range.clone()].to_vec(),
            created_us: self.created_us[range.clone()].to_vec(),
            created_date: self.created_date[range.clone()].to_vec(),
            matrix,
            label: self.label[range.clone()].to_vec(),
            rows: range.len(),
            unsettled: 0,
            as_of: self.as_of,
        }
    }

    /// The rows created on or after day `from`.
    pub fn since(&self, from: i32) -> Dataset {
        let start = self.created_date.partition_point(|&d| d < from);
        self.slice(start..self.rows)
    }

    /// BLAKE3 of the rows (ids, features, labels) in order: the data a model saw.
    pub fn hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        for (i, id) in self.task_id.iter().enumerate() {
            h.update(id.as_bytes());
            for f in 0..FEATURES.len() {
                h.update(&self.matrix[f * self.rows + i].to_le_bytes());
            }
            h.update(&self.label[i].to_le_bytes());
        }
        h.finalize().to_hex().to_string()
    }

    /// First and last creation day.
    pub fn window(&self) -> Option<(NaiveDate, NaiveDate)> {
        Some((
            date(*self.created_date.first()?),
            date(*self.created_date.last()?),
        ))
    }
}

/// Which rows have a known outcome on day `as_of` (see the module's doc).
fn settled_rows(raw: &RawTable, as_of: i32) -> anyhow::Result<Vec<bool>> {
    let (Some(Column::Date(due)), Some(Column::Date(done)), Some(Column::Bool(deleted))) = (
        raw.get("due_date"),
        raw.get("completed_date"),
        raw.get("deleted"),
    ) else {
        anyhow::bail!(
            "{}: due_date, completed_date (dates) and deleted (boolean) decide whether a row's outcome is known",
            raw.source
        );
    };
    Ok((0..raw.rows)
        .map(|i| {
            let open = done[i].is_none() && !deleted[i].unwrap_or(false);
            !(open && due[i].is_some_and(|d| d >= as_of))
        })
        .collect())
}

/// The time-ordered parts as row ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: std::ops::Range<usize>,
    pub validation: std::ops::Range<usize>,
    pub test: std::ops::Range<usize>,
}

impl Split {
    pub fn part(&self, i: usize) -> Part {
        if self.train.contains(&i) {
            Part::Train
        } else if self.validation.contains(&i) {
            Part::Validation
        } else {
            Part::Test
        }
    }
}

/// Writes the contract's columns as CSV (the format `--csv` reads back).
pub fn write_csv(raw: &RawTable, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(&raw.order)?;
    for i in 0..raw.rows {
        let cells: Vec<String> = raw
            .order
            .iter()
            .map(|n| match &raw.columns[n] {
                Column::Text(v) => v[i].clone().unwrap_or_default(),
                Column::Number(v) => v[i].map(|x| x.to_string()).unwrap_or_default(),
                Column::Bool(v) => v[i].map(|b| b.to_string()).unwrap_or_default(),
                Column::Date(v) => v[i].map(|d| date(d).to_string()).unwrap_or_default(),
            })
            .collect();
        w.write_record(&cells)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the model's matrix with the label and each row's part (the baseline's input).
pub fn write_matrix_csv(
    ds: &Dataset,
    split: &Split,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = FEATURES.to_vec();
    header.extend([LABEL, "part"]);
    w.write_record(&header)?;
    let mut cells = Vec::with_capacity(header.len());
    for i in 0..ds.rows {
        cells.clear();
        for f in 0..FEATURES.len() {
            let x = ds.matrix[f * ds.rows + i];
            cells.push(if x.is_nan() {
                String::new()
            } else {
                x.to_string()
            });
        }
        cells.push(ds.label[i].to_string());
        cells.push(
            match split.part(i) {
                Part::Train => "train",
                Part::Validation => "validation",
                Part::Test => "test",
            }
            .to_string(),
        );
        w.write_record(&cells)?;
    }
    w.flush()?;
    Ok(())
}

/// Reads back what [`write_matrix_csv`] wrote (the rows of every part, in order).
pub fn read_matrix_csv(path: &Path) -> anyhow::Result<Dataset> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let mut expected: Vec<&str> = FEATURES.to_vec();
    expected.extend([LABEL, "part"]);
    anyhow::ensure!(
        headers == expected,
        "{}: the columns are {headers:?}, expected {expected:?}",
        path.display()
    );
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); FEATURES.len()];
    let mut label = Vec::new();
    for (r, record) in reader.records().enumerate() {
        let record = record.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let num = |c: usize| -> anyhow::Result<f64> {
            let cell = record.get(c).unwrap_or("");
            if cell.is_empty() {
                return Ok(f64::NAN);
            }
            cell.parse().map_err(|_| {
                anyhow::anyhow!(
                    "{} row {}: {} is {cell:?}, not a number",
                    path.display(),
                    r + 1,
                    expected[c]
                )
            })
        };
        for (f, col) in cols.iter_mut().enumerate() {
            col.push(num(f)?);
        }
        label.push(num(FEATURES.len())?);
    }
    let rows = label.len();
    Ok(Dataset {
        task_id: vec![String::new(); rows],
        created_us: vec![0; rows],
        created_date: vec![0; rows],
        matrix: cols.concat(),
        label,
        rows,
        unsettled: 0,
        as_of: 0,
    })
}
