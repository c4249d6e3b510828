//! Differential test of scrape-time label handling against Debian's
//! Prometheus 2.42: a local HTTP server serves one body; jobs with
//! `honor_labels`, `metric_relabel_configs` and each limit scrape it, and the
//! stored series (`/api/v1/series`) and each target's `lastError` must match
//! what [`SampleAdmission`] decides. Skipped when `prometheus` is absent.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use argus_model::exposition::{Entry, Format, Parser};

use super::prometheus_diff::{have_prometheus, http_get, labels_of, start_prometheus};
use super::*;
use crate::config::{LoadOptions, load};
use crate::limits::SampleAdmission;

const BODY: &str = r#"# TYPE m_gauge gauge
m_gauge{job="x",instance="y",exported_job="z",a="1"} 1
m_gauge{a="2"} 2
go_gc_seconds 3
m_long_label_name_here{v="s"} 4
m_value{v="a_rather_long_value_beyond_limit"} 5
"#;

const JOBS: &str = r#"
- job_name: honor_false
- job_name: honor_true
  honor_labels: true
- job_name: metric_relabel
  metric_relabel_configs:
  - {source_labels: [__name__], regex: 'go_.*', action: drop}
  - {source_labels: [__name__], regex: 'm_(gauge)', target_label: __name__, replacement: 'renamed_$1'}
  - {regex: '(a)', replacement: 'label_$1', action: labelmap}
  - {regex: 'exported_.*', action: labeldrop}
- job_name: name_missing
  metric_relabel_configs:
  - {regex: '__name__', action: labeldrop}
- job_name: label_limit
  label_limit: 5
- job_name: name_len
  label_name_length_limit: 12
- job_name: value_len
  label_value_length_limit: 10
- job_name: sample_limit
  sample_limit: 3
- job_name: sample_limit_ok
  sample_limit: 5
"#;

fn serve(body: &'static str) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// What argus would store for one scrape, or the scrape's error.
fn our_scrape(cfg: &ScrapeConfig, target: &Target) -> Result<BTreeSet<Labels>, String> {
    let mut adm = SampleAdmission::new(cfg, target.labels());
    let mut out = BTreeSet::new();
    let mut limit_err = None;
    for e in Parser::new(BODY.as_bytes(), Format::PromText) {
        let Entry::Series(s) = e.map_err(|e| e.to_string())? else { continue };
        let scraped = s.labels().map_err(|e| e.to_string())?;
        let Some(lset) = adm.series_labels(&scraped).map_err(|e| e.to_string())? else { continue };
        match adm.admit_sample(s.value) {
            Ok(()) => {
                out.insert(lset);
            }
            Err(e) => limit_err = Some(e.to_string()),
        }
    }
    match limit_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

#[test]
fn scrape_labels_and_limits_match_prometheus() {
    if !have_prometheus() {
        eprintln!("skipping Prometheus scrape differential: prometheus not installed (apt-get install prometheus)");
        return;
    }
    let target_port = serve(BODY);
    let dir = std::env::temp_dir().join(format!("argus-prom-scrape-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut yaml = String::from("global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n");
    for line in JOBS.lines().filter(|l| !l.trim().is_empty()) {
        yaml.push_str(line);
        yaml.push('\n');
        if let Some(job) = line.strip_prefix("- job_name: ") {
            yaml.push_str(&format!(
                "  static_configs: [{{targets: ['127.0.0.1:{target_port}'], labels: {{case: {job}}}}}]\n"
            ));
        }
    }
    std::fs::write(dir.join("prometheus.yml"), &yaml).unwrap();

    // Ours.
    let cfg = load(&dir.join("prometheus.yml"), &LoadOptions::default()).unwrap();
    let mut ours: BTreeMap<String, (BTreeSet<Labels>, String)> = BTreeMap::new();
    for sc in &cfg.scrape_configs {
        let set = targets_from_groups(&sc.discovery.static_configs, sc, false);
        let t = set.active.first().unwrap();
        let entry = match our_scrape(sc, t) {
            Ok(series) => (series, String::new()),
            Err(e) => (BTreeSet::new(), e),
        };
        ours.insert(sc.job_name.clone(), entry);
    }

    // Prometheus': wait until every target has been scraped at least once.
    let (_prom, port) = start_prometheus(&dir);
    let deadline = Instant::now() + Duration::from_secs(25);
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
        let Some(body) = http_get(port, "/api/v1/targets") else { continue };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else { continue };
        let active = v["data"]["activeTargets"].as_array().cloned().unwrap_or_default();
        if active.len() == ours.len() && active.iter().all(|t| t["health"] != "unknown") {
            errors = active
                .iter()
                .map(|t| {
                    (
                        t["scrapePool"].as_str().unwrap_or("").to_string(),
                        t["lastError"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect();
            break;
        }
    }
    assert_eq!(errors.len(), ours.len(), "Prometheus did not scrape every target in time");
    // {case=~".+"}, url-encoded.
    let body = http_get(port, "/api/v1/series?match%5B%5D=%7Bcase%3D~%22.%2B%22%7D").unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let synthetic = [
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    ];
    let mut theirs: BTreeMap<String, (BTreeSet<Labels>, String)> =
        errors.into_iter().map(|(job, e)| (job, (BTreeSet::new(), e))).collect();
    for s in v["data"].as_array().into_iter().flatten() {
        let l = labels_of(s);
        if synthetic.contains(&l.get("__name__").unwrap_or("")) {
            continue;
        }
        let case = l.get("case").unwrap_or("").to_string();
        theirs.entry(case).or_default().0.insert(l);
    }
    std::fs::remove_dir_all(&dir).ok();

    let mut diffs = Vec::new();
    for job in ours.keys().chain(theirs.keys()).collect::<BTreeSet<_>>() {
        if ours.get(job) != theirs.get(job) {
            diffs.push(format!("job {job}:\n  ours:       {:?}\n  prometheus: {:?}", ours.get(job), theirs.get(job)));
        }
    }
    assert!(diffs.is_empty(), "{} jobs differ from Prometheus:\n{}", diffs.len(), diffs.join("\n"));
    // The table exercises both outcomes; pin a few so a vacuous run fails.
    let err = |job: &str| ours.get(job).map(|o| o.1.as_str()).unwrap_or("");
    assert_eq!(err("sample_limit"), "sample limit exceeded");
    assert_eq!(err("name_missing"), "missing metric name (__name__ label)");
    assert!(err("label_limit").starts_with("label_limit exceeded (metric: m_gauge, number of labels: 8, limit: 5)"));
    assert!(err("value_len").starts_with("label_value_length_limit exceeded"));
    assert!(err("name_len").starts_with("label_name_length_limit exceeded"));
    let honor_false = &ours.get("honor_false").unwrap().0;
    assert_eq!(honor_false.len(), 5);
    assert!(
        honor_false
            .iter()
            .any(|l| l.get("exported_exported_job") == Some("x") && l.get("exported_instance") == Some("y"))
    );
    assert!(ours.get("honor_true").unwrap().0.iter().any(|l| l.get("job") == Some("x")));
}
