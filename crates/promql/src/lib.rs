//! PromQL evaluation with Prometheus 2.42 semantics over the storage read seam.
//!
//! This crate owns query evaluation: selectors with lookback and staleness,
//! `offset` and `@`, subqueries, every 2.42 function, aggregation and binary
//! operator, the query limits (timeout, max samples) and the `promqltest`
//! runner for upstream's PromQL test scripts.
//!
//! It does not own parsing (the `promql-parser` crate does; see the parser
//! glue in `parser.rs` for the 2.42 adjustments), storage (it reads only
//! through [`argus_model::storage::Queryable`]; `argus-tsdb` implements it),
//! or HTTP and JSON rendering (`argus-web`).
//!
//! Main types: [`Engine`] (configured by [`EngineOpts`], per query by
//! [`QueryOpts`]) runs queries and returns a [`QueryResult`] holding a
//! [`Value`]; failures are [`Error`]s whose [`Error::kind`] maps to the HTTP
//! API's error types. [`validate`] only parses, for config and rule checks.
//!
//! Query text is 2.42's dialect: `holt_winters` is accepted, and functions
//! that only Prometheus 3.x has (`mad_over_time`, `limitk`, `info`, ...) are
//! rejected with 2.42's `unknown function with name "..."` (see `parser.rs`).
//!
//! Testing happens at the boundary: [`promqltest`] runs upstream's v2.42
//! scripts and our own (`testdata/`), and `tests/differential.rs` compares
//! thousands of queries with Prometheus 2.42 itself through `promtool`.
//!
//! ```
//! use argus_model::{Labels, Sample, storage::MemStorage};
//! use argus_promql::{Engine, EngineOpts, Value};
//!
//! let st = MemStorage::new();
//! st.add(Labels::from_pairs([("__name__", "up"), ("job", "node")]), &[Sample::new(0, 1.0)]);
//! let engine = Engine::new(EngineOpts::default());
//! let res = engine.instant_query(&st, "sum by (job) (up) * 2", 60_000).unwrap();
//! let Value::Vector(v) = res.value else { panic!("want a vector") };
//! assert_eq!(v[0].v, 2.0);
//! assert_eq!(v[0].labels, Labels::from_pairs([("job", "node")]));
//! ```
#![deny(missing_docs)]

mod aggregate;
mod binary;
mod engine;
mod error;
mod eval;
mod functions;
mod parser;
pub mod promqltest;
mod syntax;
mod topk;
mod value;

pub use engine::{Engine, EngineOpts, QueryOpts};

/// Checks that `expr` is a valid Prometheus 2.42 query, without evaluating it.
///
/// Fails with [`Error::Parse`] (kind `bad_data`) like a query would.
pub fn validate(expr: &str) -> Result<()> {
    parser::parse(expr).map(|_| ())
}
/// The query as Prometheus 2.42 prints a parsed expression (`Expr.String()`):
/// one line, normalised spacing and parentheses, as in the rules API's
/// `query` and alert generator URLs.
pub fn reprint(expr: &str) -> Result<String> {
    let printed = parser::parse(expr)?.to_string();
    Ok(printed.replace(&format!("{}(", parser::DOUBLE_EXP_SMOOTHING), "holt_winters("))
}

/// The query as Prometheus 2.42's `/api/v1/format_query` prints it
/// (`Expr.Pretty`); parse errors are 2.42's, with their position.
pub fn format_query(expr: &str) -> Result<String> {
    let pretty = parser::parse(expr)?.prettify();
    Ok(pretty.replace(&format!("{}(", parser::DOUBLE_EXP_SMOOTHING), "holt_winters("))
}

pub use error::{Error, ErrorKind, Result};
pub use value::{Point, QueryResult, RangeSeries, Scalar, Value, VectorSample};

#[cfg(test)]
mod reprint_tests {
    /// `testdata/reprint.json`: every expression of the seeds' rule files and
    /// the `query` Prometheus 2.42's `/api/v1/rules` printed for it.
    #[test]
    fn reprint_matches_prometheus_2_42_rules_api() {
        let pairs: Vec<(String, String)> =
            serde_json::from_str(include_str!("../testdata/reprint.json")).expect("valid golden file");
        assert!(pairs.len() >= 29);
        for (raw, want) in pairs {
            assert_eq!(crate::reprint(&raw).unwrap(), want, "{raw}");
        }
        assert_eq!(crate::reprint("holt_winters(x[5m],0.5,0.5)").unwrap(), "holt_winters(x[5m], 0.5, 0.5)");
        assert_eq!(crate::format_query("holt_winters(x[5m],0.5,0.5)").unwrap(), "holt_winters(x[5m], 0.5, 0.5)");
    }
}
