//! Storage engine tests at the `Db` boundary: write, read, reopen, compact,
//! and survive damage.

use std::path::Path;
use std::sync::Arc;

use argus_model::storage::{Appendable, Queryable, SelectHints, Series, StorageError};
use argus_model::{Labels, MatchOp, Matcher, Sample};
use argus_tsdb::{Db, DbOptions, WalFsync};

const H: i64 = 3_600_000;

fn opts() -> DbOptions {
    DbOptions { wal_fsync: WalFsync::Segment, retention_time: 0, ..DbOptions::default() }
}

fn ls(name: &str, job: &str, i: usize) -> Labels {
    Labels::from_pairs([("__name__", name.to_string()), ("job", job.to_string()), ("i", i.to_string())])
}

fn select(db: &Db, ms: &[Matcher], mint: i64, maxt: i64) -> Vec<Series> {
    let q = db.querier(mint, maxt).unwrap();
    let h = SelectHints { start: mint, end: maxt, ..Default::default() };
    q.select(ms, &h).unwrap().map(|s| s.unwrap()).collect()
}

fn all(db: &Db) -> Vec<Series> {
    select(db, &[Matcher::new(MatchOp::Re, "__name__", ".+").unwrap()], i64::MIN, i64::MAX)
}

/// Appends `n` series × samples every 15 s over `[t0, t1)`, one commit per timestamp (like scrapes).
fn fill(db: &Db, n: usize, t0: i64, t1: i64) -> usize {
    let mut count = 0;
    let mut t = t0;
    while t < t1 {
        let mut app = db.appender();
        for i in 0..n {
            let v = (t / 15_000) as f64 * (i as f64 + 0.5);
            app.append(0, &ls("m", if i % 2 == 0 { "a" } else { "b" }, i), t, v).unwrap();
            count += 1;
        }
        app.commit().unwrap();
        t += 15_000;
    }
    count
}

/// The database's metrics by name.
fn metrics(db: &Db) -> std::collections::HashMap<&'static str, f64> {
    db.metrics().into_iter().map(|(n, _, v)| (n, v)).collect()
}

fn total_samples(series: &[Series]) -> usize {
    series.iter().map(|s| s.samples.len()).sum()
}

fn open(dir: &Path) -> Arc<Db> {
    Db::open(dir, opts()).unwrap()
}

#[test]
fn write_read_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let n = fill(&db, 20, 0, 30 * 60_000);
    assert_eq!(total_samples(&all(&db)), n);
    let got = select(&db, &[Matcher::equal("job", "a"), Matcher::new(MatchOp::Re, "i", "1.*|2").unwrap()], 0, i64::MAX);
    let names: Vec<&str> = got.iter().map(|s| s.labels.get("i").unwrap()).collect();
    assert_eq!(names, vec!["10", "12", "14", "16", "18", "2"]); // label order, regex anchored
    db.close().unwrap();
    drop(db);
    let db = open(dir.path());
    let series = all(&db);
    assert_eq!(series.len(), 20);
    assert_eq!(total_samples(&series), n);
    assert_eq!(series[0].samples[1], Sample::new(15_000, 1.0 * 0.5));
}

#[test]
fn order_rules_and_counters() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let l = ls("m", "a", 0);
    let mut app = db.appender();
    app.append(0, &l, 1000, 1.0).unwrap();
    app.append(0, &l, 2000, 2.0).unwrap();
    assert_eq!(app.append(0, &l, 1500, 3.0), Err(StorageError::OutOfOrderSample));
    assert_eq!(app.append(0, &l, 2000, 9.0), Err(StorageError::DuplicateSampleForTimestamp));
    app.append(0, &l, 2000, 2.0).unwrap(); // identical duplicate: accepted, ignored
    app.commit().unwrap();
    let mut app = db.appender();
    assert_eq!(app.append(0, &l, 500, 3.0), Err(StorageError::OutOfOrderSample));
    app.rollback();
    assert_eq!(total_samples(&all(&db)), 2);
    let m = metrics(&db);
    assert_eq!(m["out_of_order_samples"], 2.0);
    assert_eq!(m["duplicate_samples"], 1.0);
    assert_eq!(m["samples_appended"], 2.0);
}

#[test]
fn out_of_order_window_accepts_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts();
    o.head.out_of_order_window = 60_000;
    let db = Db::open(dir.path(), o.clone()).unwrap();
    let l = ls("m", "a", 0);
    let mut app = db.appender();
    app.append(0, &l, 100_000, 1.0).unwrap();
    app.commit().unwrap();
    let mut app = db.appender();
    app.append(0, &l, 50_000, 0.5).unwrap();
    assert_eq!(app.append(0, &l, 10_000, 0.1), Err(StorageError::OutOfOrderSample));
    app.commit().unwrap();
    let want = vec![Sample::new(50_000, 0.5), Sample::new(100_000, 1.0)];
    assert_eq!(all(&db)[0].samples, want);
    db.close().unwrap();
    drop(db);
    let db = Db::open(dir.path(), o).unwrap();
    assert_eq!(all(&db)[0].samples, want);
}

#[test]
fn stale_markers_and_special_values_round_trip_through_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let l = ls("m", "a", 0);
    let vals = [argus_model::stale_nan(), f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.1 + 0.2, 5e-324];
    let mut app = db.appender();
    for (i, v) in vals.iter().enumerate() {
        app.append(0, &l, i as i64 * 1000, *v).unwrap();
    }
    // Push the head past 1.5 ranges so the first range is cut into a block.
    app.append(0, &l, 4 * H, 1.0).unwrap();
    app.commit().unwrap();
    db.compact().unwrap();
    assert!(!db.blocks().is_empty());
    let got = &all(&db)[0].samples;
    for (i, v) in vals.iter().enumerate() {
        assert_eq!(got[i].v.to_bits(), v.to_bits(), "value {i}");
    }
}

#[test]
fn compaction_keeps_every_sample_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let n = fill(&db, 10, 0, 9 * H);
    db.compact().unwrap();
    let blocks = db.blocks();
    assert!(!blocks.is_empty(), "head of 9h must be cut into blocks");
    assert!(db.head().min_time() >= blocks.iter().map(|b| b.max_time).max().unwrap());
    assert_eq!(total_samples(&all(&db)), n);
    // A query spanning block and head boundaries.
    let mid = select(&db, &[Matcher::equal("i", "3")], 2 * H - 60_000, 8 * H + 60_000);
    assert_eq!(mid[0].samples.len(), ((6 * H + 120_000) / 15_000 + 1) as usize);
    db.close().unwrap();
    drop(db);
    let db = open(dir.path());
    assert_eq!(total_samples(&all(&db)), n);
    // More data, more compaction: the three 2h blocks merge into one 6h block.
    let n2 = fill(&db, 10, 9 * H, 14 * H);
    db.compact().unwrap();
    assert!(db.blocks().iter().any(|b| b.compaction.level > 1), "{:?}", db.blocks());
    assert_eq!(total_samples(&all(&db)), n + n2);
}

#[test]
fn deferred_select_reads_what_select_reads() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    fill(&db, 10, 0, 9 * H);
    db.compact().unwrap();
    assert!(!db.blocks().is_empty());
    // More samples in the head after the blocks: the wider windows read each series from both.
    fill(&db, 10, 9 * H, 10 * H);
    let ms = [Matcher::new(MatchOp::Re, "i", "[13579]").unwrap()];
    for (lo, hi) in [(0, 10 * H), (2 * H - 7_000, 8 * H + 60_000), (9 * H - 30_000, 9 * H + 30_000), (20 * H, 21 * H)] {
        let want = select(&db, &ms, lo, hi);
        let q = db.querier(lo, hi).unwrap();
        let h = SelectHints { start: lo, end: hi, ..Default::default() };
        let mut buf = vec![Sample::new(-1, 0.0)];
        let mut got = Vec::new();
        for item in q.select_deferred(&ms, &h).unwrap() {
            let (labels, samples) = item.unwrap();
            buf.clear();
            samples.load_into(&mut buf).unwrap();
            if !buf.is_empty() {
                got.push(Series { labels, samples: buf.clone() });
            }
        }
        assert_eq!(got, want, "window [{lo}, {hi}]");
        if lo < 10 * H {
            assert_eq!(got.len(), 5, "window [{lo}, {hi}]");
        }
    }
}

#[test]
fn retention_by_time_deletes_old_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts();
    o.retention_time = 4 * H;
    let db = Db::open(dir.path(), o).unwrap();
    fill(&db, 2, 0, 12 * H);
    db.compact().unwrap();
    let oldest = db.blocks().iter().map(|b| b.min_time).min().unwrap();
    assert!(oldest >= 4 * H, "blocks older than retention remain: {:?}", db.blocks());
    let m = metrics(&db);
    assert!(m["retention_time_deletions"] >= 1.0);
}

#[test]
fn second_process_is_locked_out() {
    let dir = tempfile::tempdir().unwrap();
    let _db = open(dir.path());
    let err = Db::open(dir.path(), opts()).err().expect("second open must fail").to_string();
    assert!(err.contains("in use by another argus process") && err.contains(&std::process::id().to_string()), "{err}");
}

fn wal_segments(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().unwrap().to_str().unwrap().chars().all(|c| c.is_ascii_digit()))
        .collect();
    v.sort();
    v
}

#[test]
fn torn_wal_tail_is_repaired_and_the_prefix_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    fill(&db, 5, 0, 10 * 15_000);
    drop(db); // no close: like a crash
    let seg = wal_segments(dir.path()).pop().unwrap();
    let len = std::fs::metadata(&seg).unwrap().len();
    // Chop into the last batch, then append garbage.
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(len - 7).unwrap();
    drop(f);
    use std::io::Write;
    std::fs::OpenOptions::new().append(true).open(&seg).unwrap().write_all(b"garbage!garbage!").unwrap();
    let db = open(dir.path());
    let got = total_samples(&all(&db));
    assert_eq!(got, 45, "all batches but the torn last one survive");
    // And the repaired WAL accepts new writes that survive another restart.
    fill(&db, 5, 10 * 15_000, 12 * 15_000);
    drop(db);
    let db = open(dir.path());
    assert_eq!(total_samples(&all(&db)), 55);
}

#[test]
fn corrupt_block_is_skipped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    fill(&db, 4, 0, 5 * H);
    db.compact().unwrap();
    let b = db.blocks()[0].ulid.to_string();
    db.close().unwrap();
    drop(db);
    let index = dir.path().join(&b).join("index");
    let mut bytes = std::fs::read(&index).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&index, bytes).unwrap();
    let db = open(dir.path());
    let m = metrics(&db);
    assert_eq!(m["blocks_corrupt"], 1.0);
    assert!(db.blocks().iter().all(|x| x.ulid.to_string() != b));
    // The head's data is still there.
    assert!(total_samples(&all(&db)) > 0);
}

#[test]
fn snapshot_is_a_complete_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let n = fill(&db, 3, 0, 5 * H);
    db.compact().unwrap();
    let snap = tempfile::tempdir().unwrap();
    db.snapshot(snap.path(), true).unwrap();
    let copy = open(snap.path());
    assert_eq!(total_samples(&all(&copy)), n);
}

#[test]
fn matchers_follow_prometheus_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut app = db.appender();
    app.append(0, &Labels::from_pairs([("__name__", "x"), ("env", "prod")]), 1, 1.0).unwrap();
    app.append(0, &Labels::from_pairs([("__name__", "x"), ("env", "dev")]), 1, 1.0).unwrap();
    app.append(0, &Labels::from_pairs([("__name__", "x")]), 1, 1.0).unwrap();
    app.commit().unwrap();
    let count = |ms: Vec<Matcher>| select(&db, &ms, 0, 10).len();
    let m = |op, v: &str| Matcher::new(op, "env", v).unwrap();
    assert_eq!(count(vec![Matcher::equal("__name__", "x"), m(MatchOp::Equal, "")]), 1);
    assert_eq!(count(vec![Matcher::equal("__name__", "x"), m(MatchOp::NotEqual, "prod")]), 2);
    assert_eq!(count(vec![Matcher::equal("__name__", "x"), m(MatchOp::Re, "pro")]), 0);
    assert_eq!(count(vec![Matcher::equal("__name__", "x"), m(MatchOp::Re, "prod|")]), 2);
    assert_eq!(count(vec![Matcher::equal("__name__", "x"), m(MatchOp::NotRe, "d.*")]), 2);
    assert_eq!(count(vec![m(MatchOp::NotEqual, "")]), 2);
    let q = db.querier(0, 10).unwrap();
    assert_eq!(q.label_values("env", &[]).unwrap(), vec!["dev", "prod"]);
    assert_eq!(q.label_names(&[m(MatchOp::Equal, "")]).unwrap(), vec!["__name__"]);
}

#[test]
fn head_garbage_collects_series_without_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut app = db.appender();
    app.append(0, &ls("gone", "a", 0), 0, 1.0).unwrap();
    app.commit().unwrap();
    fill(&db, 2, 0, 5 * H);
    assert_eq!(db.head().num_series(), 3);
    db.compact().unwrap();
    assert_eq!(db.head().num_series(), 2, "the series with only old samples is dropped from the head");
    assert_eq!(all(&db).len(), 3, "its data is still in the block");
}

#[test]
fn deleted_chunks_file_skips_the_block() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    fill(&db, 4, 0, 5 * H);
    db.compact().unwrap();
    let b = db.blocks()[0].ulid.to_string();
    db.close().unwrap();
    drop(db);
    std::fs::remove_file(dir.path().join(&b).join("chunks")).unwrap();
    let db = open(dir.path());
    let m = metrics(&db);
    assert_eq!(m["blocks_corrupt"], 1.0);
    assert!(total_samples(&all(&db)) > 0, "head data still served");
}

#[test]
fn data_dir_that_is_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("not-a-dir");
    std::fs::write(&f, "x").unwrap();
    let e = Db::open(&f, opts()).err().expect("must fail").to_string();
    assert!(e.contains("cannot create data directory") && e.contains("not-a-dir"), "{e}");
}

/// `append_ref`: a handle from `append` takes later samples without labels
/// (the scrape cache's fast path), with the same order rules, and they
/// survive a restart like any other; unknown handles answer `None`.
#[test]
fn append_by_handle() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut app = db.appender();
    let r = app.append(0, &ls("m", "a", 1), 1000, 1.0).unwrap();
    assert_eq!(app.append_ref(r, 2000, 2.0).unwrap(), Some(r), "a handle from the same batch");
    app.commit().unwrap();
    let mut app = db.appender();
    assert_eq!(app.append_ref(r, 3000, 3.0).unwrap(), Some(r));
    assert_eq!(app.append_ref(0, 3000, 3.0).unwrap(), None);
    assert_eq!(app.append_ref(r + 1000, 3000, 3.0).unwrap(), None);
    assert!(matches!(app.append_ref(r, 2500, 9.0), Err(StorageError::OutOfOrderSample)));
    app.commit().unwrap();
    drop(db);
    let db = open(dir.path());
    let got = all(&db);
    assert_eq!(got.len(), 1);
    let ts: Vec<(i64, f64)> = got[0].samples.iter().map(|s| (s.t, s.v)).collect();
    assert_eq!(ts, vec![(1000, 1.0), (2000, 2.0), (3000, 3.0)]);
}

/// `append_handle`: the handle `last_handle` gives takes later samples in
/// later batches with the same order rules; after the head dropped the
/// series (compaction), the handle answers `None` instead of writing into a
/// series nobody can read.
#[test]
fn append_by_kept_handle() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let mut app = db.appender();
    let r = app.append(0, &ls("m", "a", 1), 1000, 1.0).unwrap();
    let h = app.last_handle().expect("the head hands out handles");
    app.commit().unwrap();
    let mut app = db.appender();
    assert_eq!(app.append_handle(r, &h, 2000, 2.0).unwrap(), Some(r));
    assert!(matches!(app.append_handle(r, &h, 2000, 9.0), Err(StorageError::DuplicateSampleForTimestamp)));
    assert!(matches!(app.append_handle(r, &h, 1500, 9.0), Err(StorageError::OutOfOrderSample)));
    app.commit().unwrap();
    let ts: Vec<(i64, f64)> = all(&db)[0].samples.iter().map(|s| (s.t, s.v)).collect();
    assert_eq!(ts, vec![(1000, 1.0), (2000, 2.0)]);

    fill(&db, 1, 0, 5 * H);
    db.compact().unwrap();
    let mut app = db.appender();
    assert_eq!(app.append_handle(r, &h, 6 * H, 3.0).unwrap(), None, "the series left the head");
    app.rollback();
}

/// Two open appenders on one series keep their own pending state: neither
/// loses a sample, a repeated identical sample is accepted by both, and a
/// different value for a timestamp pending in the same batch is refused.
#[test]
fn concurrent_appenders_on_one_series_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let l = ls("m", "a", 1);
    let mut a = db.appender();
    let mut b = db.appender();
    let r = a.append(0, &l, 1000, 1.0).unwrap();
    let ha = a.last_handle().unwrap();
    assert_eq!(b.append(r, &l, 2000, 2.0).unwrap(), r);
    let hb = b.last_handle().unwrap();
    // a repeats its sample after b touched the series, and the other way round.
    assert_eq!(a.append_handle(r, &ha, 1000, 1.0).unwrap(), Some(r));
    assert_eq!(b.append_handle(r, &hb, 2000, 2.0).unwrap(), Some(r));
    assert!(matches!(a.append_handle(r, &ha, 1000, 5.0), Err(StorageError::DuplicateSampleForTimestamp)));
    assert!(matches!(b.append_handle(r, &hb, 2000, 5.0), Err(StorageError::DuplicateSampleForTimestamp)));
    assert_eq!(a.append_handle(r, &ha, 1500, 1.5).unwrap(), Some(r));
    a.commit().unwrap();
    // a third appender after a committed: the tag a left is gone.
    let mut c = db.appender();
    assert_eq!(c.append_handle(r, &ha, 3000, 3.0).unwrap(), Some(r));
    assert_eq!(c.append_handle(r, &ha, 3000, 3.0).unwrap(), Some(r));
    b.commit().unwrap();
    c.commit().unwrap();
    let ts: Vec<(i64, f64)> = all(&db)[0].samples.iter().map(|s| (s.t, s.v)).collect();
    assert_eq!(ts, vec![(1000, 1.0), (1500, 1.5), (2000, 2.0), (3000, 3.0)]);
    drop(db);
    let db = open(dir.path());
    let ts: Vec<(i64, f64)> = all(&db)[0].samples.iter().map(|s| (s.t, s.v)).collect();
    assert_eq!(ts, vec![(1000, 1.0), (1500, 1.5), (2000, 2.0), (3000, 3.0)], "the WAL holds the same");
}

/// Many threads append to the same series at once, each its own
/// timestamps: every sample arrives.
#[test]
fn parallel_appenders_on_shared_series() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let threads: Vec<_> = (0..4i64)
        .map(|k| {
            let db = db.clone();
            std::thread::spawn(move || {
                for round in 0..200i64 {
                    let mut app = db.appender();
                    for i in 0..8 {
                        let t = (round * 4 + k) * 1000;
                        // Refused as out of order when another thread
                        // committed a newer sample first.
                        let Ok(r) = app.append(0, &ls("m", "a", i), t, t as f64) else { continue };
                        // The same sample again in the batch is stored once.
                        let h = app.last_handle().unwrap();
                        let _ = app.append(0, &ls("m", "a", i), t, t as f64);
                        let _ = app.append_handle(r, &h, t, t as f64);
                    }
                    app.commit().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Batches race, so a sample older than one another thread committed
    // first is dropped at commit as out of order, like in Prometheus; but
    // every series has the newest timestamp and strictly increasing ones.
    for s in all(&db) {
        assert!(s.samples.windows(2).all(|w| w[0].t < w[1].t));
        assert_eq!(s.samples.last().unwrap().t, (199 * 4 + 3) * 1000);
    }
}
