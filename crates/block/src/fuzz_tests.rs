//! Corruption that checksums cannot see: bytes flipped inside a section (or
//! the footer) with the checksums recomputed, so that every decoder behind
//! the checksum meets hostile input. Open and reads may fail but never panic.

use std::path::Path;

use argus_model::{Labels, MatchOp, Matcher};

use crate::format::{FOOTER_LEN, Footer};
use crate::{Block, BlockWriter, RunRef, WriterOptions};

fn write(dir: &Path) -> std::path::PathBuf {
    let mut sets: Vec<Labels> = (0..300)
        .map(|i| {
            Labels::from_pairs([
                ("__name__", format!("m{}", i % 3)),
                ("instance", format!("i{}", i % 17)),
                ("job", ["a", "b"][i % 2].to_string()),
                ("n", i.to_string()),
            ])
        })
        .collect();
    sets.sort();
    let mut w = BlockWriter::new(dir, 0, 100, WriterOptions { series_per_block: 8, ..Default::default() }).unwrap();
    for (i, ls) in sets.iter().enumerate() {
        let bytes = vec![i as u8; i % 20];
        let r = RunRef { min_time: i as i64 % 50, max_time: 60, num_samples: 3, bytes: &bytes };
        w.add_series(ls, &[r, r]).unwrap();
    }
    dir.join(w.finish().unwrap().ulid.to_string())
}

fn read_all(dir: &Path) -> crate::Result<()> {
    let b = Block::open(dir)?;
    let _ = b.verify();
    let ms =
        [Matcher::new(MatchOp::Re, "instance", "i1.*").unwrap(), Matcher::new(MatchOp::NotEqual, "job", "a").unwrap()];
    for m in [&ms[..], &ms[..1], &[]] {
        if let Ok(ids) = b.select(m) {
            for s in b.series_of(&ids) {
                let (_, _, runs) = s?;
                for r in &runs {
                    let _ = b.run_bytes(r);
                }
            }
        }
    }
    let _ = b.label_names(&ms);
    let _ = b.label_values("n", &ms);
    let _ = b.label_values("job", &[]);
    Ok(())
}

/// Re-encodes the footer with fresh section checksums.
fn reseal(bytes: &mut [u8]) {
    let foot_off = bytes.len() - FOOTER_LEN;
    let mut f = Footer::decode(&bytes[foot_off..]).unwrap();
    for s in f.sections.iter_mut() {
        let (a, b) = (s.offset as usize, (s.offset + s.len) as usize);
        if let Some(sec) = bytes.get(a..b) {
            s.crc = crc32c::crc32c(sec);
        }
    }
    bytes[foot_off..].copy_from_slice(&f.encode());
}

#[test]
fn flipped_section_bytes_with_valid_checksums_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write(tmp.path());
    let path = dir.join(crate::INDEX_FILE);
    let orig = std::fs::read(&path).unwrap();
    read_all(&dir).unwrap();
    let foot_off = orig.len() - FOOTER_LEN;
    // About 1500 flips, rotating the mask, keep this under a few seconds in debug builds.
    let step = (foot_off / 1500).max(1);
    for (i, off) in (8..foot_off).step_by(step).enumerate() {
        {
            let mask = [0x01u8, 0x80, 0xff][i % 3];
            let mut bad = orig.clone();
            bad[off] ^= mask;
            reseal(&mut bad);
            std::fs::write(&path, &bad).unwrap();
            let _ = read_all(&dir);
        }
    }
}

#[test]
fn flipped_footer_fields_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write(tmp.path());
    let path = dir.join(crate::INDEX_FILE);
    let orig = std::fs::read(&path).unwrap();
    let foot_off = orig.len() - FOOTER_LEN;
    for off in foot_off..orig.len() - 8 {
        for mask in [0x01u8, 0x10, 0x80, 0xff] {
            let mut bad = orig.clone();
            bad[off] ^= mask;
            // Recompute only the footer CRC, keeping the flipped field.
            let body_end = orig.len() - 8;
            let crc = crc32c::crc32c(&bad[foot_off..body_end]);
            bad[body_end..body_end + 4].copy_from_slice(&crc.to_le_bytes());
            std::fs::write(&path, &bad).unwrap();
            let _ = read_all(&dir);
        }
    }
}
