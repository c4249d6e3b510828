//! Writing and reading back: segments, reopen, fsync policies, checkpoints, stats.

mod util;

use std::time::Duration;

use argus_wal::{Checkpoint, FsyncPolicy, Position, Reader, Wal, WalOptions, replay_with_progress};
use util::*;

#[test]
fn round_trip_many_batches_across_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut wal, report) = Wal::open(dir, small(4096)).unwrap();
    assert_eq!(report.corruptions, 0);
    let want = log_batches(&mut wal, 0..1000);
    wal.close().unwrap();
    assert_eq!(replay_all(dir), want);

    let (wal, report) = Wal::open(dir, small(4096)).unwrap();
    let segs = wal.segments().unwrap();
    assert!(segs.len() > 20, "{segs:?}");
    assert_eq!(segs, (0..segs.len() as u32).collect::<Vec<_>>());
    assert_eq!(report.records, want.len() as u64);
    assert_eq!(report.batches, 1000);
    for s in &segs {
        assert!(std::fs::metadata(seg(dir, *s)).unwrap().len() <= 4096);
    }

    // The iterator from a middle segment yields a suffix of the log.
    let tail: Vec<Vec<u8>> = Reader::new(dir, 10).unwrap().map(Result::unwrap).collect();
    assert!(!tail.is_empty() && tail.len() < want.len());
    assert_eq!(tail[..], want[want.len() - tail.len()..]);
    let mid: Vec<Vec<u8>> = Reader::range(dir, 0, 9).unwrap().map(Result::unwrap).collect();
    assert_eq!([mid, tail].concat(), want);
}

#[test]
fn reopen_many_times() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut want = Vec::new();
    for round in 0..60u64 {
        let (mut wal, report) = Wal::open(dir, small(2048)).unwrap();
        assert_eq!(report.corruptions, 0, "round {round}");
        assert_eq!(report.records, want.len() as u64);
        want.extend(log_batches(&mut wal, round * 5..round * 5 + 5));
        match round % 3 {
            0 => wal.close().unwrap(),
            1 => drop(wal),
            // Like kill -9: no close, no drop, no fsync; the OS has the bytes.
            _ => std::mem::forget(wal),
        }
        assert_eq!(replay_all(dir), want, "round {round}");
    }
}

#[test]
fn empty_and_missing_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/b/wal");
    assert!(replay_all(tmp.path()).is_empty());
    let (wal, report) = Wal::open(&dir, WalOptions::default()).unwrap();
    assert_eq!(report, Default::default());
    assert_eq!(wal.segments().unwrap(), [0]);
    assert_eq!(wal.current_segment(), 0);
    drop(wal);
    assert!(replay_all(&dir).is_empty());
    assert_eq!(Reader::new(&dir, 0).unwrap().count(), 0);
    assert!(Reader::new(tmp.path().join("missing"), 0).is_err());
}

#[test]
fn empty_batch_and_empty_records() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(tmp.path(), WalOptions::default()).unwrap();
    wal.log(&[]).unwrap();
    wal.log(&[b"", b"x", b""]).unwrap();
    assert_eq!(wal.stats().snapshot().batches_written, 1);
    wal.close().unwrap();
    assert_eq!(replay_all(tmp.path()), [vec![], b"x".to_vec(), vec![]]);
}

#[test]
fn batch_larger_than_segment_gets_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(tmp.path(), small(1024)).unwrap();
    let big = vec![7u8; 5000];
    wal.log(&[b"small"]).unwrap();
    wal.log(&[&big]).unwrap();
    wal.log(&[b"after"]).unwrap();
    assert_eq!(wal.segments().unwrap(), [0, 1, 2]);
    wal.close().unwrap();
    assert_eq!(replay_all(tmp.path()), [b"small".to_vec(), big, b"after".to_vec()]);
}

#[test]
fn fsync_policies_and_stats() {
    let check = |policy: FsyncPolicy, want_fsyncs_after_log: u64| {
        let tmp = tempfile::tempdir().unwrap();
        let opts = WalOptions { fsync: policy, ..WalOptions::default() };
        let (mut wal, _) = Wal::open(tmp.path(), opts).unwrap();
        let stats = wal.stats();
        for _ in 0..5 {
            wal.log(&[b"abc", b"defg"]).unwrap();
        }
        let s = stats.snapshot();
        assert_eq!(s.fsyncs, want_fsyncs_after_log, "{policy:?}");
        assert_eq!(s.records_written, 10);
        assert_eq!(s.batches_written, 5);
        assert_eq!(s.bytes_written, 5 * (13 + 1 + 3 + 1 + 4));
        assert_eq!(s.size_bytes, 8 + s.bytes_written);
        assert_eq!(s.segments_created, 1);
        wal.cut_segment().unwrap();
        let s = stats.snapshot();
        assert_eq!(s.segments_created, 2);
        assert_eq!(s.size_bytes, 16 + s.bytes_written);
        // The closed segment was fsynced whatever the policy.
        assert!(s.fsyncs >= 1);
        wal.close().unwrap();
    };
    check(FsyncPolicy::Always, 5);
    check(FsyncPolicy::Interval(Duration::ZERO), 5);
    check(FsyncPolicy::Interval(Duration::from_secs(3600)), 0);
    check(FsyncPolicy::Never, 0);
}

#[test]
fn interval_sync_from_timer() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = WalOptions { fsync: FsyncPolicy::Interval(Duration::from_secs(3600)), ..WalOptions::default() };
    let (mut wal, _) = Wal::open(tmp.path(), opts).unwrap();
    wal.log(&[b"a"]).unwrap();
    assert!(!wal.maybe_sync().unwrap(), "interval not elapsed");
    wal.sync().unwrap();
    assert_eq!(wal.stats().snapshot().fsyncs, 1);
    wal.sync().unwrap();
    assert_eq!(wal.stats().snapshot().fsyncs, 1, "nothing dirty, no fsync");

    let opts = WalOptions { fsync: FsyncPolicy::Interval(Duration::from_millis(1)), ..WalOptions::default() };
    let tmp = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(tmp.path(), opts).unwrap();
    wal.log(&[b"a"]).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    assert!(wal.maybe_sync().unwrap());
    assert!(!wal.maybe_sync().unwrap());
}

#[test]
fn checkpoint_truncate_and_replay_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut wal, _) = Wal::open(dir, WalOptions::default()).unwrap();
    for s in 0..6u8 {
        wal.log(&[&[b's', s, 0], &[b's', s, 1]]).unwrap();
        if s < 5 {
            wal.cut_segment().unwrap();
        }
    }
    assert_eq!(wal.segments().unwrap(), [0, 1, 2, 3, 4, 5]);

    // Checkpoint segments 0..=3 keeping only the first record of each.
    let kept: Vec<Vec<u8>> = Reader::range(dir, 0, 3).unwrap().map(Result::unwrap).filter(|r| r[2] == 0).collect();
    assert_eq!(kept.len(), 4);
    let older = Checkpoint::write(dir, 1, [b"old".as_slice()]).unwrap();
    let cp = Checkpoint::write(dir, 3, &kept).unwrap();
    assert_eq!(cp.index, 3);
    assert_eq!(Checkpoint::latest(dir).unwrap(), Some(cp.clone()));
    // Replay before truncation already skips segments covered by the checkpoint.
    let want: Vec<Vec<u8>> =
        kept.iter().cloned().chain([4u8, 5].iter().flat_map(|&s| [vec![b's', s, 0], vec![b's', s, 1]])).collect();
    assert_eq!(replay_all(dir), want);

    assert_eq!(wal.truncate_before(4).unwrap(), 4);
    assert_eq!(wal.segments().unwrap(), [4, 5]);
    assert_eq!(Checkpoint::delete_before(dir, 3).unwrap(), 1);
    assert!(!older.path.exists());
    assert_eq!(replay_all(dir), want);
    let mut replayed = Vec::new();
    let (other, _) = Wal::open_with_replay(dir, WalOptions::default(), |r| replayed.push(r.to_vec())).unwrap();
    drop(other);
    assert_eq!(replayed, want);

    // truncate_before never deletes the segment being written.
    assert_eq!(wal.truncate_before(100).unwrap(), 1);
    assert_eq!(wal.segments().unwrap(), [5]);
    wal.close().unwrap();

    let mut positions = Vec::new();
    let mut n = 0;
    let stats = replay_with_progress(dir, |_| n += 1, |p| positions.push((p.position, p.done, p.total))).unwrap();
    assert_eq!(stats.records, n);
    assert_eq!(stats.files, 2);
    assert_eq!(positions, [(Position::Checkpoint { checkpoint: 3, segment: 0 }, 0, 2), (Position::Segment(5), 1, 2)]);
}

#[test]
fn open_after_checkpoint_of_all_segments_writes_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut wal, _) = Wal::open(dir, WalOptions::default()).unwrap();
    wal.log(&[b"old"]).unwrap();
    wal.close().unwrap();
    Checkpoint::write(dir, 7, [b"cp".as_slice()]).unwrap();
    // A crash left an incomplete checkpoint behind.
    std::fs::create_dir(dir.join("checkpoint.00000009.tmp")).unwrap();

    let (mut wal, _) = Wal::open(dir, WalOptions::default()).unwrap();
    assert_eq!(wal.current_segment(), 8);
    assert!(!dir.join("checkpoint.00000009.tmp").exists());
    wal.log(&[b"new"]).unwrap();
    wal.close().unwrap();
    assert_eq!(replay_all(dir), [b"cp".to_vec(), b"new".to_vec()]);
}

#[test]
fn wal_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Wal>();
    assert_send::<Reader>();
}
