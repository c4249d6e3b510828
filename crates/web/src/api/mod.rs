//! The Prometheus HTTP API v1 (`/api/v1/...`), as 2.42 answers it: the same
//! JSON, status codes, error types and messages.
//!
//! Library errors become API errors in exactly one place ([`ApiError`] and
//! its `From` impls); handlers run queries on the blocking pool because the
//! engine blocks its thread.

mod json;
mod meta;
pub(crate) mod params;
mod query;
mod status;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use argus_model::storage::{Queryable, StorageError};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use views::{MetadataEntry, RulesFn, TargetsFn, TargetsMetadataFn, Views};

use crate::WebState;

/// Build facts for `/api/v1/status/buildinfo`.
#[derive(Debug, Clone, Default)]
pub struct BuildInfo {
    /// Release version, e.g. `0.1.0`.
    pub version: String,
    /// Git revision.
    pub revision: String,
    /// Build date (RFC 3339).
    pub build_date: String,
}

/// Returns a JSON document for a status endpoint.
pub type JsonSource = Arc<dyn Fn() -> serde_json::Value + Send + Sync>;

/// What the v1 API reads from the rest of the process.
#[derive(Clone)]
pub struct ApiState {
    /// The storage read seam (head and blocks merged).
    pub storage: Arc<dyn Queryable>,
    /// The PromQL engine.
    pub engine: argus_promql::Engine,
    /// Build facts.
    pub build: BuildInfo,
    /// Command-line flags as `name → value`.
    pub flags: BTreeMap<String, String>,
    /// The running configuration as YAML.
    pub config_yaml: Arc<dyn Fn() -> String + Send + Sync>,
    /// `/api/v1/status/runtimeinfo`'s document.
    pub runtime_info: JsonSource,
    /// `/api/v1/status/tsdb`'s document.
    pub tsdb_status: JsonSource,
    /// Takes a snapshot (`skip_head` = true leaves the head out) and returns
    /// its directory name; `None` when the admin API is disabled.
    pub snapshot: Option<SnapshotFn>,
    /// The running config's `global.external_labels` (federation adds them).
    pub external_labels: Arc<dyn Fn() -> argus_model::Labels + Send + Sync>,
    /// Targets, metadata, rules and alerts from the other subsystems.
    pub views: Views,
}

/// Takes a storage snapshot; the argument is Prometheus' `skip_head`.
pub type SnapshotFn = Arc<dyn Fn(bool) -> Result<String, String> + Send + Sync>;

/// An error of the v1 API: its type (as in Prometheus' `errorType`) and message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    kind: &'static str,
    status: StatusCode,
    msg: String,
}

impl ApiError {
    pub(crate) fn bad_data(msg: String) -> Self {
        ApiError { kind: "bad_data", status: StatusCode::BAD_REQUEST, msg }
    }

    pub(crate) fn internal(msg: String) -> Self {
        ApiError { kind: "internal", status: StatusCode::INTERNAL_SERVER_ERROR, msg }
    }
}

impl From<argus_promql::Error> for ApiError {
    fn from(e: argus_promql::Error) -> Self {
        use argus_promql::ErrorKind as K;
        let (kind, status) = match e.kind() {
            K::BadData => ("bad_data", StatusCode::BAD_REQUEST),
            K::Execution => ("execution", StatusCode::UNPROCESSABLE_ENTITY),
            K::Timeout => ("timeout", StatusCode::SERVICE_UNAVAILABLE),
            K::Canceled => ("canceled", StatusCode::SERVICE_UNAVAILABLE),
            _ => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        };
        ApiError { kind, status, msg: e.to_string() }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Unavailable(_) => {
                ApiError { kind: "unavailable", status: StatusCode::SERVICE_UNAVAILABLE, msg: e.to_string() }
            }
            e => ApiError::internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = String::from("{\"status\":\"error\",\"errorType\":\"");
        body.push_str(self.kind);
        body.push_str("\",\"error\":");
        json::string(&mut body, &self.msg);
        body.push('}');
        (self.status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// A success response around already-encoded JSON `data`.
pub(crate) fn ok(data: &str, warnings: &[String]) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], json::success(data, warnings)).into_response()
}

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/api/v1/query", get(query::instant).post(query::instant))
        .route("/api/v1/query_range", get(query::range).post(query::range))
        .route("/api/v1/format_query", get(query::format).post(query::format))
        .route("/api/v1/series", get(meta::series).post(meta::series).delete(meta::not_allowed))
        .route("/api/v1/labels", get(meta::labels).post(meta::labels))
        .route("/api/v1/label/{name}/values", get(meta::label_values))
        .route("/api/v1/query_exemplars", get(meta::exemplars).post(meta::exemplars))
        .route("/api/v1/metadata", get(views::metadata))
        .route("/api/v1/targets", get(views::targets))
        .route("/api/v1/targets/metadata", get(views::targets_metadata))
        .route("/api/v1/scrape_pools", get(views::scrape_pools))
        .route("/api/v1/rules", get(views::rules))
        .route("/api/v1/alerts", get(views::alerts))
        .route("/api/v1/status/buildinfo", get(status::buildinfo))
        .route("/api/v1/status/flags", get(status::flags))
        .route("/api/v1/status/runtimeinfo", get(status::runtimeinfo))
        .route("/api/v1/status/tsdb", get(status::tsdb))
        .route("/api/v1/status/config", get(status::config))
        .route("/api/v1/admin/tsdb/snapshot", post(status::snapshot).put(status::snapshot))
}

/// Runs blocking work (queries, storage reads) off the async scheduler; a
/// panic there becomes an internal error instead of taking the server down.
///
/// On the multi-threaded runtime the work runs in place (`block_in_place`):
/// the worker hands its other tasks to a fresh thread and carries on with
/// this request itself, so a millisecond query doesn't pay for waking a
/// pool thread and being woken back (two cross-core wake-ups, ~0.5 ms on a
/// 2-core VM). Elsewhere (tests on a current-thread runtime) it falls back
/// to the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let panicked = |p: Box<dyn std::any::Any + Send>| {
        let text = p.downcast_ref::<&str>().copied().or_else(|| p.downcast_ref::<String>().map(String::as_str));
        ApiError::internal(format!("request panicked: {}", text.unwrap_or("(no message)")))
    };
    if multi {
        return tokio::task::block_in_place(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)))
            .unwrap_or_else(|p| Err(panicked(p)));
    }
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => Err(panicked(e.into_panic())),
        Err(e) => Err(ApiError::internal(format!("request was cancelled: {e}"))),
    }
}

/// Extracts merged parameters from a request (URL query plus form body).
pub(crate) async fn read_params(req: axum::extract::Request) -> Result<params::Params, ApiError> {
    let query = req.uri().query().map(str::to_string);
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = if is_form {
        let bytes = axum::body::to_bytes(req.into_body(), 8 << 20)
            .await
            .map_err(|e| ApiError::bad_data(format!("error parsing form values: {e}")))?;
        Some(bytes)
    } else {
        None
    };
    Ok(params::Params::parse(query.as_deref(), body.as_deref()))
}

/// An API state over an in-memory store, for handler tests.
#[cfg(test)]
pub(crate) fn test_state(store: argus_model::storage::MemStorage) -> ApiState {
    ApiState {
        storage: Arc::new(store),
        engine: argus_promql::Engine::default(),
        build: BuildInfo { version: "0.1.0".into(), revision: "abc".into(), build_date: "2026-11-22T00:00:00Z".into() },
        flags: BTreeMap::from([("web.listen-address".to_string(), "127.0.0.1:0".to_string())]),
        config_yaml: Arc::new(|| "global: {}\n".to_string()),
        runtime_info: Arc::new(|| serde_json::json!({"CWD": "/"})),
        tsdb_status: Arc::new(|| serde_json::json!({"headStats": {"numSeries": 0}})),
        snapshot: None,
        external_labels: Arc::new(argus_model::Labels::empty),
        views: Views::default(),
    }
}

#[cfg(test)]
mod tests;
