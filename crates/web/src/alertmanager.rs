//! Alertmanager's HTTP API v2 (the subset amtool, Grafana and Prometheus use):
//! `/api/v2/alerts` (GET, POST), `/api/v2/alerts/groups`, `/api/v2/silences`
//! (GET, POST), `/api/v2/silence/{id}` (GET, DELETE), `/api/v2/status` and
//! `/api/v2/receivers`.
//!
//! Wire formats follow Alertmanager 0.25's OpenAPI spec as its go-swagger
//! server emits them: times in RFC 3339 with the fraction trimmed, required
//! fields always present (empty lists rather than null), and errors as a JSON
//! string body with the status code the spec gives.

use std::collections::BTreeMap;
use std::sync::Arc;

use argus_alertmanager::{
    AlertView, Alertmanager, Silence, SilenceError, SilenceMatcher, format_rfc3339, format_time_opt, now_ms,
    parse_matchers, parse_rfc3339,
};
use argus_model::alerting::PostableAlert;
use argus_model::{Labels, Matcher};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

type Am = Arc<Alertmanager>;

/// The API v2 router over `am`.
pub fn alertmanager_router(am: Arc<Alertmanager>) -> Router {
    Router::new()
        .route("/api/v2/alerts", get(get_alerts).post(post_alerts))
        .route("/api/v2/alerts/groups", get(get_groups))
        .route("/api/v2/silences", get(get_silences).post(post_silences))
        .route("/api/v2/silence/{id}", get(get_silence).delete(delete_silence))
        .route("/api/v2/status", get(get_status))
        .route("/api/v2/receivers", get(get_receivers))
        .with_state(am)
}

fn json_response(code: StatusCode, v: &Value) -> Response {
    (code, [(header::CONTENT_TYPE, "application/json")], format!("{v}\n")).into_response()
}

/// An error as go-swagger sends it: the message as a JSON string.
fn error(code: StatusCode, msg: impl Into<String>) -> Response {
    json_response(code, &Value::String(msg.into()))
}

/// A rejected request parameter: status and message.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

/// The query parameters, repeated keys kept.
fn params(q: Option<String>) -> Vec<(String, String)> {
    form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().collect()
}

fn flag(ps: &[(String, String)], name: &str, default: bool) -> Result<bool, ApiError> {
    match ps.iter().rev().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, v)) => v
            .parse()
            .map_err(|_| ApiError(StatusCode::BAD_REQUEST, format!("{name} in query must be of type boolean: {v:?}"))),
    }
}

fn filters(ps: &[(String, String)]) -> Result<Vec<Matcher>, ApiError> {
    let mut out = Vec::new();
    for (_, v) in ps.iter().filter(|(k, _)| k == "filter") {
        out.extend(parse_matchers(v).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.am_message()))?);
    }
    Ok(out)
}

fn receiver_filter(ps: &[(String, String)]) -> Result<Option<regex::Regex>, ApiError> {
    match ps.iter().rev().find(|(k, _)| k == "receiver") {
        None => Ok(None),
        Some((_, r)) => regex::Regex::new(&format!("^(?:{r})$"))
            .map(Some)
            .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("failed to parse receiver param: {e}"))),
    }
}

fn labels_json(l: &Labels) -> Value {
    Value::Object(l.iter().map(|l| (l.name.to_string(), Value::String(l.value.to_string()))).collect())
}

fn alert_json(v: &AlertView) -> Value {
    let a = &v.alert;
    json!({
        "annotations": a.annotations,
        "endsAt": format_time_opt(a.ends_at_ms),
        "fingerprint": a.fingerprint().to_string(),
        "receivers": v.receivers.iter().map(|r| json!({"name": r})).collect::<Vec<_>>(),
        "startsAt": format_rfc3339(a.starts_at_ms),
        "status": {
            "inhibitedBy": v.status.inhibited_by,
            "silencedBy": v.status.silenced_by,
            "state": v.status.state,
        },
        "updatedAt": format_rfc3339(a.updated_at_ms),
        "generatorURL": a.generator_url,
        "labels": labels_json(&a.labels),
    })
}

struct AlertFilter {
    matchers: Vec<Matcher>,
    receiver: Option<regex::Regex>,
    active: bool,
    silenced: bool,
    inhibited: bool,
    unprocessed: bool,
}

impl AlertFilter {
    fn parse(ps: &[(String, String)]) -> Result<Self, ApiError> {
        Ok(AlertFilter {
            matchers: filters(ps)?,
            receiver: receiver_filter(ps)?,
            active: flag(ps, "active", true)?,
            silenced: flag(ps, "silenced", true)?,
            inhibited: flag(ps, "inhibited", true)?,
            unprocessed: flag(ps, "unprocessed", true)?,
        })
    }

    fn keep(&self, v: &AlertView) -> bool {
        if let Some(re) = &self.receiver
            && !v.receivers.iter().any(|r| re.is_match(r))
        {
            return false;
        }
        if !self.matchers.iter().all(|m| m.matches(v.alert.labels.get(&m.name).unwrap_or(""))) {
            return false;
        }
        let s = &v.status;
        !((!self.active && s.state == "active")
            || (!self.unprocessed && s.state == "unprocessed")
            || (!self.silenced && !s.silenced_by.is_empty())
            || (!self.inhibited && !s.inhibited_by.is_empty()))
    }
}

async fn get_alerts(State(am): State<Am>, RawQuery(q): RawQuery) -> Response {
    let f = match AlertFilter::parse(&params(q)) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let list: Vec<Value> = am.alerts().iter().filter(|v| f.keep(v)).map(alert_json).collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

async fn get_groups(State(am): State<Am>, RawQuery(q): RawQuery) -> Response {
    let f = match AlertFilter::parse(&params(q)) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let mut out = Vec::new();
    for g in am.groups() {
        if let Some(re) = &f.receiver
            && !re.is_match(&g.receiver)
        {
            continue;
        }
        let alerts: Vec<Value> = g.alerts.iter().filter(|v| f.keep(v)).map(alert_json).collect();
        if alerts.is_empty() {
            continue;
        }
        out.push(json!({"alerts": alerts, "labels": labels_json(&g.labels), "receiver": {"name": g.receiver}}));
    }
    json_response(StatusCode::OK, &Value::Array(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostedAlert {
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(rename = "generatorURL", default)]
    generator_url: String,
}

fn opt_time(s: &Option<String>, what: &str) -> Result<i64, String> {
    match s.as_deref() {
        None | Some("") => Ok(0),
        Some(t) => parse_rfc3339(t).map_err(|e| format!("{what} in body must be of type date-time: {e}")),
    }
}

async fn post_alerts(State(am): State<Am>, body: String) -> Response {
    let posted: Vec<PostedAlert> = match serde_json::from_str(&body) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("parsing alerts body: {e}")),
    };
    let mut alerts = Vec::with_capacity(posted.len());
    for (i, p) in posted.into_iter().enumerate() {
        let Some(labels) = p.labels else {
            return error(StatusCode::BAD_REQUEST, format!("{i}.labels in body is required"));
        };
        let (starts, ends) = match (opt_time(&p.starts_at, "startsAt"), opt_time(&p.ends_at, "endsAt")) {
            (Ok(s), Ok(e)) => (s, e),
            (Err(e), _) | (_, Err(e)) => return error(StatusCode::BAD_REQUEST, format!("{i}.{e}")),
        };
        alerts.push(PostableAlert {
            labels: Labels::from_pairs(labels),
            annotations: p.annotations,
            starts_at_ms: starts,
            ends_at_ms: (ends != 0).then_some(ends),
            generator_url: p.generator_url,
        });
    }
    match am.put_alerts(alerts) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

fn silence_json(s: &Silence, now: i64) -> Value {
    json!({
        "id": s.id,
        "status": {"state": s.state(now).as_str()},
        "updatedAt": format_rfc3339(s.updated_at_ms),
        "comment": s.comment,
        "createdBy": s.created_by,
        "endsAt": format_rfc3339(s.ends_at_ms),
        "matchers": s.matchers.iter().map(|m| json!({
            "isEqual": m.is_equal, "isRegex": m.is_regex, "name": m.name, "value": m.value,
        })).collect::<Vec<_>>(),
        "startsAt": format_rfc3339(s.starts_at_ms),
    })
}

async fn get_silences(State(am): State<Am>, RawQuery(q): RawQuery) -> Response {
    let matchers = match filters(&params(q)) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let now = now_ms();
    let list: Vec<Value> = am
        .silences()
        .iter()
        .filter(|s| {
            // Alertmanager's CheckSilenceMatchesFilterLabels: each filter must
            // match the value of a silence matcher with the same name.
            matchers.iter().all(|f| s.matchers.iter().any(|m| m.name == f.name && f.matches(&m.value)))
        })
        .map(|s| silence_json(s, now))
        .collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostedMatcher {
    name: Option<String>,
    value: Option<String>,
    is_regex: Option<bool>,
    is_equal: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostedSilence {
    #[serde(default)]
    id: String,
    matchers: Option<Vec<PostedMatcher>>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    created_by: Option<String>,
    comment: Option<String>,
}

/// Checks the fields the OpenAPI spec requires, with go-swagger's wording.
fn posted_silence(p: PostedSilence) -> Result<Silence, String> {
    let required = |f: &str| format!("{f} in body is required");
    let matchers = p.matchers.ok_or_else(|| required("matchers"))?;
    if matchers.is_empty() {
        return Err("matchers in body should have at least 1 items".into());
    }
    let mut out = Vec::new();
    for (i, m) in matchers.into_iter().enumerate() {
        out.push(SilenceMatcher {
            name: m.name.ok_or_else(|| required(&format!("matchers.{i}.name")))?,
            value: m.value.ok_or_else(|| required(&format!("matchers.{i}.value")))?,
            is_regex: m.is_regex.ok_or_else(|| required(&format!("matchers.{i}.isRegex")))?,
            is_equal: m.is_equal.unwrap_or(true),
        });
    }
    let time = |v: Option<String>, f: &str| -> Result<i64, String> {
        let v = v.ok_or_else(|| required(f))?;
        parse_rfc3339(&v).map_err(|e| format!("{f} in body must be of type date-time: {e}"))
    };
    let starts_at_ms = time(p.starts_at, "startsAt")?;
    let ends_at_ms = time(p.ends_at, "endsAt")?;
    Ok(Silence {
        id: p.id,
        matchers: out,
        starts_at_ms,
        ends_at_ms,
        updated_at_ms: 0,
        created_by: p.created_by.ok_or_else(|| required("createdBy"))?,
        comment: p.comment.ok_or_else(|| required("comment"))?,
    })
}

async fn post_silences(State(am): State<Am>, body: String) -> Response {
    let p: PostedSilence = match serde_json::from_str(&body) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("parsing silence body: {e}")),
    };
    let sil = match posted_silence(p) {
        Ok(s) => s,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    if sil.starts_at_ms >= sil.ends_at_ms {
        return error(StatusCode::BAD_REQUEST, "Failed to create silence: start time must be before end time");
    }
    if sil.ends_at_ms < now_ms() {
        return error(StatusCode::BAD_REQUEST, "Failed to create silence: end time can't be in the past");
    }
    match am.set_silence(sil) {
        Ok(id) => json_response(StatusCode::OK, &json!({"silenceID": id})),
        Err(e @ SilenceError::NotFound) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

async fn get_silence(State(am): State<Am>, Path(id): Path<String>) -> Response {
    match am.silence(&id) {
        Some(s) => json_response(StatusCode::OK, &silence_json(&s, now_ms())),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn delete_silence(State(am): State<Am>, Path(id): Path<String>) -> Response {
    match am.expire_silence(&id) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(SilenceError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn get_status(State(am): State<Am>) -> Response {
    let v = json!({
        "cluster": {"status": "disabled", "peers": []},
        "versionInfo": {
            "branch": "",
            "buildDate": "",
            "buildUser": "",
            "goVersion": "",
            "revision": "",
            "version": am.options().version,
        },
        "config": {"original": am.config_original()},
        "uptime": format_rfc3339(am.started_at_ms()),
    });
    json_response(StatusCode::OK, &v)
}

async fn get_receivers(State(am): State<Am>) -> Response {
    let list: Vec<Value> = am.receivers().into_iter().map(|n| json!({"name": n})).collect();
    json_response(StatusCode::OK, &Value::Array(list))
}
