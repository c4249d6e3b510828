//! `http_sd_configs`: the pure half of HTTP service discovery. Fetching is the
//! caller's (it owns the HTTP client); [`parse_response`] turns a response
//! into target groups exactly as Prometheus 2.42's `discovery/http` does: the
//! status must be 200, the content type `application/json`, the body a JSON
//! list of groups; each group gets source `"<url>:<index>"` and the
//! `__meta_url` label.

use argus_model::LabelsBuilder;

use super::TargetGroup;
use crate::config::raw;

/// The label HTTP SD adds to every group: the SD endpoint.
pub const URL_LABEL: &str = "__meta_url";

/// Why an HTTP SD response was rejected; messages are Prometheus'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpSdError {
    /// A status other than 200.
    #[error("server returned HTTP status {0}")]
    Status(String),
    /// A content type other than `application/json`.
    #[error("unsupported content type {0:?}")]
    ContentType(String),
    /// The body is not a list of target groups.
    #[error("{0}")]
    Body(String),
}

/// Parses one HTTP SD response. `status` is the status line's text as Go
/// prints it (e.g. `"404 Not Found"`), `status_code` its number.
pub fn parse_response(
    url: &str,
    status_code: u16,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Vec<TargetGroup>, HttpSdError> {
    if status_code != 200 {
        return Err(HttpSdError::Status(status.to_string()));
    }
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(HttpSdError::ContentType(content_type.to_string()));
    }
    let groups: Vec<Option<raw::TargetGroup>> =
        serde_json::from_slice(body).map_err(|e| HttpSdError::Body(e.to_string()))?;
    groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let g = g.ok_or_else(|| HttpSdError::Body("nil target group item found".to_string()))?;
            let mut tg = TargetGroup::from_raw(&g, format!("{url}:{i}"));
            let mut b: LabelsBuilder = tg.labels.builder();
            b.set(URL_LABEL, url);
            tg.labels = b.build();
            Ok(tg)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_model::Labels;

    #[test]
    fn responses() {
        let url = "http://sd:8080/targets";
        let body = br#"[{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": []}]"#;
        let g = parse_response(url, 200, "200 OK", "application/json; charset=utf-8", body).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].source, "http://sd:8080/targets:0");
        assert_eq!(g[0].labels, Labels::from_pairs([("env", "prod"), ("__meta_url", url)]));
        assert_eq!(g[0].targets.len(), 2);
        let err = |code, status: &str, ct: &str, body: &[u8]| {
            parse_response(url, code, status, ct, body).unwrap_err().to_string()
        };
        assert_eq!(err(404, "404 Not Found", "application/json", b"[]"), "server returned HTTP status 404 Not Found");
        assert_eq!(err(200, "200 OK", "text/plain", b"[]"), "unsupported content type \"text/plain\"");
        assert_eq!(err(200, "200 OK", "application/json", b"[null]"), "nil target group item found");
        assert!(err(200, "200 OK", "application/json", br#"[{"targets": ["a"], "x": 1}]"#).contains("unknown field"));
    }
}
