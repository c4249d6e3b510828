//! Differential test of the whole read path (issue 3, item 5): the same
//! OpenMetrics data is backfilled into Debian's Prometheus (promtool) and
//! into argus (`argus tsdb create-blocks-from openmetrics`), both serve it,
//! and a few hundred queries over the HTTP API must give the same answers
//! (values to 1e-9 relative, NaN = NaN, vectors compared as sets unless the
//! query orders them). Skips with a message when Prometheus is not installed.

mod util;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const T0: i64 = 1_672_617_600; // 2023-01-02T00:00:00Z
const STEPS: i64 = 480; // 2 h at 15 s

fn data() -> String {
    let mut s = String::new();
    let handlers = ["/a", "/b", "/c"];
    let codes = ["200", "404", "500"];
    let les = ["0.1", "0.5", "1", "+Inf"];
    s.push_str("# TYPE http_requests counter\n");
    for (hi, h) in handlers.iter().enumerate() {
        for (ci, c) in codes.iter().enumerate() {
            let mut v = 0u64;
            for i in 0..STEPS {
                v += ((i as u64 * 7 + hi as u64 * 3 + ci as u64) % 11) * (3 - ci as u64);
                // A counter reset in the middle of one series.
                if hi == 1 && ci == 0 && i == 200 {
                    v = 0;
                }
                s.push_str(&format!("http_requests_total{{code=\"{c}\",handler=\"{h}\"}} {v} {}\n", T0 + i * 15));
            }
        }
    }
    s.push_str("# TYPE latency histogram\n");
    for (hi, h) in handlers.iter().enumerate() {
        let mut counts = [0u64; 4];
        let mut sum = 0.0f64;
        let mut samples: Vec<(usize, i64, String)> = Vec::new();
        for i in 0..STEPS {
            let n = (i as u64 * 5 + hi as u64) % 9;
            for (k, c) in counts.iter_mut().enumerate() {
                *c += n * (k as u64 + 1) / 4 + if k == 3 { n } else { 0 };
            }
            sum += n as f64 * 0.137;
            for (k, le) in les.iter().enumerate() {
                samples.push((
                    k,
                    i,
                    format!("latency_bucket{{handler=\"{h}\",le=\"{le}\"}} {} {}\n", counts[k], T0 + i * 15),
                ));
            }
            samples.push((10, i, format!("latency_sum{{handler=\"{h}\"}} {sum:.3} {}\n", T0 + i * 15)));
            samples.push((11, i, format!("latency_count{{handler=\"{h}\"}} {} {}\n", counts[3], T0 + i * 15)));
        }
        samples.sort_by_key(|(k, i, _)| (*k, *i));
        for (_, _, line) in samples {
            s.push_str(&line);
        }
    }
    s.push_str("# TYPE temperature gauge\n");
    for room in ["kitchen", "hall"] {
        for i in 0..STEPS {
            // A gap of 20 minutes makes staleness and lookback visible.
            if room == "hall" && (100..180).contains(&i) {
                continue;
            }
            let v = 20.0 + ((i * 13 + room.len() as i64) % 17) as f64 / 4.0;
            s.push_str(&format!("temperature{{room=\"{room}\"}} {v} {}\n", T0 + i * 15));
        }
    }
    s.push_str("# EOF\n");
    s
}

fn queries() -> Vec<String> {
    let mut q: Vec<String> = Vec::new();
    let sel = [
        "http_requests_total",
        "http_requests_total{code=\"500\"}",
        "http_requests_total{handler=~\"/a|/c\"}",
        "temperature",
    ];
    let range_fns = [
        "rate",
        "irate",
        "increase",
        "delta",
        "idelta",
        "deriv",
        "changes",
        "resets",
        "avg_over_time",
        "min_over_time",
        "max_over_time",
        "sum_over_time",
        "count_over_time",
        "last_over_time",
        "stddev_over_time",
        "present_over_time",
    ];
    for s in sel {
        q.push(s.to_string());
        for f in range_fns {
            for r in ["1m", "5m", "17m"] {
                q.push(format!("{f}({s}[{r}])"));
            }
        }
        q.push(format!("quantile_over_time(0.9, {s}[10m])"));
        q.push(format!("predict_linear({s}[10m], 600)"));
        q.push(format!("{s} offset 10m"));
        q.push(format!("timestamp({s})"));
    }
    for agg in ["sum", "avg", "min", "max", "count", "stddev", "group"] {
        q.push(format!("{agg} by (handler) (rate(http_requests_total[5m]))"));
        q.push(format!("{agg} without (code) (http_requests_total)"));
    }
    q.extend(
        [
            "topk(2, rate(http_requests_total[5m]))",
            "bottomk(2, http_requests_total)",
            "quantile(0.5, temperature)",
            "count_values(\"v\", temperature)",
            "histogram_quantile(0.95, sum by (le) (rate(latency_bucket[5m])))",
            "histogram_quantile(0.99, sum by (le, handler) (rate(latency_bucket[5m])))",
            "histogram_quantile(0.5, rate(latency_bucket[10m]))",
            "rate(latency_sum[5m]) / rate(latency_count[5m])",
            "sum by (handler) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (handler) (rate(http_requests_total[5m]))",
            "http_requests_total / on (handler, code) http_requests_total",
            "http_requests_total > bool 100",
            "http_requests_total > 100",
            "temperature - on () group_left avg(temperature)",
            "sum(http_requests_total) by (code) * on (code) group_left count(http_requests_total) by (code)",
            "http_requests_total and on (handler) http_requests_total{code=\"200\"}",
            "http_requests_total unless http_requests_total{code=\"404\"}",
            "temperature or vector(1)",
            "absent(nonexistent)",
            "absent_over_time(temperature{room=\"hall\"}[5m])",
            "max_over_time(rate(http_requests_total[5m])[30m:1m])",
            "avg_over_time(temperature[1h:5m])",
            "label_replace(temperature, \"r\", \"$1\", \"room\", \"(.).*\")",
            "label_join(temperature, \"j\", \"-\", \"room\", \"__name__\")",
            "clamp(temperature, 21, 23)",
            "round(temperature, 0.5)",
            "sort_desc(temperature)",
            "scalar(sum(temperature)) * 2",
            "time() - timestamp(temperature)",
            "day_of_week(timestamp(temperature))",
            "holt_winters(temperature[10m], 0.5, 0.5)",
            "-temperature % 3 ^ 2",
            "exp(ln(temperature))",
            "temperature @ 1672620000",
            "rate(http_requests_total[5m] @ 1672620000)",
            "1 + 2 * 3",
            "vector(time())",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    q
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get_json(port: u16, path: &str) -> serde_json::Value {
    let (_, body) = util::http(port, "GET", path, "").expect("http");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn close(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => false,
    }
}

/// Compares two v1 query responses: same status, same result type, same
/// series (as a set keyed by labels) with close values.
fn same(a: &serde_json::Value, b: &serde_json::Value, ordered: bool) -> Result<(), String> {
    if a["status"] != b["status"] {
        return Err(format!("status {} vs {}", a["status"], b["status"]));
    }
    if a["status"] != "success" {
        return if a["errorType"] == b["errorType"] { Ok(()) } else { Err("error types differ".into()) };
    }
    let (da, db) = (&a["data"], &b["data"]);
    if da["resultType"] != db["resultType"] {
        return Err("result types differ".into());
    }
    let key = |s: &serde_json::Value| s["metric"].to_string();
    let points = |s: &serde_json::Value| -> Vec<(String, String)> {
        let one = |p: &serde_json::Value| (p[0].to_string(), p[1].as_str().unwrap_or("").to_string());
        match s.get("values") {
            Some(v) => v.as_array().map(|a| a.iter().map(one).collect()).unwrap_or_default(),
            None => vec![one(&s["value"])],
        }
    };
    let (ra, rb) = (&da["result"], &db["result"]);
    let (Some(la), Some(lb)) = (ra.as_array(), rb.as_array()) else {
        // scalar or string: [t, "v"]
        return if ra[0] == rb[0] && close(ra[1].as_str().unwrap_or(""), rb[1].as_str().unwrap_or("")) {
            Ok(())
        } else {
            Err(format!("{ra} vs {rb}"))
        };
    };
    if la.len() != lb.len() {
        return Err(format!("{} vs {} series", la.len(), lb.len()));
    }
    let mut sa: Vec<&serde_json::Value> = la.iter().collect();
    let mut sb: Vec<&serde_json::Value> = lb.iter().collect();
    if !ordered {
        sa.sort_by_key(|s| key(s));
        sb.sort_by_key(|s| key(s));
    }
    for (x, y) in sa.iter().zip(sb.iter()) {
        if key(x) != key(y) {
            return Err(format!("series {} vs {}", key(x), key(y)));
        }
        let (px, py) = (points(x), points(y));
        if px.len() != py.len() {
            return Err(format!("{}: {} vs {} points", key(x), px.len(), py.len()));
        }
        for (p, q) in px.iter().zip(py.iter()) {
            if p.0 != q.0 || !close(&p.1, &q.1) {
                return Err(format!("{}: {p:?} vs {q:?}", key(x)));
            }
        }
    }
    Ok(())
}

fn wait_ready(port: u16, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some((200, _)) = util::http(port, "GET", path, "") {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("server on port {port} not ready");
}

#[test]
fn same_answers_as_prometheus() {
    if !std::path::Path::new("/usr/bin/prometheus").exists()
        || Command::new("promtool").arg("--version").output().is_err()
    {
        eprintln!("Debian's prometheus/promtool not installed: differential query test not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("data.om");
    std::fs::write(&input, data()).unwrap();
    let (pdata, adata) = (dir.path().join("prom"), dir.path().join("argus"));
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&pdata)
        .output()
        .unwrap();
    assert!(out.status.success(), "promtool: {}", String::from_utf8_lossy(&out.stderr));
    let out = util::run(&[
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        "--quiet",
        &input.display().to_string(),
        &adata.display().to_string(),
    ]);
    assert!(out.status.success(), "argus: {}", String::from_utf8_lossy(&out.stderr));

    let cfg = dir.path().join("empty.yml");
    std::fs::write(&cfg, "global: {}\n").unwrap();
    let pport = util::free_port();
    let _prom = Proc(
        Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", pdata.display()))
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{pport}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let aport = util::free_port();
    let _argus = Proc(
        Command::new(util::bin())
            .arg("serve")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", adata.display()))
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{aport}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_ready(pport, "/-/ready");
    wait_ready(aport, "/-/ready");

    let mut total = 0;
    let mut failures = Vec::new();
    let times = [T0 + 600, T0 + 1800 + 7, T0 + 3600, T0 + STEPS * 15 - 15, T0 + STEPS * 15 + 400];
    for q in queries() {
        let ordered = q.starts_with("sort") || q.starts_with("topk") || q.starts_with("bottomk");
        for t in times {
            let path = format!("/api/v1/query?query={}&time={t}", enc(&q));
            total += 1;
            if let Err(e) = same(&get_json(pport, &path), &get_json(aport, &path), ordered) {
                failures.push(format!("instant {q} @ {t}: {e}"));
            }
        }
        if !q.contains("count_values") {
            let path = format!(
                "/api/v1/query_range?query={}&start={}&end={}&step=97",
                enc(&q),
                T0 - 300,
                T0 + STEPS * 15 + 300
            );
            total += 1;
            if let Err(e) = same(&get_json(pport, &path), &get_json(aport, &path), false) {
                failures.push(format!("range {q}: {e}"));
            }
        }
    }
    // Metadata endpoints over the same data.
    for path in [
        "/api/v1/labels?start=1672617600&end=1672625000".to_string(),
        "/api/v1/label/handler/values?start=1672617600&end=1672625000".to_string(),
        format!("/api/v1/series?match[]={}&start=1672617600&end=1672625000", enc("latency_count")),
    ] {
        total += 1;
        let (a, b) = (get_json(pport, &path), get_json(aport, &path));
        if a["data"] != b["data"] {
            failures.push(format!("{path}: {} vs {}", a["data"], b["data"]));
        }
    }
    eprintln!("differential: {} identical of {total}", total - failures.len());
    assert!(failures.is_empty(), "{} of {total} differ:\n{}", failures.len(), failures.join("\n"));
}
