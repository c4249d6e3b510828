//! Prometheus 2.42's rules: rule files, recording and alerting rule
//! evaluation, the rule manager, and `promtool check rules` / `test rules`.
//!
//! This crate owns the rule-file format ([`rulefmt`], with promtool's error
//! messages and positions), the evaluation of rule groups ([`Group`]:
//! recording rules write through [`argus_model::storage::Appendable`],
//! alerting rules run the pending → firing → resolved state machine and
//! write `ALERTS`/`ALERTS_FOR_STATE`), the [`Manager`] that schedules groups
//! on tokio and answers the API's `/rules` and `/alerts`, and the rule unit
//! test runner ([`test_rules_cli`]).
//!
//! It does not own PromQL evaluation (rules get a [`QueryFn`] handle; see
//! [`engine_query_fn`] to build one from `argus-promql`), template rendering
//! (`argus-template`), or alert delivery: alerts leave through a
//! [`NotifyFn`] ([`notify_fn`] adapts an [`argus_model::alerting::AlertSink`]),
//! and routing and receivers live in `argus-alertmanager`.
//!
//! Main types: [`Manager`], [`Group`], [`Rule`], [`Alert`],
//! [`AlertmanagerClient`] (the API v2 [`argus_model::alerting::AlertSink`]).
//!
//! Compatibility notes (Debian's promtool 2.42 is the oracle; see
//! `tests/promtool_diff.rs`):
//! - `keep_firing_for` is accepted and honoured: Prometheus 2.42.0 introduced
//!   it and Debian's promtool 2.42 accepts it (`check rules` says SUCCESS).
//! - Messages match promtool byte for byte, except text that comes from
//!   other parsers: PromQL parse errors (`promql-parser` via `argus-promql`)
//!   and YAML syntax errors (`yaml-rust2`, which we use because serde-based
//!   YAML crates drop the line:column of nodes that promtool prints).
//! - Rules are evaluated and shown with their expression as written;
//!   Prometheus re-prints the parsed expression (`up==0` shows as `up == 0`).
//! - Beyond promtool: [`TestOptions::run`] (test-group filter) and
//!   [`TestOptions::coverage`] (alerting rules no test names).
//!
//! ```
//! use std::sync::Arc;
//! use argus_model::storage::MemStorage;
//! use argus_model::{Labels, Sample};
//! use argus_promql::{Engine, EngineOpts};
//! use argus_rules::{rulefmt, Group, GroupOptions, Rule, AlertContext, engine_query_fn};
//!
//! let st = MemStorage::new();
//! st.add(Labels::from_pairs([("__name__", "up"), ("job", "a")]), &[Sample::new(0, 0.0)]);
//! let rgs = rulefmt::parse("groups:\n- name: g\n  rules:\n  - record: job:up\n    expr: sum by (job) (up)\n").unwrap();
//! let rules = rgs.groups[0].rules.iter().map(|r| Rule::from_node(r, &AlertContext::default())).collect();
//! let opts = GroupOptions {
//!     query: engine_query_fn(Engine::new(EngineOpts::default()), Arc::new(st.clone())),
//!     appendable: Arc::new(st.clone()),
//!     notify: None,
//!     resend_delay_ms: 60_000,
//! };
//! let g = Group::new("g".into(), "f.yml".into(), 60_000, 0, rules, opts);
//! g.eval(0);
//! let res = Engine::default().instant_query(&st, "job:up", 0).unwrap();
//! assert!(matches!(res.value, argus_promql::Value::Vector(v) if v.len() == 1));
//! ```
#![deny(missing_docs)]

mod api;
mod check;
mod error;
mod group;
mod manager;
mod metrics;
mod notifier;
mod rule;
pub mod rulefmt;
mod timefmt;
mod unittest;
mod yaml;

pub use api::{ActiveAlert, AlertingRuleStatus, GroupStatus, RecordingRuleStatus, RuleStatusJson};
pub use check::{Lint, check_rules_cli};
pub use error::{Error, Result};
pub use group::{Group, GroupOptions};
pub use manager::{Manager, ManagerOptions, notify_fn};
pub use metrics::GroupMetrics;
pub use notifier::{AlertmanagerClient, Authorize, BuildError, NotifierMetrics, NotifierOptions, encode_alerts};
pub use rule::{
    Alert, AlertContext, AlertState, AlertingRule, Health, NotifyFn, QueryFn, RESOLVED_RETENTION_MS, RecordingRule,
    Rule, RuleStatus,
};
pub use unittest::{TestOptions, engine_query_fn, test_rules_cli};
