//! Spark SQL's functions that DataFusion lacks, with Spark's semantics, so that one SQL text
//! means the same on both engines:
//!
//! - `percentile(x, p)`: the exact percentile with linear interpolation at position p·(n−1),
//!   nulls ignored, null over no values (DataFusion's `percentile_cont` rounds the
//!   interpolation weight to 1e-6, which is not Spark's answer);
//! - `dayofweek(date)`: 1 = Sunday … 7 = Saturday;
//! - `datediff(end, start)`: whole days from `start` to `end`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array, Int32Array, ListArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Float64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{Accumulator, ColumnarValue, Volatility, create_udaf, create_udf};
use datafusion::prelude::SessionContext;

/// Registers the functions with `ctx`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udaf(create_udaf(
        "percentile",
        vec![DataType::Float64, DataType::Float64],
        Arc::new(DataType::Float64),
        Volatility::Immutable,
        Arc::new(|_| Ok(Box::new(Percentile::default()))),
        Arc::new(vec![
            DataType::List(Arc::new(Field::new("item", DataType::Float64, true))),
            DataType::Float64,
        ]),
    ));
    ctx.register_udf(create_udf(
        "dayofweek",
        vec![DataType::Date32],
        DataType::Int32,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let days = arrays[0].as_primitive::<Date32Type>();
            let out: Int32Array = days
                .iter()
                // 1970-01-01 was a Thursday (Spark: 5).
                .map(|d| d.map(|d| (d + 4).rem_euclid(7) + 1))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    ));
    ctx.register_udf(create_udf(
        "datediff",
        vec![DataType::Date32, DataType::Date32],
        DataType::Int32,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let end = arrays[0].as_primitive::<Date32Type>();
            let start = arrays[1].as_primitive::<Date32Type>();
            let out: Int32Array = end
                .iter()
                .zip(start.iter())
                .map(|(e, s)| Some(e? - s?))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    ));
}

/// The values seen so far and the percentile asked for (a literal, the same on every row).
#[derive(Debug, Default)]
struct Percentile {
    values: Vec<f64>,
    p: Option<f64>,
}

impl Percentile {
    fn set_p(&mut self, p: f64) -> Result<()> {
        if !(0.0..=1.0).contains(&p) {
            return Err(DataFusionError::Execution(format!(
                "percentile: the percentage must be between 0 and 1, got {p}"
            )));
        }
        self.p = Some(p);
        Ok(())
    }
}

/// Spark's `Percentile.getPercentile`: position p·(n−1) over the sorted values, weighted
/// between its two neighbours as `(higher − pos)·lower + (pos − lower)·higher`.
pub fn percentile_of(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let position = (sorted.len() - 1) as f64 * p;
    let lower = position.floor();
    let higher = position.ceil();
    let lo = sorted[lower as usize];
    let hi = sorted[higher as usize];
    if higher == lower {
        return Some(lo);
    }
    Some((higher - position) * lo + (position - lower) * hi)
}

impl Accumulator for Percentile {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let xs = values[0].as_primitive::<Float64Type>();
        let ps = values[1].as_primitive::<Float64Type>();
        if let Some(p) = ps.iter().flatten().next() {
            self.set_p(p)?;
        }
        self.values.extend(xs.iter().flatten());
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.values.sort_by(f64::total_cmp);
        Ok(ScalarValue::Float64(
            self.p.and_then(|p| percentile_of(&self.values, p)),
        ))
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.values.capacity() * size_of::<f64>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let list = ListArray::from_iter_primitive::<Float64Type, _, _>([Some(
            self.values.iter().map(|v| Some(*v)).collect::<Vec<_>>(),
        )]);
        Ok(vec![
            ScalarValue::List(Arc::new(list)),
            ScalarValue::Float64(self.p),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for list in lists.iter().flatten() {
            let values = list
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or_else(|| DataFusionError::Internal("percentile state".into()))?;
            self.values.extend(values.iter().flatten());
        }
        let ps = states[1].as_primitive::<Float64Type>();
        if let Some(p) = ps.iter().flatten().next() {
            self.set_p(p)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_spark() {
        assert_eq!(percentile_of(&[], 0.5), None);
        assert_eq!(percentile_of(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile_of(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        // p90 of 1..=10: position 8.1 → 9 + 0.1·(10 − 9).
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((percentile_of(&xs, 0.9).unwrap() - 9.1).abs() < 1e-12);
    }

    #[tokio::test]
    async fn the_functions_answer_as_spark_does() {
        let ctx = SessionContext::new();
        register(&ctx);
        let batches = ctx
            .sql(
                "SELECT dayofweek(DATE '2026-12-03') AS dow, \
                 datediff(DATE '2026-12-10', DATE '2026-12-03') AS dd, \
                 (SELECT percentile(x, 0.5) FROM (VALUES (1.0), (2.0), (10.0), (NULL)) t(x)) AS p",
            )
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let b = &batches[0];
        // 2026-12-03 is a Thursday: Spark says 5.
        assert_eq!(
            b.column(0)
                .as_primitive::<datafusion::arrow::datatypes::Int32Type>()
                .value(0),
            5
        );
        assert_eq!(
            b.column(1)
                .as_primitive::<datafusion::arrow::datatypes::Int32Type>()
                .value(0),
            7
        );
        assert_eq!(b.column(2).as_primitive::<Float64Type>().value(0), 2.0);
    }
}
