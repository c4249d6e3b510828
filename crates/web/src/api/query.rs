//! `/api/v1/query`, `/api/v1/query_range` and `/api/v1/format_query`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::Response;

use super::params::{Params, parse_duration, time_param};
use super::{ApiError, blocking, json, ok, read_params};
use crate::WebState;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn query_text(p: &Params) -> Result<String, ApiError> {
    // A missing query parses as the empty expression, as in Prometheus.
    Ok(p.get("query").unwrap_or("").to_string())
}

fn timeout(p: &Params) -> Result<Option<Duration>, ApiError> {
    match p.get("timeout") {
        None => Ok(None),
        Some(v) => parse_duration(v).map(|ms| Some(Duration::from_millis(ms.max(0) as u64))).ok_or_else(|| {
            ApiError::bad_data(format!("invalid parameter \"timeout\": cannot parse \"{v}\" to a valid duration"))
        }),
    }
}

pub(crate) async fn instant(State(st): State<WebState>, req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let t = time_param(&p, "time", now_ms())?;
    let q = query_text(&p)?;
    let opts = argus_promql::QueryOpts { timeout: timeout(&p)?, ..Default::default() };
    let api = st.api.clone();
    let res = blocking(move || api.engine.instant_query_with(api.storage.as_ref(), &q, t, &opts).map_err(query_error))
        .await?;
    let mut data = String::new();
    json::query_data(&mut data, &res.value);
    Ok(ok(&data, &res.warnings))
}

pub(crate) async fn range(State(st): State<WebState>, req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let start = match p.get("start") {
        Some(_) => time_param(&p, "start", 0)?,
        None => {
            return Err(ApiError::bad_data(
                "invalid parameter \"start\": cannot parse \"\" to a valid timestamp".into(),
            ));
        }
    };
    let end = match p.get("end") {
        Some(_) => time_param(&p, "end", 0)?,
        None => {
            return Err(ApiError::bad_data("invalid parameter \"end\": cannot parse \"\" to a valid timestamp".into()));
        }
    };
    if end < start {
        return Err(ApiError::bad_data(
            "invalid parameter \"end\": end timestamp must not be before start time".into(),
        ));
    }
    let step_s = p.get("step").unwrap_or("");
    let step = parse_duration(step_s).ok_or_else(|| {
        ApiError::bad_data(format!("invalid parameter \"step\": cannot parse \"{step_s}\" to a valid duration"))
    })?;
    if step <= 0 {
        return Err(ApiError::bad_data(
            "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
        ));
    }
    // Prometheus' limit: at most 11,000 points per series.
    if (end - start) / step > 11_000 {
        return Err(ApiError::bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
                .into(),
        ));
    }
    let q = query_text(&p)?;
    let opts = argus_promql::QueryOpts { timeout: timeout(&p)?, ..Default::default() };
    let api = st.api.clone();
    let res = blocking(move || {
        api.engine.range_query_with(api.storage.as_ref(), &q, start, end, step, &opts).map_err(query_error)
    })
    .await?;
    let mut data = String::new();
    json::query_data(&mut data, &res.value);
    Ok(ok(&data, &res.warnings))
}

pub(crate) async fn format(req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let q = p.get("query").unwrap_or("");
    let pretty = argus_promql::format_query(q).map_err(query_error)?;
    let mut data = String::new();
    json::string(&mut data, &pretty);
    Ok(ok(&data, &[]))
}

/// Prometheus' `invalidParamError(err, "query")` for a query that does not
/// parse; other failures keep their own kind and message.
fn query_error(e: argus_promql::Error) -> ApiError {
    match e {
        argus_promql::Error::Parse(m) => ApiError::bad_data(format!("invalid parameter \"query\": {m}")),
        e => e.into(),
    }
}
