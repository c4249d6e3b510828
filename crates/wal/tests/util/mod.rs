//! Helpers shared by the integration tests: deterministic records, logging, replay.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use argus_wal::{FsyncPolicy, Wal, WalOptions, replay};

/// Small segments so tests cross many of them.
pub fn small(max_segment_size: u64) -> WalOptions {
    WalOptions { max_segment_size, fsync: FsyncPolicy::Never }
}

/// Deterministic batches: batch `i` has 1..=4 records of 0..200 bytes.
pub fn batch(i: u64) -> Vec<Vec<u8>> {
    let mut x = i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let n = 1 + next() % 4;
    (0..n)
        .map(|r| {
            let len = (next() % 200) as usize;
            let mut rec = format!("b{i}r{r}:").into_bytes();
            rec.extend((0..len).map(|k| (k as u64 ^ i) as u8));
            rec
        })
        .collect()
}

pub fn log_batch(wal: &mut Wal, b: &[Vec<u8>]) {
    let refs: Vec<&[u8]> = b.iter().map(Vec::as_slice).collect();
    wal.log(&refs).unwrap();
}

/// Logs batches `range` and returns their records flattened.
pub fn log_batches(wal: &mut Wal, range: std::ops::Range<u64>) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    for i in range {
        let b = batch(i);
        log_batch(wal, &b);
        all.extend(b);
    }
    all
}

pub fn replay_all(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    replay(dir, |r| out.push(r.to_vec())).unwrap();
    out
}

pub fn seg(dir: &Path, i: u32) -> PathBuf {
    dir.join(format!("{i:08}"))
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
