//! Fixtures written by format version 1, pinned byte for byte.
//!
//! `fixtures/v1/00000000` was produced from FORMAT.md by an independent script (not by
//! this crate), so a change to the encoder that breaks the documented format fails here.

mod util;

use argus_wal::{Wal, WalOptions};
use util::*;

const V1_SEGMENT: &[u8] = include_bytes!("fixtures/v1/00000000");

fn v1_records() -> Vec<Vec<u8>> {
    vec![b"series 1".to_vec(), Vec::new(), vec![b'x'; 200]]
}

#[test]
fn reads_a_v1_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(seg(tmp.path(), 0), V1_SEGMENT).unwrap();
    let (wal, report) = Wal::open(tmp.path(), WalOptions::default()).unwrap();
    assert_eq!(report.corruptions, 0);
    assert_eq!(report.batches, 2);
    drop(wal);
    assert_eq!(replay_all(tmp.path()), v1_records());
}

#[test]
fn writes_the_v1_fixture_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(tmp.path(), WalOptions::default()).unwrap();
    wal.log(&[b"series 1", b""]).unwrap();
    wal.log(&[&[b'x'; 200]]).unwrap();
    wal.close().unwrap();
    assert_eq!(std::fs::read(seg(tmp.path(), 0)).unwrap(), V1_SEGMENT);
}
