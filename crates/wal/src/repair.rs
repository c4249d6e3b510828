//! Repair on open: find the first bad frame, truncate there, delete what follows.
//!
//! The rule is the same for a torn tail and for corruption in the middle of an older
//! segment: every record before the first bad frame is kept, everything after it
//! (the rest of that segment and all later segments) is dropped, because later
//! records may depend on the lost ones (a sample record on its series record) and
//! replaying them out of context would be worse than losing them.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Corruption, Error, Result};
use crate::format::{Frame, SEGMENT_HEADER_LEN, SegmentScanner, next_record, segment_header};
use crate::segment::{file_len, remove_file, segment_path, sync_dir};

/// What the repair scan on open found; the owner counts it in metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepairReport {
    /// Segment files scanned (checkpoint segments included).
    pub segments_scanned: u32,
    /// Good batches found (all of them kept).
    pub batches: u64,
    /// Good records found (all of them kept).
    pub records: u64,
    /// Corruptions found; each one was repaired by truncation.
    pub corruptions: u32,
    /// Bytes removed by truncation and segment deletion.
    pub bytes_dropped: u64,
    /// Segment files deleted because they followed a corruption.
    pub segments_deleted: u32,
}

/// Scans segments `segs` (sorted) of `dir` and repairs the first corruption found.
///
/// Every record of every good batch is passed to `sink` in log order; since the scan
/// stops at the first bad frame, `sink` sees exactly the records that survive repair.
pub(crate) fn repair_segments(
    dir: &Path,
    segs: &[u32],
    report: &mut RepairReport,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<()> {
    let mut prev: Option<u32> = None;
    for (i, &index) in segs.iter().enumerate() {
        let later = segs.get(i + 1..).unwrap_or_default();
        if prev.is_some_and(|p| p.checked_add(1) != Some(index)) {
            // Segments before `index` are missing: drop `index` and everything after it.
            let from = segs.get(i..).unwrap_or_default();
            let dropped = delete_segments(dir, from, report)?;
            let path = segment_path(dir, index);
            record(report, &path, 0, dropped, from.len(), Corruption::SegmentGap);
            return Ok(());
        }
        prev = Some(index);
        report.segments_scanned += 1;
        let path = segment_path(dir, index);
        let mut scan = SegmentScanner::open(&path)?;
        loop {
            match scan.next_frame()? {
                Frame::Batch { count } => {
                    let mut rest = scan.payload();
                    while let Some(rec) = next_record(&mut rest) {
                        sink(rec);
                    }
                    report.batches += 1;
                    report.records += u64::from(count);
                }
                Frame::End => break,
                Frame::Corrupt(kind) => {
                    let (offset, len) = (scan.frame_offset(), scan.len());
                    drop(scan);
                    truncate_segment(&path, offset)?;
                    let dropped = len.saturating_sub(offset) + delete_segments(dir, later, report)?;
                    record(report, &path, offset, dropped, later.len(), kind);
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

fn record(report: &mut RepairReport, path: &Path, offset: u64, dropped: u64, deleted: usize, kind: Corruption) {
    report.corruptions += 1;
    report.bytes_dropped += dropped;
    tracing::warn!(
        segment = %path.display(),
        offset,
        bytes_dropped = dropped,
        later_segments_deleted = deleted,
        reason = %kind,
        "WAL corruption repaired: truncated segment at the last good record and deleted later segments"
    );
}

/// Cuts a segment at `offset` (rewriting the header if the header itself was bad).
fn truncate_segment(path: &Path, offset: u64) -> Result<()> {
    let err = |source| Error::Modify { action: "truncate", path: path.to_path_buf(), source };
    let mut file = OpenOptions::new().write(true).open(path).map_err(err)?;
    if offset < SEGMENT_HEADER_LEN {
        file.set_len(0).map_err(err)?;
        file.seek(SeekFrom::Start(0)).map_err(err)?;
        file.write_all(&segment_header()).map_err(err)?;
    } else {
        file.set_len(offset).map_err(err)?;
    }
    file.sync_all().map_err(|source| Error::Sync { path: path.to_path_buf(), source })
}

/// Deletes segments, highest first (so a crash leaves a contiguous prefix), and
/// returns the bytes freed.
fn delete_segments(dir: &Path, segs: &[u32], report: &mut RepairReport) -> Result<u64> {
    let mut freed = 0;
    for &index in segs.iter().rev() {
        let path = segment_path(dir, index);
        freed += file_len(&path);
        remove_file(&path)?;
        report.segments_deleted += 1;
    }
    if !segs.is_empty() {
        sync_dir(dir)?;
    }
    Ok(freed)
}
