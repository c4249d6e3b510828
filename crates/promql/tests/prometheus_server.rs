//! Differential test against a real Prometheus 2.42 server, for what
//! `promtool` cannot show: range queries and the `--query.max-samples` limit.
//!
//! Ignored by default (it starts a server); run with
//! `cargo test -p argus-promql --test prometheus_server -- --ignored --nocapture`.
//! Needs `prometheus` and `promtool` on `PATH`. Data goes in through
//! `promtool tsdb create-blocks-from openmetrics`, so both sides read the same samples.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use argus_model::storage::MemStorage;
use argus_model::{Labels, Sample};
use argus_promql::{Engine, EngineOpts, Value};

mod common;

const SERIES: i64 = 200;
const STEPS: i64 = 481;
const INTERVAL_MS: i64 = 15_000;

fn value(i: i64, k: i64) -> f64 {
    ((k * (i + 1)) % 97) as f64
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(port: u16, path_and_query: &str) -> Option<serde_json::Value> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(s, "GET {path_and_query} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let body = buf.split_once("\r\n\r\n")?.1;
    serde_json::from_str(body).ok()
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn start(dir: &std::path::Path, max_samples: usize) -> Option<(Server, u16)> {
    let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let cfg = dir.join("prometheus.yml");
    std::fs::write(&cfg, "global: {}\n").ok()?;
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--query.max-samples={max_samples}"))
        .arg("--storage.tsdb.retention.time=100000d")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if http_get(port, "/api/v1/query?query=1").is_some() {
            return Some((server, port));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// The result of a query as (labels, [(t, v)]) sorted, or the error message.
type Outcome = Result<Vec<(Labels, Vec<(i64, f64)>)>, String>;

fn prom_outcome(j: &serde_json::Value) -> Outcome {
    if j["status"] != "success" {
        return Err(j["error"].as_str().unwrap_or("").to_string());
    }
    let parse_v = |v: &serde_json::Value| -> (i64, f64) {
        let t = (v[0].as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
        let s = v[1].as_str().unwrap_or("NaN");
        let f = match s {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            x => x.parse().unwrap_or(f64::NAN),
        };
        (t, f)
    };
    let data = &j["data"];
    let mut out = Vec::new();
    for r in data["result"].as_array().cloned().unwrap_or_default() {
        let labels = Labels::from_pairs(
            r["metric"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect::<Vec<_>>())
                .unwrap_or_default(),
        );
        let points = match r["values"].as_array() {
            Some(vs) => vs.iter().map(parse_v).collect(),
            None => vec![parse_v(&r["value"])],
        };
        out.push((labels, points));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn argus_outcome(r: argus_promql::Result<argus_promql::QueryResult>) -> Outcome {
    let v = r.map_err(|e| e.to_string())?.value;
    let mut out: Vec<(Labels, Vec<(i64, f64)>)> = match v {
        Value::Matrix(m) => m.into_iter().map(|s| (s.labels, s.points.iter().map(|p| (p.t, p.v)).collect())).collect(),
        Value::Vector(v) => v.into_iter().map(|s| (s.labels, vec![(s.t, s.v)])).collect(),
        Value::Scalar(s) => vec![(Labels::empty(), vec![(s.t, s.v)])],
        Value::String { .. } => Vec::new(),
        _ => Vec::new(),
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn same(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Err(x), Err(y)) => x == y,
        (Ok(x), Ok(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|(p, q)| {
                    p.0 == q.0
                        && p.1.len() == q.1.len()
                        && p.1.iter().zip(&q.1).all(|(u, v)| {
                            u.0 == v.0
                                && ((u.1.is_nan() && v.1.is_nan())
                                    || u.1 == v.1
                                    || (u.1 - v.1).abs() / (u.1.abs() + v.1.abs()) < 1e-12)
                        })
                })
        }
        _ => false,
    }
}

/// `a="x",b="y"` without the metric name and without spaces, as OpenMetrics wants.
fn om_labels(ls: &Labels) -> String {
    ls.iter()
        .filter(|l| l.name != "__name__")
        .map(|l| format!("{}=\"{}\"", l.name, l.value))
        .collect::<Vec<_>>()
        .join(",")
}

fn go_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

/// Random expressions (the generator of `differential.rs`) as range queries.
#[test]
#[ignore = "starts a Prometheus 2.42 server; run with --ignored"]
fn random_range_queries_match_prometheus_server() {
    if Command::new("prometheus").arg("--version").output().is_err() {
        eprintln!("skipping: prometheus not found");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // OpenMetrics cannot carry stale markers, so both sides skip them.
    let st = MemStorage::new();
    let mut om = String::new();
    let mut last_name = String::new();
    for line in common::SERIES {
        let (ls, vals) = argus_promql::promqltest::parse_series(line).expect("valid series");
        let name = ls.metric_name().unwrap_or("").to_string();
        if name != last_name {
            om += &format!("# TYPE {name} unknown\n");
            last_name = name;
        }
        let samples: Vec<Sample> = vals
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.filter(|v| !argus_model::is_stale_nan(*v))
                    .map(|v| Sample::new(i as i64 * common::INTERVAL_S * 1000, v))
            })
            .collect();
        for s in &samples {
            om +=
                &format!("{}{{{}}} {} {}\n", ls.metric_name().unwrap_or(""), om_labels(&ls), go_float(s.v), s.t / 1000);
        }
        st.add(ls, &samples);
    }
    om += "# EOF\n";
    let om_path = dir.path().join("in.om");
    std::fs::write(&om_path, om).expect("write openmetrics");
    let ok = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics", "-q"])
        .arg(&om_path)
        .arg(dir.path().join("data"))
        .status()
        .expect("promtool runs");
    assert!(ok.success());
    let Some((_server, port)) = start(dir.path(), 50_000_000) else {
        panic!("prometheus did not start");
    };
    let engine = Engine::default();
    let mut r = common::Rng(0x0bad_cafe_f00d_0001);
    let mut failures = Vec::new();
    let mut checked = 0;
    for _ in 0..2000 {
        let q = common::gen_vector(&mut r, 4);
        // Go's exp/ln/atan2 differ from Rust's (libm) in the last bit now and then,
        // which count_values turns into different label values.
        if q.contains("count_values") && ["exp(", "ln(", "atan2"].iter().any(|f| q.contains(f)) {
            continue;
        }
        // In range queries Prometheus feeds topk/bottomk nested results in Go
        // map order, so ties among equal values resolve differently run to run.
        if q.contains("topk") || q.contains("bottomk") {
            continue;
        }
        for (s, e, step) in [(0i64, 960_000i64, 20_000i64), (-60_000, 600_000, 45_000)] {
            checked += 1;
            let path = format!(
                "/api/v1/query_range?query={}&start={}&end={}&step={}",
                encode(&q),
                s as f64 / 1000.0,
                e as f64 / 1000.0,
                step as f64 / 1000.0
            );
            let want = http_get(port, &path).map(|j| prom_outcome(&j)).unwrap_or(Err("no reply".into()));
            let got = argus_outcome(engine.range_query(&st, &q, s, e, step));
            let comparable = match (&want, &got) {
                // Which duplicate a matching error names depends on series order.
                (Err(a), Err(b)) => {
                    a.split(" for the match group").next() == b.split(" for the match group").next()
                        || (a.contains("parse error") && b.contains("parse error"))
                }
                _ => same(&want, &got),
            };
            if !comparable {
                failures.push(format!("{q} [{s},{e},{step}]\n    prometheus: {want:?}\n    argus:      {got:?}"));
            }
        }
    }
    println!("checked {checked} random range queries against a Prometheus 2.42 server, {} differ", failures.len());
    assert!(failures.is_empty(), "differences:\n{}", failures.join("\n"));
}

#[test]
#[ignore = "starts a Prometheus 2.42 server; run with --ignored"]
fn range_queries_and_max_samples_match_prometheus_server() {
    if Command::new("prometheus").arg("--version").output().is_err() {
        eprintln!("skipping: prometheus not found");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut om = String::from("# TYPE load gauge\n");
    let st = MemStorage::new();
    for i in 0..SERIES {
        let ls =
            Labels::from_pairs([("__name__", "load".to_string()), ("i", i.to_string()), ("g", (i % 5).to_string())]);
        let samples: Vec<Sample> = (0..STEPS).map(|k| Sample::new(k * INTERVAL_MS, value(i, k))).collect();
        for s in &samples {
            om += &format!("load{{i=\"{i}\",g=\"{}\"}} {} {}\n", i % 5, s.v, s.t / 1000);
        }
        st.add(ls, &samples);
    }
    om += "# EOF\n";
    let om_path = dir.path().join("in.om");
    std::fs::write(&om_path, om).expect("write openmetrics");
    let ok = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics", "-q"])
        .arg(&om_path)
        .arg(dir.path().join("data"))
        .status()
        .expect("promtool runs");
    assert!(ok.success());

    let queries = [
        "load",
        "rate(load[5m])",
        "sum by (g) (rate(load[5m]))",
        "max_over_time(load[10m])",
        "avg_over_time(sum by (g) (load)[30m:1m])",
        "topk(3, load)",
        "load / on(i, g) group_left load",
        "count(load > 50)",
        "quantile(0.9, load) by (g)",
        "histogram_quantile(0.5, label_replace(load, \"le\", \"$1\", \"g\", \"(.*)\"))",
        "load * 2 + 1",
        "sum(load) + sum(load offset 10m)",
        "rate(load[5m] @ 3600)",
        "max_over_time(rate(load[2m])[10m:30s])",
        "count_values(\"v\", load)",
        "bottomk(5, load) by (g)",
        "absent(nope)",
        "time() - timestamp(load{i=\"1\"})",
        "load and on(g) (load{i=\"3\"})",
        "-load{g=\"1\"} or load{g=\"2\"}",
    ];
    let ranges = [(0, 7_200_000, 60_000), (1_800_000, 3_600_000, 15_000), (0, 7_200_000, 600_000)];
    let mut failures = Vec::new();
    let (mut checked, mut limit_errors) = (0, 0);
    for max_samples in [50_000_000usize, 100_000, 40_000, 20_000, 12_000, 7_000, 2_000, 500] {
        let Some((server, port)) = start(dir.path(), max_samples) else {
            panic!("prometheus did not start");
        };
        let engine = Engine::new(EngineOpts { max_samples, ..EngineOpts::default() });
        for q in queries {
            for (s, e, step) in ranges {
                checked += 1;
                let path = format!(
                    "/api/v1/query_range?query={}&start={}&end={}&step={}",
                    encode(q),
                    s as f64 / 1000.0,
                    e as f64 / 1000.0,
                    step as f64 / 1000.0
                );
                let want = http_get(port, &path).map(|j| prom_outcome(&j)).unwrap_or(Err("no reply".into()));
                let got = argus_outcome(engine.range_query(&st, q, s, e, step));
                if matches!(&want, Err(e) if e.contains("too many samples")) {
                    limit_errors += 1;
                }
                if !same(&want, &got) {
                    let show = |o: &Outcome| match o {
                        Ok(v) => format!("{} series, {} points", v.len(), v.iter().map(|s| s.1.len()).sum::<usize>()),
                        Err(e) => format!("error: {e}"),
                    };
                    failures.push(format!(
                        "max_samples={max_samples} range {q} [{s},{e},{step}]\n    prometheus: {}\n    argus:      {}",
                        show(&want),
                        show(&got)
                    ));
                }
            }
            checked += 1;
            let want = http_get(port, &format!("/api/v1/query?query={}&time=3600", encode(q)))
                .map(|j| prom_outcome(&j))
                .unwrap_or(Err("no reply".into()));
            let got = argus_outcome(engine.instant_query(&st, q, 3_600_000));
            if !same(&want, &got) {
                failures.push(format!(
                    "max_samples={max_samples} instant {q}\n    prometheus: {want:?}\n    argus:      {got:?}"
                ));
            }
        }
        drop(server);
    }
    println!(
        "checked {checked} queries against a Prometheus 2.42 server ({limit_errors} hit max samples), {} differ",
        failures.len()
    );
    assert!(failures.is_empty(), "differences:\n{}", failures.join("\n"));
}
