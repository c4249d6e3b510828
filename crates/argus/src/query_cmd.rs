//! `argus query instant|range|series|labels URL ...`: promtool's query
//! commands against any Prometheus-compatible server, with a table output
//! like promtool's or the raw JSON `data`.

use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::{QueryCommand, QueryFormat};

pub(crate) fn run(cmd: QueryCommand) -> anyhow::Result<ExitCode> {
    // rustls needs one process-wide crypto provider; ring builds without cmake.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    rt.block_on(run_async(cmd))
}

fn now_secs() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("{:.3}", d.as_secs_f64())
}

async fn run_async(cmd: QueryCommand) -> anyhow::Result<ExitCode> {
    let (server, path, params, format): (String, &str, Vec<(String, String)>, QueryFormat) = match cmd {
        QueryCommand::Instant { server, expr, time, format } => (
            server,
            "/api/v1/query",
            vec![("query".into(), expr), ("time".into(), time.unwrap_or_else(now_secs))],
            format,
        ),
        QueryCommand::Range { server, expr, start, end, step, format } => {
            let end = end.unwrap_or_else(now_secs);
            let mut p = vec![("query".into(), expr), ("end".into(), end.clone())];
            let start = match start {
                Some(s) => s,
                None => {
                    let e: f64 = end.parse().context("--end must be unix seconds when --start is omitted")?;
                    format!("{:.3}", e - 300.0)
                }
            };
            p.push(("start".into(), start));
            p.push(("step".into(), step.unwrap_or_else(|| "15s".into())));
            (server, "/api/v1/query_range", p, format)
        }
        QueryCommand::Series { server, matchers, start, end, format } => {
            if matchers.is_empty() {
                bail!("at least one --match is required");
            }
            let mut p: Vec<(String, String)> = matchers.into_iter().map(|m| ("match[]".to_string(), m)).collect();
            p.extend(start.map(|s| ("start".to_string(), s)));
            p.extend(end.map(|e| ("end".to_string(), e)));
            (server, "/api/v1/series", p, format)
        }
        QueryCommand::Labels { server, name, start, end, format } => {
            let mut p = Vec::new();
            p.extend(start.map(|s| ("start".to_string(), s)));
            p.extend(end.map(|e| ("end".to_string(), e)));
            let url_path = match &name {
                Some(n) => format!("/api/v1/label/{n}/values"),
                None => "/api/v1/labels".to_string(),
            };
            return fetch_and_print(&server, &url_path, &p, format).await;
        }
    };
    fetch_and_print(&server, path, &params, format).await
}

async fn fetch_and_print(
    server: &str,
    path: &str,
    params: &[(String, String)],
    format: QueryFormat,
) -> anyhow::Result<ExitCode> {
    let url = format!("{}{}", server.trim_end_matches('/'), path);
    let client = reqwest::Client::builder().build().context("cannot build the HTTP client")?;
    // Like Prometheus' Go client: POST the form, and GET when the endpoint
    // only takes GET (label values answer 405 to POST).
    let mut resp = client.post(&url).form(params).send().await.with_context(|| format!("cannot reach {url}"))?;
    if resp.status() == reqwest::StatusCode::METHOD_NOT_ALLOWED {
        let query: String =
            params.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&");
        resp = client.get(format!("{url}?{query}")).send().await.with_context(|| format!("cannot reach {url}"))?;
    }
    let status = resp.status();
    let body = resp.text().await.with_context(|| format!("cannot read the answer of {url}"))?;
    let v: serde_json::Value =
        serde_json::from_str(&body).with_context(|| format!("{url} answered {status} with non-JSON: {body:.200}"))?;
    if v["status"] != "success" {
        eprintln!(
            "query error: {}: {}",
            v["errorType"].as_str().unwrap_or("unknown"),
            v["error"].as_str().unwrap_or(&body)
        );
        return Ok(ExitCode::FAILURE);
    }
    let data = &v["data"];
    match format {
        QueryFormat::Json => println!("{data}"),
        QueryFormat::Table => print_table(data),
    }
    Ok(ExitCode::SUCCESS)
}

fn metric(m: &serde_json::Value) -> String {
    let Some(obj) = m.as_object() else { return "{}".into() };
    let name = obj.get("__name__").and_then(|n| n.as_str()).unwrap_or("");
    let labels: Vec<String> = obj
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| format!("{k}={}", serde_json::to_string(v.as_str().unwrap_or("")).unwrap_or_default()))
        .collect();
    format!("{name}{{{}}}", labels.join(", "))
}

fn point(p: &serde_json::Value) -> String {
    format!("{} @[{}]", p[1].as_str().unwrap_or(""), p[0])
}

/// promtool's text shapes: `metric => value @[t]` for vectors, a header and
/// one point per line for matrices, one item per line for lists.
fn print_table(data: &serde_json::Value) {
    match data["resultType"].as_str() {
        Some("vector") => {
            for s in data["result"].as_array().into_iter().flatten() {
                println!("{} => {}", metric(&s["metric"]), point(&s["value"]));
            }
        }
        Some("matrix") => {
            for s in data["result"].as_array().into_iter().flatten() {
                println!("{} =>", metric(&s["metric"]));
                for p in s["values"].as_array().into_iter().flatten() {
                    println!("{}", point(p));
                }
            }
        }
        Some("scalar") | Some("string") => println!("{}", point(&data["result"])),
        _ => {
            for item in data.as_array().into_iter().flatten() {
                match item.as_str() {
                    Some(s) => println!("{s}"),
                    None => println!("{}", metric(item)),
                }
            }
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
