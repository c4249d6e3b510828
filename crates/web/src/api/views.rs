//! The v1 endpoints that show other subsystems' state: targets, scrape
//! pools, metric metadata, rules and alerts. Each reads through a closure
//! in [`Views`] that the binary wires to the scrape manager or the rule
//! manager; an unwired view answers with an empty result, as Prometheus
//! does when nothing is configured.

use std::collections::BTreeMap;
use std::sync::Arc;

use argus_model::Matcher;
use axum::extract::{Request, State};
use axum::response::Response;

use super::params::series_selector;
use super::{ApiError, JsonSource, ok, read_params};
use crate::WebState;

/// `/api/v1/targets?state=`: the `data` document for a state string, or a
/// `bad_data` message.
pub type TargetsFn = Arc<dyn Fn(&str) -> Result<serde_json::Value, String> + Send + Sync>;

/// `/api/v1/targets/metadata`: entries for target matchers, metric, limit.
pub type TargetsMetadataFn = Arc<dyn Fn(&[Matcher], Option<&str>, Option<usize>) -> Vec<MetadataEntry> + Send + Sync>;

/// `/api/v1/rules`: the `data.groups` array for `type=` (`""`, `alert`, `record`).
pub type RulesFn = Arc<dyn Fn(&str) -> serde_json::Value + Send + Sync>;

/// One metadata entry of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataEntry {
    /// The target's labels.
    pub target: BTreeMap<String, String>,
    /// The metric family name.
    pub metric: String,
    /// counter, gauge, histogram, summary, untyped, ...
    pub kind: String,
    /// Help text.
    pub help: String,
    /// Unit.
    pub unit: String,
}

/// Views of other subsystems; `None` answers with an empty result.
#[derive(Clone, Default)]
pub struct Views {
    /// Targets (scrape manager).
    pub targets: Option<TargetsFn>,
    /// Scrape pool names (scrape manager).
    pub scrape_pools: Option<JsonSource>,
    /// Per-target metric metadata (scrape manager).
    pub targets_metadata: Option<TargetsMetadataFn>,
    /// Rule groups (rule manager).
    pub rules: Option<RulesFn>,
    /// Active alerts, the `data.alerts` array (rule manager).
    pub alerts: Option<JsonSource>,
}

fn json_ok(v: &serde_json::Value) -> Response {
    ok(&v.to_string(), &[])
}

pub(crate) async fn targets(State(st): State<WebState>, req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let state = p.get("state").unwrap_or("").trim().to_string();
    let data = match &st.api.views.targets {
        Some(f) => f(&state).map_err(ApiError::bad_data)?,
        None => serde_json::json!({"activeTargets": [], "droppedTargets": []}),
    };
    Ok(json_ok(&data))
}

pub(crate) async fn scrape_pools(State(st): State<WebState>) -> Response {
    let pools = st.api.views.scrape_pools.as_ref().map(|f| f()).unwrap_or_else(|| serde_json::json!([]));
    json_ok(&serde_json::json!({ "scrapePools": pools }))
}

fn limit_param(p: &super::params::Params) -> Result<Option<usize>, ApiError> {
    match p.get("limit").filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n < 0 => Ok(None),
            Ok(n) => Ok(Some(n as usize)),
            Err(_) => Err(ApiError::bad_data("limit must be a number".into())),
        },
    }
}

pub(crate) async fn targets_metadata(State(st): State<WebState>, req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let limit = limit_param(&p)?;
    let matchers = match p.get("match_target").filter(|s| !s.is_empty()) {
        Some(s) => series_selector(s).map_err(ApiError::bad_data)?,
        None => Vec::new(),
    };
    let metric = p.get("metric").filter(|s| !s.is_empty());
    let entries = st.api.views.targets_metadata.as_ref().map(|f| f(&matchers, metric, limit)).unwrap_or_default();
    let data: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|e| {
            let mut o = serde_json::json!({"target": e.target, "type": e.kind, "help": e.help, "unit": e.unit});
            if metric.is_none() {
                o["metric"] = serde_json::Value::String(e.metric);
            }
            o
        })
        .collect();
    Ok(json_ok(&serde_json::Value::Array(data)))
}

/// `/api/v1/metadata`: per metric name, the distinct (type, help, unit)
/// entries across targets, at most `limit` metrics.
pub(crate) async fn metadata(State(st): State<WebState>, req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let limit = limit_param(&p)?;
    let metric = p.get("metric").filter(|s| !s.is_empty());
    let entries = st.api.views.targets_metadata.as_ref().map(|f| f(&[], metric, None)).unwrap_or_default();
    let mut by_metric: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for e in entries {
        let name = metric.map(str::to_string).unwrap_or(e.metric);
        if limit.is_some_and(|l| !by_metric.contains_key(&name) && by_metric.len() >= l) {
            continue;
        }
        let v = serde_json::json!({"type": e.kind, "help": e.help, "unit": e.unit});
        let list = by_metric.entry(name).or_default();
        if !list.contains(&v) {
            list.push(v);
        }
    }
    Ok(json_ok(&serde_json::to_value(by_metric).unwrap_or_default()))
}

pub(crate) async fn rules(State(st): State<WebState>, req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let kind = p.get("type").unwrap_or("").to_lowercase();
    if !matches!(kind.as_str(), "" | "alert" | "record") {
        return Err(ApiError::bad_data(format!("invalid query parameter type='{kind}'")));
    }
    let groups = st.api.views.rules.as_ref().map(|f| f(&kind)).unwrap_or_else(|| serde_json::json!([]));
    Ok(json_ok(&serde_json::json!({ "groups": groups })))
}

pub(crate) async fn alerts(State(st): State<WebState>) -> Response {
    let alerts = st.api.views.alerts.as_ref().map(|f| f()).unwrap_or_else(|| serde_json::json!([]));
    json_ok(&serde_json::json!({ "alerts": alerts }))
}
