//! Head benchmark: memory per active series, append throughput and
//! select+decode throughput at a large series count.
//!
//! `cargo bench -p argus-tsdb --bench head` (release). Environment:
//! `ARGUS_BENCH_SERIES` (default 1000000), `ARGUS_BENCH_ROUNDS` (samples per
//! series, default 20), `ARGUS_BENCH_BATCH` (series per commit, like one
//! scrape, default 2000). Prints one JSON line; results go to BENCHMARKS.md.
//! Single-threaded on purpose: the append figure is per core.

use std::time::Instant;

use argus_model::storage::{Appendable, Queryable, SelectHints};
use argus_model::{Labels, Matcher};
use argus_tsdb::{Db, DbOptions, WalFsync};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Label sets shaped like a web service's histogram series (see ../shared/bench/gen.py).
fn labels(i: usize) -> Labels {
    const LE: [&str; 12] = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
    let target = i / 1000;
    let j = i % 1000;
    Labels::from_pairs([
        ("__name__", "http_request_duration_seconds_bucket".to_string()),
        ("instance", format!("t{target:05}")),
        ("job", "bench".to_string()),
        ("handler", format!("/api/v1/h{}", j / 24)),
        ("method", if (j / 12).is_multiple_of(2) { "GET" } else { "POST" }.to_string()),
        ("le", LE[j % 12].to_string()),
    ])
}

fn main() {
    let n = env("ARGUS_BENCH_SERIES", 1_000_000);
    let rounds = env("ARGUS_BENCH_ROUNDS", 20);
    let batch = env("ARGUS_BENCH_BATCH", 2000);
    let dir = tempfile::tempdir().expect("temp dir");
    let all_labels: Vec<Labels> = (0..n).map(labels).collect();
    let rss_labels = rss_bytes();
    let db = Db::open(dir.path(), DbOptions { wal_fsync: WalFsync::Segment, retention_time: 0, ..Default::default() })
        .expect("open db");
    let rss0 = rss_bytes();
    let mut refs = vec![0u64; n];
    let t0 = Instant::now();
    let mut create_secs = 0.0;
    for r in 0..rounds {
        let ts = 1_672_617_600_000 + r as i64 * 15_000;
        for (start, chunk) in all_labels.chunks(batch).enumerate() {
            let mut app = db.appender();
            for (k, l) in chunk.iter().enumerate() {
                let idx = start * batch + k;
                let v = (r * (idx % 7 + 1)) as f64;
                refs[idx] = app.append(refs[idx], l, ts, v).expect("append");
            }
            app.commit().expect("commit");
        }
        if r == 0 {
            create_secs = t0.elapsed().as_secs_f64();
        }
    }
    let append_secs = t0.elapsed().as_secs_f64() - create_secs;
    let rss1 = rss_bytes();
    let samples_after_create = (n * (rounds - 1)) as f64;

    // Select + decode: every series, whole range, twice (the second run is warm).
    let mut decode = Vec::new();
    for _ in 0..2 {
        let t = Instant::now();
        let q = db.querier(i64::MIN, i64::MAX).expect("querier");
        let h = SelectHints { start: i64::MIN, end: i64::MAX, ..Default::default() };
        let m = [Matcher::equal("__name__", "http_request_duration_seconds_bucket")];
        let mut samples = 0usize;
        for s in q.select(&m, &h).expect("select") {
            samples += s.expect("series").samples.len();
        }
        decode.push((samples, t.elapsed().as_secs_f64()));
    }
    let (dec_samples, dec_secs) = decode[1];
    println!(
        "{{\"series\":{n},\"samples_per_series\":{rounds},\"head_bytes_per_series\":{:.0},\"process_rss_bytes_per_series\":{:.0},\"chunk_bytes_per_series\":{:.0},\"series_create_per_s\":{:.0},\"append_samples_per_s\":{:.0},\"select_decode_samples_per_s\":{:.0},\"select_samples\":{dec_samples},\"label_sets_bytes_per_series\":{:.0}}}",
        (rss1.saturating_sub(rss0)) as f64 / n as f64,
        rss1 as f64 / n as f64,
        db.head().chunk_bytes() as f64 / n as f64,
        n as f64 / create_secs,
        samples_after_create / append_secs,
        dec_samples as f64 / dec_secs,
        rss_labels as f64 / n as f64,
    );
    drop(refs);
}
