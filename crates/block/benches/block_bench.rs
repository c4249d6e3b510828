//! Block write/open/select benchmark (`cargo bench -p argus-block`).
//!
//! Writes blocks of realistic histogram series (20k and 100k series, 1440
//! samples each in two runs of pseudo-random bytes standing in for encoded
//! samples), then reports write time, index bytes per series and per sample,
//! open time, and postings lookup (select) time for typical matchers.
//! Prints a table; asserts nothing about timing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use argus_block::{Block, BlockWriter, RunRef, WriterOptions};
use argus_model::{Labels, MatchOp, Matcher};

const HANDLERS: [&str; 10] = [
    "/api/v1/users",
    "/api/v1/orders",
    "/api/v1/items",
    "/api/v1/login",
    "/api/v1/logout",
    "/api/v1/search",
    "/api/v1/cart",
    "/api/v1/payments",
    "/healthz",
    "/metrics",
];
const LES: [&str; 10] = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const SAMPLES: u32 = 1440;

fn label_sets(instances: usize) -> Vec<Labels> {
    let mut v = Vec::new();
    for h in HANDLERS {
        for i in 0..instances {
            for le in LES {
                for m in METHODS {
                    v.push(Labels::from_pairs([
                        ("__name__", "http_request_duration_seconds_bucket"),
                        ("handler", h),
                        ("instance", &format!("t{:04}", i + 1)),
                        ("job", "bench"),
                        ("le", le),
                        ("method", m),
                    ]));
                }
            }
        }
    }
    v.sort();
    v
}

fn run(name: &str, instances: usize, spb: u32, run_len: usize) {
    let sets = label_sets(instances);
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut bytes = vec![0u8; 300];
    let start = Instant::now();
    let opts = WriterOptions { series_per_block: spb, ..Default::default() };
    let mut w = BlockWriter::new(tmp.path(), 0, i64::from(SAMPLES) * 15_000 - 1, opts).expect("writer");
    for ls in &sets {
        for b in bytes.iter_mut() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            *b = rng as u8;
        }
        let half = i64::from(SAMPLES / 2) * 15_000;
        let len = run_len - (rng % 50) as usize;
        let runs = [
            RunRef { min_time: 0, max_time: half - 15_000, num_samples: SAMPLES / 2, bytes: &bytes[..len] },
            RunRef { min_time: half, max_time: 2 * half - 15_000, num_samples: SAMPLES / 2, bytes: &bytes[..len] },
        ];
        w.add_series(ls, &runs).expect("add");
    }
    let meta = w.finish().expect("finish");
    let write = start.elapsed();
    let dir = tmp.path().join(meta.ulid.to_string());
    let t = Instant::now();
    let b = Block::open(&dir).expect("open");
    let open = t.elapsed();
    let n = sets.len() as f64;
    let idx = b.index_bytes() as f64;
    println!(
        "{name}: {} series, series_per_block {spb}: write {:.0} ms, open {:.1} ms, index {} B = {:.1} B/series = {:.4} B/sample",
        sets.len(),
        write.as_secs_f64() * 1e3,
        open.as_secs_f64() * 1e3,
        b.index_bytes(),
        idx / n,
        idx / (n * f64::from(SAMPLES)),
    );
    for (sec, stored, raw) in b.index_sections() {
        println!("  section {sec:<20} {stored:>8} B stored ({:.2} B/series), {raw:>8} B raw", stored as f64 / n);
    }
    let m = |op, n: &str, v: &str| Matcher::new(op, n, v).expect("matcher");
    let cases: Vec<(&str, Vec<Matcher>)> = vec![
        ("__name__=X (all)", vec![m(MatchOp::Equal, "__name__", "http_request_duration_seconds_bucket")]),
        ("handler=,le=", vec![m(MatchOp::Equal, "handler", "/api/v1/users"), m(MatchOp::Equal, "le", "0.005")]),
        ("instance=", vec![m(MatchOp::Equal, "instance", "t0001")]),
        (
            "instance=~t00[0-1].*,method!=GET",
            vec![m(MatchOp::Re, "instance", "t00[0-1].*"), m(MatchOp::NotEqual, "method", "GET")],
        ),
        ("le=~.+,job=bench", vec![m(MatchOp::Re, "le", ".+"), m(MatchOp::Equal, "job", "bench")]),
    ];
    for (label, ms) in cases {
        let (iters, dt, found) = time(|| b.select(&ms).expect("select").len());
        println!(
            "  select {label:<36} {found:>6} series  {:>9.1} us/op ({iters} iters)",
            dt.as_secs_f64() * 1e6 / iters as f64
        );
    }
    let ids = b.select(&[m(MatchOp::Equal, "instance", "t0001")]).expect("select");
    let (iters, dt, _) = time(|| ids.iter().map(|&id| b.series(id).expect("series").1.len()).sum::<usize>());
    println!(
        "  series() lookup                            {:>9.2} us/series",
        dt.as_secs_f64() * 1e6 / (iters * ids.len()) as f64
    );
    let (iters, dt, _) = time(|| b.series_of(&ids).map(|s| s.expect("series").2.len()).sum::<usize>());
    println!(
        "  series_of(selected) lookup                 {:>9.2} us/series",
        dt.as_secs_f64() * 1e6 / (iters * ids.len()) as f64
    );
    let t = Instant::now();
    let total: usize = b.series_iter().map(|s| s.expect("iter").2.len()).sum();
    println!(
        "  series_iter over all                       {:>9.2} us/series ({total} runs)",
        t.elapsed().as_secs_f64() * 1e6 / n
    );
    let t = Instant::now();
    b.verify().expect("verify");
    println!("  verify                                     {:>9.0} ms", t.elapsed().as_secs_f64() * 1e3);
}

fn time<T>(mut f: impl FnMut() -> T) -> (usize, Duration, T) {
    let start = Instant::now();
    let mut iters = 0;
    loop {
        let r = black_box(f());
        iters += 1;
        if start.elapsed() > Duration::from_millis(300) {
            return (iters, start.elapsed(), r);
        }
    }
}

fn main() {
    // `cargo test --benches` passes --bench-less args; keep it cheap there.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    run("20k", 50, 128, 300);
    run("20k", 50, 512, 300);
    run("100k", 250, 128, 300);
    // Scale check (writer memory, open time); small runs keep the chunks file small.
    if std::env::var_os("ARGUS_BLOCK_BENCH_1M").is_some() {
        run("1M", 2500, 128, 60);
    }
}
