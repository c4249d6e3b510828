//! WAL throughput: `log` under each fsync policy, the repair scan on open, and replay.
//!
//! Plain std timing, no harness: `cargo bench -p argus-wal --bench wal`.
//! Data goes to `$ARGUS_WAL_BENCH_DIR` (default: the system temp dir); put it on the
//! disk you care about, since fsync on tmpfs is free. Results: `benches/RESULTS.md`.

use std::path::Path;
use std::time::{Duration, Instant};

use argus_wal::{FsyncPolicy, Wal, WalOptions, replay};

const RECORDS_PER_BATCH: usize = 8;
const RECORD_LEN: usize = 128;
/// Each policy runs until this much time or this many batches, whichever comes first.
const RUN_TIME: Duration = Duration::from_secs(3);
const MAX_BATCHES: u64 = 200_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::var_os("ARGUS_WAL_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let tmp = tempfile::Builder::new().prefix("argus-wal-bench").tempdir_in(base)?;
    println!(
        "batch = {RECORDS_PER_BATCH} records x {RECORD_LEN} B = {} B payload, dir {}",
        RECORDS_PER_BATCH * RECORD_LEN,
        tmp.path().display()
    );
    let policies = [
        ("always", FsyncPolicy::Always),
        ("interval(1s)", FsyncPolicy::Interval(Duration::from_secs(1))),
        ("never", FsyncPolicy::Never),
    ];
    for (name, fsync) in policies {
        let dir = tmp.path().join(name.replace(['(', ')'], "_"));
        bench_log(&dir, name, fsync)?;
    }
    // Replay the largest log (written with `never`).
    bench_open_and_replay(&tmp.path().join("never"))?;
    Ok(())
}

fn bench_log(dir: &Path, name: &str, fsync: FsyncPolicy) -> Result<(), Box<dyn std::error::Error>> {
    let opts = WalOptions { fsync, ..WalOptions::default() };
    let (mut wal, _) = Wal::open(dir, opts)?;
    let records: Vec<Vec<u8>> = (0..RECORDS_PER_BATCH).map(|i| vec![i as u8; RECORD_LEN]).collect();
    let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    let start = Instant::now();
    let mut batches = 0u64;
    while batches < MAX_BATCHES && start.elapsed() < RUN_TIME {
        wal.log(&refs)?;
        batches += 1;
    }
    wal.close()?;
    let secs = start.elapsed().as_secs_f64();
    let stats = Wal::open(dir, WalOptions::default())?.0.stats().snapshot();
    let recs = batches as f64 * RECORDS_PER_BATCH as f64;
    let mb = (batches * (RECORDS_PER_BATCH * RECORD_LEN) as u64) as f64 / 1e6;
    println!(
        "log {name:>13}: {batches:>7} batches in {secs:.2}s: {:>9.0} batches/s {:>10.0} records/s {:>7.1} MB/s payload ({} MiB on disk)",
        batches as f64 / secs,
        recs / secs,
        mb / secs,
        stats.size_bytes >> 20
    );
    Ok(())
}

fn bench_open_and_replay(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let (wal, report) = Wal::open(dir, WalOptions::default())?;
    let open = start.elapsed().as_secs_f64();
    let size = wal.stats().snapshot().size_bytes as f64 / 1e6;
    drop(wal);
    println!("open (repair scan): {} records, {size:.0} MB in {open:.2}s: {:.0} MB/s", report.records, size / open);
    let start = Instant::now();
    let mut bytes = 0u64;
    let stats = replay(dir, |rec| bytes += rec.len() as u64)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "replay: {} records in {secs:.2}s: {:.0} records/s {:.0} MB/s payload",
        stats.records,
        stats.records as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    let start = Instant::now();
    let (mut records, mut bytes) = (0u64, 0u64);
    let (wal, _) = Wal::open_with_replay(dir, WalOptions::default(), |rec| {
        records += 1;
        bytes += rec.len() as u64;
    })?;
    drop(wal);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "open_with_replay (one pass): {records} records in {secs:.2}s: {:.0} records/s {:.0} MB/s payload",
        records as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
