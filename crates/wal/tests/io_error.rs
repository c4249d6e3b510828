//! A real write error: a child process runs with a file-size limit (`ulimit -f`), so
//! writes fail with EFBIG part-way through a batch. The partial frame must be rolled
//! back, so the log reopens with no corruption and every acknowledged batch.

mod util;

use std::process::Command;

use argus_wal::{Error, Wal, WalOptions};
use util::*;

const DIR_ENV: &str = "ARGUS_WAL_EFBIG_DIR";
/// `ulimit -f` counts 512-byte blocks: 32 KiB per file.
const LIMIT_BLOCKS: u64 = 64;

#[test]
#[ignore = "run by write_error_rolls_back_the_partial_batch as a child process"]
fn efbig_child_writer() {
    let Some(dir) = std::env::var_os(DIR_ENV) else {
        return;
    };
    let (mut wal, _) = Wal::open(&dir, small(1 << 20)).unwrap();
    let rec = vec![7u8; 1000];
    let mut acked = 0u64;
    let err = loop {
        match wal.log(&[&rec]) {
            Ok(()) => acked += 1,
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::Write { .. }), "{err}");
    assert!(err.to_string().starts_with("cannot write WAL segment "), "{err}");
    // Rolled back to a frame boundary: 8-byte header plus whole 1,015-byte frames.
    let len = std::fs::metadata(seg(dir.as_ref(), 0)).unwrap().len();
    assert_eq!(len, 8 + acked * 1015);
    // The segment is still full, but the WAL is not latched as failed.
    assert!(matches!(wal.log(&[&rec]), Err(Error::Write { .. })));
    assert_eq!(wal.cut_segment().unwrap(), 1);
    wal.log(&[&rec]).unwrap();
    acked += 1;
    wal.close().unwrap();
    println!("acked {acked}");
}

#[test]
fn write_error_rolls_back_the_partial_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {LIMIT_BLOCKS} && exec \"$0\" efbig_child_writer --exact --include-ignored --nocapture"
        ))
        .arg(&exe)
        .env(DIR_ENV, dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let acked: u64 =
        stdout.lines().find_map(|l| l.strip_prefix("acked ")).expect("child printed no ack count").parse().unwrap();
    assert!(acked > 20);

    let (wal, report) = Wal::open(dir, WalOptions::default()).unwrap();
    assert_eq!(report.corruptions, 0);
    assert_eq!(report.records, acked);
    assert_eq!(wal.segments().unwrap(), [0, 1]);
}
