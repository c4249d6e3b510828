//! Remote-write ingest throughput of one receiver, in samples per second.
//!
//! Usage: `remote-write-bench <url> [--clients 4] [--series 1000] [--samples 100]
//! [--requests 60] [--seconds 30]`
//!
//! Each client owns its own `--series` series (label `client`), and posts
//! `--requests` WriteRequests of `--series` series × `--samples` samples,
//! in time order, one at a time; requests are generated and compressed
//! before the clock starts, so the figure is the receiver's (the client only
//! sends bytes). The run ends when every request is answered or after
//! `--seconds`. It prints one JSON line: samples acknowledged (2xx), seconds,
//! samples/s, and counts of non-2xx answers and transport errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argus_model::remote::{Label, Sample, TimeSeries, WriteRequest, encode_write_request};

const STEP_MS: i64 = 100;

struct Args {
    url: String,
    clients: usize,
    series: usize,
    samples: usize,
    requests: usize,
    seconds: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args { url: String::new(), clients: 4, series: 1000, samples: 100, requests: 60, seconds: 30 };
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            it.next().and_then(|v| v.parse().ok()).ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--clients" => a.clients = num("--clients")? as usize,
            "--series" => a.series = num("--series")? as usize,
            "--samples" => a.samples = num("--samples")? as usize,
            "--requests" => a.requests = num("--requests")? as usize,
            "--seconds" => a.seconds = num("--seconds")?,
            u if !u.starts_with("--") && a.url.is_empty() => a.url = u.to_string(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.url.is_empty() {
        return Err(
            "usage: remote-write-bench <url> [--clients N] [--series N] [--samples N] [--requests N] [--seconds N]"
                .into(),
        );
    }
    Ok(a)
}

/// Request `k` of client `c`: every series gets `samples` points at 100 ms
/// steps, continuing where request `k - 1` stopped, ending near now (the
/// whole run spans minutes, well inside a receiver's head window).
fn request(a: &Args, c: usize, k: usize, t0: i64) -> Vec<u8> {
    let step = STEP_MS;
    let timeseries = (0..a.series)
        .map(|s| TimeSeries {
            labels: vec![
                Label { name: "__name__".into(), value: "bench_remote_write".into() },
                Label { name: "client".into(), value: c.to_string() },
                Label { name: "series".into(), value: s.to_string() },
            ],
            samples: (0..a.samples)
                .map(|j| {
                    let i = (k * a.samples + j) as i64;
                    Sample { value: ((s * 7 + j) % 1000) as f64 * 0.5, timestamp: t0 + i * step }
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    encode_write_request(&WriteRequest { timeseries, metadata: Vec::new() })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let a = match parse_args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    // Points end before now, inside the receivers' head window (1 h here).
    let span = (a.requests * a.samples) as i64 * STEP_MS;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let t0 = now - span - 60_000;
    let bodies: Vec<Vec<Vec<u8>>> =
        (0..a.clients).map(|c| (0..a.requests).map(|k| request(&a, c, k, t0)).collect()).collect();
    let bytes: usize = bodies.iter().flatten().map(Vec::len).sum();
    // reqwest is built without a default TLS provider in this workspace.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().no_proxy().build().unwrap_or_else(|e| {
        eprintln!("cannot build client: {e}");
        std::process::exit(2)
    });
    let (ok, non2xx, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client_bodies in bodies {
        let (a, http, ok, non2xx, errors) = (a.clone(), http.clone(), ok.clone(), non2xx.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            for body in client_bodies {
                if Instant::now() >= deadline {
                    break;
                }
                let req = http
                    .post(&a.url)
                    .header("Content-Encoding", "snappy")
                    .header("Content-Type", "application/x-protobuf")
                    .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                    .body(body);
                match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        ok.fetch_add((a.series * a.samples) as u64, Ordering::Relaxed);
                    }
                    Ok(_) => {
                        non2xx.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let samples = ok.load(Ordering::Relaxed);
    println!(
        "{{\"url\":\"{}\",\"samples\":{samples},\"seconds\":{secs:.3},\"samples_per_second\":{:.0},\"non_2xx\":{},\"errors\":{},\"body_bytes\":{bytes}}}",
        a.url,
        samples as f64 / secs,
        non2xx.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed)
    );
}
