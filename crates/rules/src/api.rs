//! Snapshots of groups, rules and alerts shaped exactly like the `data` of
//! Prometheus 2.42's `/api/v1/rules` (`groups`) and `/api/v1/alerts` (`alerts`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::group::Group;
use crate::rule::{Alert, Rule};
use crate::timefmt::{go_float_exp, rfc3339};

/// One `data.groups[]` entry of `/api/v1/rules`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupStatus {
    /// Group name.
    pub name: String,
    /// Rule file.
    pub file: String,
    /// Rules in order.
    pub rules: Vec<RuleStatusJson>,
    /// Interval in seconds.
    pub interval: f64,
    /// `limit` (0 = none).
    pub limit: usize,
    /// Duration of the last evaluation, seconds.
    #[serde(rename = "evaluationTime")]
    pub evaluation_time: f64,
    /// RFC 3339 time of the last evaluation (Go's zero time if never).
    #[serde(rename = "lastEvaluation")]
    pub last_evaluation: String,
}

/// A rule of either kind as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum RuleStatusJson {
    /// An alerting rule.
    Alerting(AlertingRuleStatus),
    /// A recording rule.
    Recording(RecordingRuleStatus),
}

impl RuleStatusJson {
    /// `alert` or `record`: the API's `type` filter value this rule matches.
    pub fn type_filter(&self) -> &'static str {
        match self {
            RuleStatusJson::Alerting(_) => "alert",
            RuleStatusJson::Recording(_) => "record",
        }
    }
}

/// An alerting rule in `/api/v1/rules`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertingRuleStatus {
    /// `inactive`, `pending` or `firing`.
    pub state: String,
    /// Alert name.
    pub name: String,
    /// Expression.
    pub query: String,
    /// `for` in seconds.
    pub duration: f64,
    /// `keep_firing_for` in seconds.
    #[serde(rename = "keepFiringFor")]
    pub keep_firing_for: f64,
    /// Labels as written.
    pub labels: BTreeMap<String, String>,
    /// Annotations as written.
    pub annotations: BTreeMap<String, String>,
    /// Pending and firing alerts.
    pub alerts: Vec<ActiveAlert>,
    /// `ok`, `err` or `unknown`.
    pub health: String,
    /// Last error, omitted when none.
    #[serde(rename = "lastError", skip_serializing_if = "String::is_empty")]
    pub last_error: String,
    /// Seconds.
    #[serde(rename = "evaluationTime")]
    pub evaluation_time: f64,
    /// RFC 3339.
    #[serde(rename = "lastEvaluation")]
    pub last_evaluation: String,
    /// Always `alerting`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A recording rule in `/api/v1/rules`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordingRuleStatus {
    /// Metric name written.
    pub name: String,
    /// Expression.
    pub query: String,
    /// Labels, omitted when empty.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `ok`, `err` or `unknown`.
    pub health: String,
    /// Last error, omitted when none.
    #[serde(rename = "lastError", skip_serializing_if = "String::is_empty")]
    pub last_error: String,
    /// Seconds.
    #[serde(rename = "evaluationTime")]
    pub evaluation_time: f64,
    /// RFC 3339.
    #[serde(rename = "lastEvaluation")]
    pub last_evaluation: String,
    /// Always `recording`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// An alert in `/api/v1/alerts` and in a rule's `alerts`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActiveAlert {
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// `pending` or `firing`.
    pub state: String,
    /// RFC 3339 time it became active.
    #[serde(rename = "activeAt")]
    pub active_at: String,
    /// RFC 3339 time since when it is kept firing (`keep_firing_for`), if it is.
    #[serde(rename = "keepFiringSince", skip_serializing_if = "Option::is_none")]
    pub keep_firing_since: Option<String>,
    /// The value in Go's `%e` form (`1e+00`).
    pub value: String,
}

impl ActiveAlert {
    pub(crate) fn from_alert(a: &Alert) -> ActiveAlert {
        ActiveAlert {
            labels: a.labels.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect(),
            annotations: a.annotations.iter().cloned().collect(),
            state: a.state.as_str().to_string(),
            active_at: rfc3339(Some(a.active_at)),
            keep_firing_since: a.keep_firing_since.map(|t| rfc3339(Some(t))),
            value: go_float_exp(a.value, false),
        }
    }
}

pub(crate) fn rule_status(r: &Rule) -> RuleStatusJson {
    let st = r.status();
    match r {
        Rule::Alerting(ar) => RuleStatusJson::Alerting(AlertingRuleStatus {
            state: ar.state().as_str().to_string(),
            name: ar.name.clone(),
            query: ar.query.clone(),
            duration: ar.hold_ms as f64 / 1000.0,
            keep_firing_for: ar.keep_firing_for_ms as f64 / 1000.0,
            labels: ar.labels.iter().cloned().collect(),
            annotations: ar.annotations.iter().cloned().collect(),
            alerts: ar.active_alerts().iter().map(ActiveAlert::from_alert).collect(),
            health: st.health.as_str().to_string(),
            last_error: st.last_error.unwrap_or_default(),
            evaluation_time: st.evaluation_time,
            last_evaluation: rfc3339(st.last_evaluation),
            kind: "alerting".into(),
        }),
        Rule::Recording(rr) => RuleStatusJson::Recording(RecordingRuleStatus {
            name: rr.name.clone(),
            query: rr.query.clone(),
            labels: rr.labels.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect(),
            health: st.health.as_str().to_string(),
            last_error: st.last_error.unwrap_or_default(),
            evaluation_time: st.evaluation_time,
            last_evaluation: rfc3339(st.last_evaluation),
            kind: "recording".into(),
        }),
    }
}

pub(crate) fn group_status(g: &Group) -> GroupStatus {
    let (last, dur) = g.last_evaluation();
    GroupStatus {
        name: g.name.clone(),
        file: g.file.clone(),
        rules: g.rules.iter().map(rule_status).collect(),
        interval: g.interval_ms as f64 / 1000.0,
        limit: g.limit,
        evaluation_time: dur,
        last_evaluation: rfc3339(last),
    }
}
