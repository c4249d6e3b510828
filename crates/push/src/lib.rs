//! The push gateway of argus: the Pushgateway 1.5 store and its API semantics.
//!
//! This crate owns grouping keys ([`GroupingKey::parse`] reads the URL path
//! after `/metrics/`), the metric groups they address ([`PushStore`]) with the
//! Pushgateway's PUT (replace the group), POST (replace same-named families)
//! and DELETE semantics, label sanitising, the `push_time_seconds` and
//! `push_failure_time_seconds` gauges, the consistency check, text-format and
//! delimited-protobuf bodies (optionally gzipped), the readers behind
//! `/metrics` and `/api/v1/metrics`, persistence to a file, a per-group time
//! to live, limits and counters.
//!
//! It does not own HTTP (routes, CORS, the JSON envelope: `argus-web` mounts
//! them and maps errors with [`http_status`]), nor timers and sampling pushed
//! groups into storage (the binary drives [`PushStore::save`],
//! [`PushStore::expire_older_than`] and an internal target over
//! [`PushStore::render_text`] or [`PushStore::groups`]).
//!
//! Main types: [`GroupingKey`], [`PushStore`], [`PushError`].
//!
//! `tests/differential.rs` runs the same pushes (including the Python
//! client's) through Debian's Pushgateway 1.5.1 and this crate and compares
//! status codes, error texts and `/api/v1/metrics`. Where we differ on purpose:
//!
//! - Text-format syntax errors carry the model parser's reason (Prometheus
//!   2.42's wording) after Go's `text format parsing error in line N:`; the
//!   status (400) is the same, and so is the rule that they do not set
//!   `push_failure_time_seconds`.
//! - A failed consistency check reports its first reason only, and names the
//!   offending metric by its label set instead of Go's protobuf text.
//! - A histogram metric with an `le` label is rejected (API.md; 1.5.1 accepts
//!   it and then exposes `le` twice).
//! - When two groups' families have different HELP texts, the first group in
//!   grouping-key order wins (the Pushgateway picks one at random).
//! - `time_stamp` in the JSON API is in UTC (`Z`), not the local offset.
//! - [`PushStore::render_text`] keeps exposing an inconsistent state (which
//!   can arise from a failed push, see the test); the Pushgateway's `/metrics`
//!   answers 500 then.
//! - The gateway's own metric families are whatever the embedding process
//!   declares in [`StoreOptions::predefined`].
//! - Protobuf metric types other than counter, gauge, summary, untyped and
//!   histogram are rejected as unparsable.
//! - There is no unchecked mode (`--push.disable-consistency-check`, 202).
//! - Limits (413, 429) and the per-group time to live are argus' own.
//!
//! ```
//! use std::time::SystemTime;
//! use argus_push::{GroupingKey, Method, PushStore, StoreOptions, http_status};
//!
//! let store = PushStore::new(StoreOptions::default());
//! let key = GroupingKey::parse("job/backup/instance@base64/ZGIx").unwrap();
//! store.push(Method::Put, &key, b"# TYPE rows counter\nrows 1000000\n", None, SystemTime::now()).unwrap();
//! assert!(store.render_text().contains("rows{instance=\"db1\",job=\"backup\"} 1e+06\n"));
//! assert_eq!(store.api_v1_metrics_json()[0]["rows"]["metrics"][0]["value"], "1e+06");
//!
//! let err = store.push(Method::Post, &key, b"rows 1 1000\n", None, SystemTime::now()).unwrap_err();
//! assert_eq!(http_status(&err), 400);
//! assert_eq!(
//!     err.to_string(),
//!     "pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps"
//! );
//! assert_eq!(store.api_v1_metrics_json()[0]["last_push_successful"], false);
//! ```
#![deny(missing_docs)]

mod check;
mod error;
mod family;
mod key;
mod persist;
mod proto;
mod render;
mod store;
#[cfg(test)]
mod tests;
mod text;

pub use error::{
    ERROR_CONTENT_TYPE, KeyError, PersistError, PushError, Result, STATUS_DELETED, STATUS_PUSHED, error_body,
    http_status,
};
pub use family::FamilyType;
pub use key::GroupingKey;
pub use persist::PersistOptions;
pub use render::GroupSnapshot;
pub use store::{
    Method, PUSH_FAILURE_TIME_HELP, PUSH_FAILURE_TIME_METRIC, PUSH_TIME_HELP, PUSH_TIME_METRIC, Predefined, PushStats,
    PushStore, StoreOptions, TIMESTAMP_REASON,
};

/// The `Content-Type` that selects delimited protobuf bodies.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// Encodes simple families `(name, help, type, [(labels, value, timestamp)])`
/// as delimited protobuf; counters, gauges and untyped only. For tests and
/// push clients.
#[doc(hidden)]
pub use proto::{SimpleFamily, encode_delimited_for_tests};
