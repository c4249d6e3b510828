//! `/api/v1/status/*`: build info, flags, runtime info, TSDB statistics and
//! the running configuration.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{ApiError, json, ok};
use crate::WebState;

fn json_ok(v: &serde_json::Value) -> Response {
    ok(&v.to_string(), &[])
}

pub(crate) async fn buildinfo(State(st): State<WebState>) -> Response {
    let b = &st.api.build;
    json_ok(&serde_json::json!({
        "version": b.version,
        "revision": b.revision,
        "branch": "",
        "buildUser": "",
        "buildDate": b.build_date,
        "goVersion": "",
    }))
}

pub(crate) async fn flags(State(st): State<WebState>) -> Response {
    json_ok(&serde_json::to_value(&st.api.flags).unwrap_or_default())
}

pub(crate) async fn runtimeinfo(State(st): State<WebState>) -> Response {
    json_ok(&(st.api.runtime_info)())
}

pub(crate) async fn tsdb(State(st): State<WebState>) -> Response {
    json_ok(&(st.api.tsdb_status)())
}

pub(crate) async fn config(State(st): State<WebState>) -> Response {
    let mut data = String::from("{\"yaml\":");
    json::string(&mut data, &(st.api.config_yaml)());
    data.push('}');
    ok(&data, &[])
}

/// `POST /api/v1/admin/tsdb/snapshot[?skip_head=true]`: hard links of every
/// block plus the head as a block under `<data>/snapshots/<name>`.
pub(crate) async fn snapshot(State(st): State<WebState>, req: axum::extract::Request) -> Response {
    let Some(f) = st.api.snapshot.clone() else {
        return ApiError {
            kind: "unavailable",
            status: StatusCode::SERVICE_UNAVAILABLE,
            msg: "admin APIs disabled".into(),
        }
        .into_response();
    };
    let p = match super::read_params(req).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let skip_head = matches!(p.get("skip_head"), Some("true" | "1"));
    match tokio::task::spawn_blocking(move || f(skip_head)).await {
        Ok(Ok(name)) => {
            let mut data = String::from("{\"name\":");
            json::string(&mut data, &name);
            data.push('}');
            ok(&data, &[])
        }
        Ok(Err(e)) => ApiError::internal(format!("create snapshot: {e}")).into_response(),
        Err(e) => ApiError::internal(format!("create snapshot: {e}")).into_response(),
    }
}
