//! Random and truncated input, real exporter bodies, and throughput.

use super::*;

/// A small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Parses to the end; asserts the parser never loops, stops after an error,
/// and reports a line within the body.
fn drive(body: &[u8], format: Format) {
    let lines = body.iter().filter(|&&c| c == b'\n').count() + 1;
    let mut p = Parser::new(body, format);
    let mut n = 0;
    while let Some(e) = p.next() {
        n += 1;
        assert!(n <= body.len() + 2, "parser does not advance on {body:?}");
        if let Err(e) = e {
            assert!(e.line() >= 1 && e.line() <= lines, "line {} of {lines} in {body:?}: {e}", e.line());
            assert!(p.next().is_none());
            break;
        }
        if let Ok(Entry::Series(s)) = e {
            let _ = s.labels();
            if let Some(x) = &s.exemplar {
                let _ = x.labels();
            }
        }
    }
}

const VALID_OM: &str = "# HELP a_seconds Time \\\"spent\\\".\n# TYPE a_seconds histogram\n# UNIT a_seconds seconds\n\
    a_seconds_bucket{le=\"0.1\",path=\"/x\"} 3 1.5 # {trace_id=\"abc\"} 0.05 1.4\n\
    a_seconds_bucket{le=\"+Inf\",path=\"/x\"} 5\na_seconds_count{path=\"/x\"} 5\na_seconds_sum{path=\"/x\"} 0.7e-1\n\
    a_seconds_created{path=\"/x\"} 1520872607.123\n# EOF\n";

const VALID_PROM: &str = "# HELP go_gc_duration_seconds A summary \\\\ of\\n pauses.\n# TYPE go_gc_duration_seconds summary\n\
    go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\ngo_gc_duration_seconds{quantile=\"0.5\",} 1.2e-04 1700000000000\n\
    # a comment\n\ngo_gc_duration_seconds_sum 0.00 \ngo_gc_duration_seconds_count{ a=\"b\nc\" } +Inf\n";

#[test]
fn fuzzish_random_bytes_and_truncations_never_panic() {
    // `ARGUS_FUZZ_ITERS=2000000 cargo test --release ... fuzzish` for a longer run.
    let iters: usize = std::env::var("ARGUS_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let seed: u64 = std::env::var("ARGUS_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x2545_f491_4f6c_dd1d);
    let mut rng = Rng(seed | 1);
    for (body, format) in [(VALID_PROM, Format::PromText), (VALID_OM, Format::OpenMetrics)] {
        let body = body.as_bytes();
        assert!(Parser::new(body, format).all(|e| e.is_ok()), "fixture must be valid");
        for cut in 0..=body.len() {
            drive(&body[..cut], format);
            drive(&body[cut..], format);
        }
        let alphabet = b"{}=,\"\\# \t\n\x00\xffaZ_:019.eE+-InfNa";
        for _ in 0..iters {
            let mut b = body.to_vec();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                match rng.below(3) {
                    0 => b[i] = alphabet[rng.below(alphabet.len())],
                    1 => {
                        b.remove(i);
                    }
                    _ => b.insert(i, alphabet[rng.below(alphabet.len())]),
                }
            }
            drive(&b, format);
        }
    }
    for _ in 0..iters {
        let len = rng.below(64);
        let b: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        drive(&b, Format::PromText);
        drive(&b, Format::OpenMetrics);
    }
}

/// Throughput on a 10k-series body; run with
/// `cargo test --release -p argus-model bench_parse -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark; run explicitly in release mode"]
fn bench_parse_10k_series() {
    let mut prom = String::new();
    let mut om = String::new();
    for f in 0..100 {
        let name = format!("node_family_{f}_seconds_total");
        for body in [&mut prom, &mut om] {
            body.push_str(&format!("# HELP {name} Help text of family {f}.\n# TYPE {name} counter\n"));
        }
        for s in 0..100 {
            let line = format!(
                "{name}{{instance=\"host-{s}.example.com:9100\",job=\"node\",mode=\"idle\",cpu=\"{s}\"}} {}",
                format_go_float(s as f64 * 1234.5678 + f as f64)
            );
            prom.push_str(&format!("{line}\n"));
            om.push_str(&format!("{line} 1700000000.{s:03}\n"));
        }
    }
    om.push_str("# EOF\n");
    for (label, body, format) in [("text 0.0.4", &prom, Format::PromText), ("openmetrics", &om, Format::OpenMetrics)] {
        for decode in [false, true] {
            // The fastest of many rounds: the machine is shared, and the minimum is
            // the measurement least disturbed by other processes.
            let mut best = f64::INFINITY;
            let mut samples = 0usize;
            for _ in 0..60 {
                let start = std::time::Instant::now();
                samples = 0;
                for e in Parser::new(body.as_bytes(), format) {
                    if let Entry::Series(s) = e.unwrap() {
                        if decode {
                            std::hint::black_box(s.labels().unwrap());
                        }
                        std::hint::black_box(&s);
                        samples += 1;
                    }
                }
                best = best.min(start.elapsed().as_secs_f64());
            }
            println!(
                "{label:12} {:14} {:7.1} MB/s {:6.2} M samples/s ({} bytes, {samples} samples per body)",
                if decode { "with labels()" } else { "series only" },
                body.len() as f64 / best / 1e6,
                samples as f64 / best / 1e6,
                body.len(),
            );
        }
    }
}

/// Parses real bodies named in `ARGUS_EXPOSITION_FILES` (`path[:om]`, comma
/// separated), e.g. saved from Debian's `prometheus-node-exporter`:
/// `ARGUS_EXPOSITION_FILES=/tmp/ne.prom cargo test -p argus-model real_bodies -- --ignored --nocapture`.
#[test]
#[ignore = "needs bodies saved from a real exporter"]
fn real_bodies_parse() {
    let Ok(files) = std::env::var("ARGUS_EXPOSITION_FILES") else {
        return;
    };
    for spec in files.split(',') {
        let (path, format) = match spec.strip_suffix(":om") {
            Some(p) => (p, Format::OpenMetrics),
            None => (spec, Format::PromText),
        };
        let body = std::fs::read(path).unwrap();
        let (mut samples, mut meta) = (0, 0);
        for e in Parser::new(&body, format) {
            match e.unwrap_or_else(|e| panic!("{path}: {e}")) {
                Entry::Series(s) => {
                    s.labels().unwrap();
                    samples += 1;
                }
                _ => meta += 1,
            }
        }
        println!("{path}: {samples} samples, {meta} other entries");
        assert!(samples > 0);
    }
}
