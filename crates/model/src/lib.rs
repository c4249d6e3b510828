//! The shared vocabulary of argus.
//!
//! This crate owns the types every subsystem speaks: [`Labels`] (a sorted label
//! set), [`Matcher`] (Prometheus' `=`, `!=`, `=~`, `!~` with fully anchored
//! regexes), [`Sample`] (millisecond timestamp and `f64` value, including the
//! staleness marker), and the two storage seams: [`storage::Appendable`] (write a
//! batch, then commit) and [`storage::Queryable`] (read series over a time range).
//! It also parses and encodes the exposition formats (text 0.0.4 and OpenMetrics).
//!
//! It does not own any I/O: storage lives in `argus-tsdb`, HTTP in `argus-web`,
//! and query evaluation in `argus-promql`.
//!
//! ```
//! use argus_model::{Labels, Matcher, MatchOp};
//! let ls = Labels::from_pairs([("__name__", "up"), ("job", "node")]);
//! let m = Matcher::new(MatchOp::Re, "job", "no.*").unwrap();
//! assert!(m.matches(ls.get("job").unwrap_or("")));
//! assert_eq!(ls.to_string(), r#"{__name__="up", job="node"}"#);
//! assert_eq!(ls.metric_string(), r#"up{job="node"}"#);
//! ```
#![deny(missing_docs)]

pub mod alerting;
mod duration;
mod env;
mod error;
pub mod exposition;
mod labels;
mod matcher;
pub mod md5;
pub mod remote;
mod sample;
pub mod storage;
pub mod time;

pub use duration::{format_duration, parse_duration};
pub use env::expand_env;
pub use error::{Error, Result};
pub use labels::{Label, Labels, LabelsBuilder, METRIC_NAME, SmolStr, is_valid_label_name, is_valid_metric_name};
pub use matcher::{MatchOp, Matcher, compile_anchored};
pub use sample::{STALE_NAN_BITS, Sample, is_stale_nan, stale_nan};
