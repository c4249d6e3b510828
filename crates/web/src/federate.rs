//! `/federate`: the newest sample of every series matching `match[]`, in the
//! text exposition format, as Prometheus 2.42 serves it for federation.
//!
//! Semantics copied from Prometheus' `web/federate.go`: the window is
//! `now - lookback delta ..= now`, stale series are left out, families are
//! sorted by metric name with one `# TYPE name untyped` line each, and the
//! external labels (plus `instance=""` unless external labels set one) are
//! appended to each series that does not carry them, after its own labels.

use std::collections::BTreeMap;

use argus_model::storage::SelectHints;
use argus_model::{Labels, Matcher, Sample, exposition::format_go_float};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::WebState;
use crate::api::{ApiError, blocking, params::series_selector, read_params};

pub(crate) fn routes() -> axum::Router<WebState> {
    axum::Router::new().route("/federate", get(federate))
}

async fn federate(State(st): State<WebState>, req: Request) -> Result<Response, ApiError> {
    let p = read_params(req).await?;
    let mut sets: Vec<Vec<Matcher>> = Vec::new();
    for s in p.all("match[]") {
        match series_selector(s) {
            Ok(ms) => sets.push(ms),
            Err(e) => return Ok((StatusCode::BAD_REQUEST, format!("{e}\n")).into_response()),
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    let lookback = st.api.engine.opts().lookback_delta.as_millis() as i64;
    let external = (st.api.external_labels)();
    let storage = st.api.storage.clone();
    let found = blocking(move || {
        let (mint, maxt) = (now - lookback, now);
        let q = storage.querier(mint, maxt)?;
        let hints = SelectHints { start: mint, end: maxt, ..Default::default() };
        let mut newest: BTreeMap<Labels, Sample> = BTreeMap::new();
        for ms in &sets {
            for s in q.select(ms, &hints)? {
                let s = s?;
                if let Some(last) = s.samples.iter().rev().find(|x| x.t <= maxt && x.t >= mint) {
                    newest.insert(s.labels, *last);
                }
            }
        }
        Ok(newest)
    })
    .await?;
    let body = render(found, &external);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response())
}

/// Renders the newest samples, grouped by metric name, with external labels.
fn render(found: BTreeMap<Labels, Sample>, external: &Labels) -> String {
    let mut ext: Vec<(String, String)> = external.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect();
    if !ext.iter().any(|(n, _)| n == "instance") {
        ext.push(("instance".into(), String::new()));
        ext.sort();
    }
    let mut by_name: BTreeMap<String, Vec<(Labels, Sample)>> = BTreeMap::new();
    for (ls, s) in found {
        if argus_model::is_stale_nan(s.v) {
            continue;
        }
        let Some(name) = ls.get(argus_model::METRIC_NAME).map(str::to_string) else { continue };
        by_name.entry(name).or_default().push((ls, s));
    }
    let mut out = String::new();
    for (name, series) in by_name {
        out.push_str(&format!("# TYPE {name} untyped\n"));
        for (ls, s) in series {
            out.push_str(&name);
            let mut pairs: Vec<(String, String)> = ls
                .iter()
                .filter(|l| l.name != argus_model::METRIC_NAME && !l.value.is_empty())
                .map(|l| (l.name.to_string(), l.value.to_string()))
                .collect();
            for (n, v) in &ext {
                if ls.get(n).is_none_or(str::is_empty) {
                    pairs.push((n.clone(), v.clone()));
                }
            }
            if !pairs.is_empty() {
                out.push('{');
                for (i, (n, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(n);
                    out.push_str("=\"");
                    for c in v.chars() {
                        match c {
                            '\\' => out.push_str("\\\\"),
                            '"' => out.push_str("\\\""),
                            '\n' => out.push_str("\\n"),
                            c => out.push(c),
                        }
                    }
                    out.push('"');
                }
                out.push('}');
            }
            out.push(' ');
            out.push_str(&format_go_float(s.v));
            out.push(' ');
            out.push_str(&s.t.to_string());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_prometheus_output() {
        // Output of Debian's Prometheus 2.42 for the same series and external
        // labels {zone="z", a="x"}.
        let mut found = BTreeMap::new();
        found.insert(
            Labels::from_pairs([("__name__", "up"), ("instance", "127.0.0.1:19090"), ("job", "p")]),
            Sample::new(1796214488757, 1.0),
        );
        found.insert(Labels::from_pairs([("__name__", "b_zone"), ("zone", "own")]), Sample::new(1796214488730, 1.5));
        found.insert(Labels::from_pairs([("__name__", "gone")]), Sample::new(1, argus_model::stale_nan()));
        let ext = Labels::from_pairs([("zone", "z"), ("a", "x")]);
        assert_eq!(
            render(found, &ext),
            "# TYPE b_zone untyped\nb_zone{zone=\"own\",a=\"x\",instance=\"\"} 1.5 1796214488730\n\
             # TYPE up untyped\nup{instance=\"127.0.0.1:19090\",job=\"p\",a=\"x\",zone=\"z\"} 1 1796214488757\n"
        );
    }
}
