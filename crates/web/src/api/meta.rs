//! Series and label metadata: `/api/v1/series`, `/api/v1/labels`,
//! `/api/v1/label/<name>/values`, and the exemplar and metadata endpoints
//! (empty until scraping records them).

use std::collections::BTreeSet;

use argus_model::storage::SelectHints;
use argus_model::{Labels, Matcher};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::params::{Params, match_sets, time_param};
use super::{ApiError, blocking, json, ok, read_params};
use crate::WebState;

fn range(p: &Params) -> Result<(i64, i64), ApiError> {
    Ok((time_param(p, "start", i64::MIN)?, time_param(p, "end", i64::MAX)?))
}

fn string_list(items: impl IntoIterator<Item = String>) -> String {
    let mut out = String::from("[");
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::string(&mut out, &s);
    }
    out.push(']');
    out
}

pub(crate) async fn series(State(st): State<WebState>, req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let sets = match_sets(&p)?;
    if sets.is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided".into()));
    }
    let (start, end) = range(&p)?;
    let storage = st.api.storage.clone();
    let found: BTreeSet<Labels> = blocking(move || {
        let q = storage.querier(start, end)?;
        let hints = SelectHints { start, end, labels_only: true, ..Default::default() };
        let mut out = BTreeSet::new();
        for ms in &sets {
            for s in q.select(ms, &hints)? {
                out.insert(s?.labels);
            }
        }
        Ok(out)
    })
    .await?;
    let mut data = String::from("[");
    for (i, l) in found.iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        json::labels(&mut data, l);
    }
    data.push(']');
    Ok(ok(&data, &[]))
}

/// Runs `f` once per matcher set (once with no matchers when there is none)
/// and returns the sorted union.
async fn union_over_sets(
    st: &WebState,
    p: &Params,
    f: impl Fn(&dyn argus_model::storage::Querier, &[Matcher]) -> Result<Vec<String>, ApiError> + Send + 'static,
) -> Result<Vec<String>, ApiError> {
    let mut sets = match_sets(p)?;
    if sets.is_empty() {
        sets.push(Vec::new());
    }
    let (start, end) = range(p)?;
    let storage = st.api.storage.clone();
    blocking(move || {
        let q = storage.querier(start, end)?;
        let mut out = BTreeSet::new();
        for ms in &sets {
            out.extend(f(q.as_ref(), ms)?);
        }
        Ok(out.into_iter().collect())
    })
    .await
}

pub(crate) async fn labels(State(st): State<WebState>, req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let names = union_over_sets(&st, &p, |q, ms| Ok(q.label_names(ms)?)).await?;
    Ok(ok(&string_list(names), &[]))
}

pub(crate) async fn label_values(
    State(st): State<WebState>,
    Path(name): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    if !argus_model::is_valid_label_name(&name) {
        let mut q = String::new();
        json::string(&mut q, &name);
        return Err(ApiError::bad_data(format!("invalid label name: {q}")));
    }
    let p = read_params(req).await?;
    let vals = union_over_sets(&st, &p, move |q, ms| Ok(q.label_values(&name, ms)?)).await?;
    Ok(ok(&string_list(vals), &[]))
}

pub(crate) async fn exemplars(req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    // Validate like Prometheus, then answer with no exemplars (none are stored yet).
    if let Some(q) = p.get("query") {
        promql_parser::parser::parse(q).map_err(|e| ApiError::bad_data(format!("1:1: parse error: {e}")))?;
    }
    Ok(ok("[]", &[]))
}

pub(crate) async fn not_allowed() -> Response {
    StatusCode::METHOD_NOT_ALLOWED.into_response()
}
