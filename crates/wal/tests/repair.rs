//! Repair on open: torn tails, garbage, bit flips, zero fill, gaps, and real I/O errors.

mod util;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use argus_wal::{Corruption, Error, Reader, Wal, WalOptions};
use util::*;

/// Writes `n` batches into `dir` with the given segment size and returns their records
/// and the per-batch record counts.
fn write_log(dir: &Path, max_segment_size: u64, n: u64) -> Vec<Vec<Vec<u8>>> {
    let (mut wal, _) = Wal::open(dir, small(max_segment_size)).unwrap();
    let batches: Vec<Vec<Vec<u8>>> = (0..n).map(batch).collect();
    for b in &batches {
        log_batch(&mut wal, b);
    }
    wal.close().unwrap();
    batches
}

fn append(path: &Path, bytes: &[u8]) {
    OpenOptions::new().append(true).open(path).unwrap().write_all(bytes).unwrap();
}

fn flat(batches: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    batches.concat()
}

#[test]
fn torn_tail_at_every_offset_of_the_last_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let batches = write_log(&src, 1 << 20, 3);
    let last = seg(&src, 0);
    let full_len = std::fs::metadata(&last).unwrap().len();
    let (mut wal, _) = Wal::open(&src, WalOptions::default()).unwrap();
    log_batch(&mut wal, &batch(99));
    wal.close().unwrap();
    let torn_len = std::fs::metadata(&last).unwrap().len();
    assert!(torn_len > full_len + 13);

    for cut in full_len..torn_len {
        let dir = tmp.path().join(format!("cut{cut}"));
        copy_dir(&src, &dir);
        OpenOptions::new().write(true).open(seg(&dir, 0)).unwrap().set_len(cut).unwrap();
        let (mut wal, report) = Wal::open(&dir, WalOptions::default()).unwrap();
        assert_eq!(report.corruptions, u32::from(cut > full_len), "cut {cut}");
        assert_eq!(report.bytes_dropped, cut - full_len, "cut {cut}");
        assert_eq!(report.batches, 3);
        assert_eq!(std::fs::metadata(seg(&dir, 0)).unwrap().len(), full_len);
        assert_eq!(wal.stats().snapshot().corruptions_repaired, u64::from(report.corruptions));
        // Writing after the repair appends cleanly behind the last good batch.
        wal.log(&[b"after repair"]).unwrap();
        wal.close().unwrap();
        let mut want = flat(&batches);
        want.push(b"after repair".to_vec());
        assert_eq!(replay_all(&dir), want, "cut {cut}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn torn_segment_header() {
    let check = |len: u64| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (mut wal, _) = Wal::open(dir, WalOptions::default()).unwrap();
        wal.log(&[b"a"]).unwrap();
        wal.cut_segment().unwrap();
        wal.close().unwrap();
        OpenOptions::new().write(true).open(seg(dir, 1)).unwrap().set_len(len).unwrap();
        let (mut wal, report) = Wal::open(dir, WalOptions::default()).unwrap();
        assert_eq!(report.corruptions, u32::from(len < 8), "len {len}");
        wal.log(&[b"b"]).unwrap();
        wal.close().unwrap();
        assert_eq!(replay_all(dir), [b"a".to_vec(), b"b".to_vec()], "len {len}");
    };
    for len in 0..=8 {
        check(len);
    }
}

#[test]
fn garbage_appended() {
    let check = |garbage: &[u8], want_kind: Corruption| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let batches = write_log(dir, 1 << 20, 10);
        append(&seg(dir, 0), garbage);
        // The reader reports the corruption instead of yielding garbage.
        let err = Reader::new(dir, 0).unwrap().find_map(Result::err).unwrap();
        match err {
            Error::Corruption { kind, .. } => assert_eq!(kind, want_kind),
            e => panic!("unexpected {e}"),
        }
        let (_wal, report) = Wal::open(dir, WalOptions::default()).unwrap();
        assert_eq!(report.corruptions, 1);
        assert_eq!(report.bytes_dropped, garbage.len() as u64);
        assert_eq!(replay_all(dir), flat(&batches));
    };
    check(b"\xffgarbage that is not a frame", Corruption::BadFrameType(0xff));
    check(b"\x01\xff\xff\xff\x7f0000garbage", Corruption::TornPayload);
    check(b"\x01\x04\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03abc", Corruption::ChecksumMismatch);
    check(b"\x01\x02", Corruption::TornFrameHeader);
}

#[test]
fn zero_filled_tail() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let batches = write_log(dir, 1 << 20, 10);
    append(&seg(dir, 0), &[0u8; 4096]);
    let (_wal, report) = Wal::open(dir, WalOptions::default()).unwrap();
    assert_eq!(report.corruptions, 1);
    assert_eq!(report.bytes_dropped, 4096);
    assert_eq!(replay_all(dir), flat(&batches));
}

#[test]
fn flipped_byte_in_an_older_segment_drops_everything_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let batches = write_log(dir, 2048, 100);
    let segs = Wal::open(dir, small(2048)).unwrap().0.segments().unwrap();
    assert!(segs.len() >= 5);
    // Batches that live entirely in segments 0 and 1.
    let before: Vec<Vec<u8>> = Reader::range(dir, 0, 1).unwrap().map(Result::unwrap).collect();
    let seg2: Vec<Vec<u8>> = Reader::range(dir, 2, 2).unwrap().map(Result::unwrap).collect();

    // Flip a byte in the middle of segment 2.
    let path = seg(dir, 2);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();

    let mut replayed = Vec::new();
    let (wal, report) = Wal::open_with_replay(dir, small(2048), |r| replayed.push(r.to_vec())).unwrap();
    assert_eq!(report.corruptions, 1);
    assert_eq!(report.segments_deleted as usize, segs.len() - 3);
    assert_eq!(report.records as usize, replayed.len());
    assert_eq!(wal.segments().unwrap(), [0, 1, 2]);
    assert_eq!(wal.current_segment(), 2);
    drop(wal);
    let got = replay_all(dir);
    assert_eq!(got, replayed);
    // All of segments 0 and 1, then a strict prefix of segment 2.
    assert_eq!(got[..before.len()], before[..]);
    let kept2 = &got[before.len()..];
    assert!(kept2.len() < seg2.len());
    assert_eq!(kept2, &seg2[..kept2.len()]);
    assert_eq!(got[..], flat(&batches)[..got.len()]);
}

#[test]
fn missing_segment_drops_later_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_log(dir, 1024, 60);
    let n = Wal::open(dir, small(1024)).unwrap().0.segments().unwrap().len() as u32;
    assert!(n >= 4);
    let keep: Vec<Vec<u8>> = Reader::range(dir, 0, 1).unwrap().map(Result::unwrap).collect();
    std::fs::remove_file(seg(dir, 2)).unwrap();
    let (wal, report) = Wal::open(dir, small(1024)).unwrap();
    assert_eq!(report.corruptions, 1);
    assert_eq!(report.segments_deleted, n - 3);
    assert_eq!(wal.segments().unwrap(), [0, 1]);
    drop(wal);
    assert_eq!(replay_all(dir), keep);
}

#[test]
fn dir_is_a_file_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("wal");
    std::fs::write(&file, b"not a dir").unwrap();
    let err = Wal::open(&file, WalOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Dir { .. }), "{err}");
    assert!(err.to_string().starts_with(&format!("cannot open WAL directory {}: ", file.display())), "{err}");
}

#[test]
fn unreadable_segment_is_an_error_not_corruption() {
    // As root we cannot use permissions; a directory where a segment should be
    // fails every read with EISDIR, which must not be "repaired" away.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_log(dir, 1 << 20, 3);
    std::fs::create_dir(seg(dir, 1)).unwrap();
    let err = Wal::open(dir, WalOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Read { .. } | Error::OpenSegment { .. }), "{err}");
    assert!(err.to_string().contains("00000001"), "{err}");
    assert!(seg(dir, 0).exists());
}

#[test]
fn newer_format_version_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_log(dir, 1 << 20, 3);
    let path = seg(dir, 0);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[4] = 2;
    std::fs::write(&path, &bytes).unwrap();
    let err = Wal::open(dir, WalOptions::default()).unwrap_err();
    assert!(matches!(err, Error::UnsupportedVersion { version: 2, .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing repaired");
}

#[test]
fn corrupt_checkpoint_is_repaired_and_segments_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut wal, _) = Wal::open(dir, WalOptions::default()).unwrap();
    wal.cut_segment().unwrap();
    wal.log(&[b"seg1"]).unwrap();
    wal.close().unwrap();
    let cp = argus_wal::Checkpoint::write(dir, 0, [b"cp".as_slice()]).unwrap();
    append(&cp.path.join("00000000"), b"\x01junk");
    let (_wal, report) = Wal::open(dir, WalOptions::default()).unwrap();
    assert_eq!(report.corruptions, 1);
    assert_eq!(replay_all(dir), [b"cp".to_vec(), b"seg1".to_vec()]);
}
