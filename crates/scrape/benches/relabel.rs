//! Relabeling hot paths: metric relabeling runs once per new series per
//! scrape, target relabeling once per discovered target per update. Plain
//! timing loop (no bench framework dependency); prints ns per call.
//!
//! Run: `cargo bench -p argus-scrape --bench relabel`.

use std::hint::black_box;
use std::time::Instant;

use argus_model::Labels;
use argus_scrape::config::{LoadOptions, parse};
use argus_scrape::limits::mutate_sample_labels;
use argus_scrape::relabel;
use argus_scrape::target::populate_labels;

const CONFIG: &str = r#"
scrape_configs:
- job_name: k8s-like
  relabel_configs:
  - {source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape], regex: 'true', action: keep}
  - {source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path], regex: '(.+)', target_label: __metrics_path__}
  - {source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port], regex: '([^:]+)(?::\d+)?;(\d+)', replacement: '$1:$2', target_label: __address__}
  - {regex: '__meta_kubernetes_pod_label_(.+)', action: labelmap}
  - {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
  - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
  - {source_labels: [__address__], target_label: __tmp_hash, modulus: 4, action: hashmod}
  metric_relabel_configs:
  - {source_labels: [__name__], regex: 'go_(gc|memstats)_.*', action: drop}
  - {regex: 'pod_template_hash', action: labeldrop}
"#;

fn time(name: &str, iters: u32, mut f: impl FnMut()) {
    for _ in 0..iters / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let ns = start.elapsed().as_nanos() / u128::from(iters);
    println!("{name:<40} {ns:>8} ns/op");
}

fn main() {
    let cfg = parse(CONFIG, "bench.yml".as_ref(), &LoadOptions::default()).expect("bench config is valid");
    let job = cfg.scrape_configs.first().expect("one job");
    let discovered = Labels::from_pairs([
        ("__address__", "10.1.2.3:8080"),
        ("__meta_kubernetes_namespace", "shop"),
        ("__meta_kubernetes_pod_name", "checkout-7d9f8c6b5-x2x4z"),
        ("__meta_kubernetes_pod_annotation_prometheus_io_scrape", "true"),
        ("__meta_kubernetes_pod_annotation_prometheus_io_port", "9102"),
        ("__meta_kubernetes_pod_annotation_prometheus_io_path", "/metrics"),
        ("__meta_kubernetes_pod_label_app", "checkout"),
        ("__meta_kubernetes_pod_label_pod_template_hash", "7d9f8c6b5"),
        ("__meta_kubernetes_pod_label_tier", "backend"),
    ]);
    time("relabel::process (7 target steps)", 20_000, || {
        black_box(relabel::process(black_box(&discovered), &job.relabel_configs));
    });
    time("target::populate_labels", 20_000, || {
        black_box(populate_labels(black_box(&discovered), job, false).ok());
    });
    let target = Labels::from_pairs([("job", "k8s-like"), ("instance", "10.1.2.3:9102"), ("namespace", "shop")]);
    let series = Labels::from_pairs([
        ("__name__", "http_requests_total"),
        ("method", "GET"),
        ("code", "200"),
        ("handler", "/api/checkout"),
    ]);
    time("limits::mutate_sample_labels (kept)", 100_000, || {
        black_box(mutate_sample_labels(black_box(&series), &target, false, &job.metric_relabel_configs));
    });
    let dropped = Labels::from_pairs([("__name__", "go_gc_duration_seconds"), ("quantile", "0.5")]);
    time("limits::mutate_sample_labels (dropped)", 100_000, || {
        black_box(mutate_sample_labels(black_box(&dropped), &target, false, &job.metric_relabel_configs));
    });
}
