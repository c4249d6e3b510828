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

pub use error::{KeyError, PersistError, PushError, Result, STATUS_DELETED, STATUS_PUSHED, http_status};
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
