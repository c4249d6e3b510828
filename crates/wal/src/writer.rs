//! The WAL writer: appends batches to the current segment, cuts segments, fsyncs.
//!
//! State: the open segment file and its size, whether it holds bytes not yet
//! fsynced (`dirty`), and a `failed` latch set when a write could not be rolled back
//! or an fsync failed; after that the on-disk state is unknown, so writes are refused
//! until the owner reopens the WAL (which re-scans and repairs).

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::checkpoint::{Checkpoint, remove_tmp_checkpoints};
use crate::error::{Error, Result};
use crate::format::{SEGMENT_HEADER_LEN, encode_batch};
use crate::repair::{RepairReport, repair_segments};
use crate::segment::{create_segment, file_len, list_segments, remove_file, segment_path, sync_dir};
use crate::stats::WalStats;

/// Largest frame buffer kept between batches.
const KEEP_BUF_BYTES: usize = 256 << 10;
/// Default maximum segment size: 128 MiB, as in Prometheus.
pub const DEFAULT_MAX_SEGMENT_SIZE: u64 = 128 << 20;

/// When the writer fsyncs. Every policy hands each batch to the OS (one `write`)
/// before [`Wal::log`] returns, so a process crash loses nothing; the policy only
/// decides what a power loss or kernel crash can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FsyncPolicy {
    /// Fsync after every batch: `log` returning `Ok` means the batch is on stable storage.
    Always,
    /// Fsync at most once per interval: in `log` when the interval has passed since the
    /// last fsync, or in [`Wal::maybe_sync`] which the owner calls from a timer (without
    /// the timer, an idle WAL keeps its last batches unsynced).
    Interval(Duration),
    /// Fsync only when a segment is closed (cut) and on [`Wal::close`]; Prometheus' policy.
    /// A power loss can lose the open segment's unsynced tail.
    Never,
}

/// Options of [`Wal::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalOptions {
    /// A new segment is started when the next batch would make the current one larger.
    /// A single batch larger than this gets a segment of its own. Default 128 MiB.
    pub max_segment_size: u64,
    /// Fsync policy. Default [`FsyncPolicy::Never`] (Prometheus' behaviour).
    pub fsync: FsyncPolicy,
}

impl Default for WalOptions {
    fn default() -> Self {
        WalOptions { max_segment_size: DEFAULT_MAX_SEGMENT_SIZE, fsync: FsyncPolicy::Never }
    }
}

/// A write-ahead log open for appending. `Send`, not `Sync`: wrap it in a mutex.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    opts: WalOptions,
    file: File,
    segment: u32,
    segment_size: u64,
    buf: Vec<u8>,
    dirty: bool,
    last_sync: Instant,
    failed: bool,
    stats: Arc<WalStats>,
}

impl Wal {
    /// Opens (creating if needed) the WAL in `dir`, repairing any corruption first.
    ///
    /// Scans every segment after the latest checkpoint (and the checkpoint itself):
    /// a torn or corrupt frame truncates its segment there and deletes all later
    /// segments, with a `warn` log line and an entry in the returned [`RepairReport`].
    /// Leftover `checkpoint.*.tmp` directories are deleted. Corruption never fails
    /// open; I/O errors (permissions, `dir` being a file, a full disk) and segments of
    /// an unknown format version do. Writing continues in the last segment, or in a
    /// new one after the checkpoint if there is none. Blocking; reads the whole WAL.
    pub fn open(dir: impl AsRef<Path>, opts: WalOptions) -> Result<(Wal, RepairReport)> {
        Self::open_with_replay(dir, opts, |_| {})
    }

    /// Like [`Wal::open`], and passes every surviving record to `f` during the repair
    /// scan, in replay order (latest checkpoint, then the segments after it).
    ///
    /// This reads the WAL once instead of twice (open, then [`crate::replay`]). Records
    /// are delivered as the scan finds them; a corruption found later drops only records
    /// after it, so `f` never sees a record that repair removes. Blocking.
    pub fn open_with_replay(
        dir: impl AsRef<Path>,
        opts: WalOptions,
        mut f: impl FnMut(&[u8]),
    ) -> Result<(Wal, RepairReport)> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|source| Error::Dir { path: dir.clone(), source })?;
        remove_tmp_checkpoints(&dir)?;
        let mut report = RepairReport::default();
        let checkpoint = Checkpoint::latest(&dir)?;
        if let Some(c) = &checkpoint {
            repair_segments(&c.path, &list_segments(&c.path)?, &mut report, &mut f)?;
        }
        let after = checkpoint.map(|c| c.index);
        let live = |dir: &Path| -> Result<Vec<u32>> {
            let segs = list_segments(dir)?;
            Ok(segs.into_iter().filter(|&s| after.is_none_or(|a| s > a)).collect())
        };
        repair_segments(&dir, &live(&dir)?, &mut report, &mut f)?;

        let stats = Arc::new(WalStats::default());
        WalStats::add(&stats.corruptions_repaired, u64::from(report.corruptions));
        WalStats::add(&stats.bytes_dropped, report.bytes_dropped);
        let (segment, file) = match live(&dir)?.last() {
            Some(&last) => {
                let path = segment_path(&dir, last);
                let file =
                    OpenOptions::new().write(true).open(&path).map_err(|source| Error::OpenSegment { path, source })?;
                (last, file)
            }
            None => {
                let first = after.map_or(0, |a| a.saturating_add(1));
                WalStats::add(&stats.segments_created, 1);
                (first, create_segment(&dir, first)?)
            }
        };
        let size_on_disk: u64 = list_segments(&dir)?.iter().map(|&s| file_len(&segment_path(&dir, s))).sum();
        WalStats::add(&stats.size_bytes, size_on_disk);
        let mut wal = Wal {
            dir,
            opts,
            file,
            segment,
            segment_size: 0,
            buf: Vec::new(),
            dirty: false,
            last_sync: Instant::now(),
            failed: false,
            stats,
        };
        wal.segment_size = wal
            .file
            .seek(SeekFrom::End(0))
            .map_err(|source| Error::OpenSegment { path: wal.segment_path(), source })?;
        Ok((wal, report))
    }

    /// Appends `records` as one batch (one commit) and hands it to the OS.
    ///
    /// When this returns `Ok`, the batch survives a process crash; whether it survives
    /// a power loss depends on the [`FsyncPolicy`]. A batch is atomic on replay: after
    /// a crash either all its records are read back or none. An empty batch is a no-op.
    /// Starts a new segment first when the batch would overflow the current one.
    /// On a write error the segment is rolled back to the previous batch and the error
    /// returned; if that rollback or an fsync fails, this and every later call return
    /// [`Error::Failed`] until the WAL is reopened. Blocking.
    pub fn log(&mut self, records: &[&[u8]]) -> Result<()> {
        self.check_failed()?;
        if records.is_empty() {
            return Ok(());
        }
        encode_batch(&mut self.buf, records)?;
        let frame_len = self.buf.len() as u64;
        if self.segment_size > SEGMENT_HEADER_LEN && self.segment_size + frame_len > self.opts.max_segment_size {
            self.cut_segment()?;
        }
        self.write_frame()?;
        WalStats::add(&self.stats.bytes_written, frame_len);
        WalStats::add(&self.stats.records_written, records.len() as u64);
        WalStats::add(&self.stats.batches_written, 1);
        WalStats::add(&self.stats.size_bytes, frame_len);
        match self.opts.fsync {
            FsyncPolicy::Always => self.sync_segment(),
            FsyncPolicy::Interval(d) if self.last_sync.elapsed() >= d => self.sync_segment(),
            FsyncPolicy::Interval(_) | FsyncPolicy::Never => Ok(()),
        }
    }

    fn write_frame(&mut self) -> Result<()> {
        if let Err(source) = self.file.write_all(&self.buf) {
            // A partial frame followed by good ones would hide them from replay: cut it off.
            let size = self.segment_size;
            let rollback = self.file.set_len(size).and_then(|()| self.file.seek(SeekFrom::Start(size)));
            if rollback.is_err() {
                self.failed = true;
            }
            return Err(Error::Write { path: self.segment_path(), source });
        }
        self.segment_size += self.buf.len() as u64;
        self.dirty = true;
        // A target's first scrape logs all its series' labels at once (a
        // few hundred KiB); don't keep that much buffer for the small
        // sample batches that follow.
        if self.buf.capacity() > KEEP_BUF_BYTES {
            self.buf = Vec::new();
        }
        Ok(())
    }

    /// Fsyncs the current segment if it has unsynced batches, whatever the policy. Blocking.
    pub fn sync(&mut self) -> Result<()> {
        self.check_failed()?;
        self.sync_segment()
    }

    /// With [`FsyncPolicy::Interval`], fsyncs if there are unsynced batches and the
    /// interval has passed since the last fsync; returns whether it fsynced. Meant for a
    /// timer in the owner; does nothing under the other policies. Blocking.
    pub fn maybe_sync(&mut self) -> Result<bool> {
        self.check_failed()?;
        match self.opts.fsync {
            FsyncPolicy::Interval(d) if self.dirty && self.last_sync.elapsed() >= d => {
                self.sync_segment()?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn sync_segment(&mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let start = Instant::now();
        if let Err(source) = self.file.sync_data() {
            // After a failed fsync the kernel may have dropped the dirty pages; retrying
            // could report success for lost data, so stop writing.
            self.failed = true;
            return Err(Error::Sync { path: self.segment_path(), source });
        }
        let took = start.elapsed();
        WalStats::add(&self.stats.fsyncs, 1);
        WalStats::add(&self.stats.fsync_nanos, u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
        self.dirty = false;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Fsyncs and closes the current segment and starts the next one; returns its index.
    ///
    /// The segments below the returned index are then complete and never written again,
    /// so they can be read for a checkpoint. Blocking.
    pub fn cut_segment(&mut self) -> Result<u32> {
        self.check_failed()?;
        self.sync_segment()?;
        // Overflow would need 2^32 segments (512 PiB at 128 MiB each).
        let next = self.segment.saturating_add(1);
        self.file = create_segment(&self.dir, next)?;
        self.segment = next;
        self.segment_size = SEGMENT_HEADER_LEN;
        WalStats::add(&self.stats.segments_created, 1);
        WalStats::add(&self.stats.size_bytes, SEGMENT_HEADER_LEN);
        Ok(next)
    }

    /// Deletes segments with an index below `index`, oldest first, never the current
    /// segment; returns how many were deleted. Call it after a checkpoint covering them
    /// was written. Blocking.
    pub fn truncate_before(&mut self, index: u32) -> Result<usize> {
        let limit = index.min(self.segment);
        let mut deleted = 0;
        for s in list_segments(&self.dir)?.into_iter().filter(|&s| s < limit) {
            let path = segment_path(&self.dir, s);
            let len = file_len(&path);
            remove_file(&path)?;
            self.stats.sub_size(len);
            deleted += 1;
        }
        if deleted > 0 {
            sync_dir(&self.dir)?;
        }
        Ok(deleted)
    }

    /// Indexes of the segment files in the directory, ascending (checkpoints excluded).
    pub fn segments(&self) -> Result<Vec<u32>> {
        list_segments(&self.dir)
    }

    /// Index of the segment being written.
    pub fn current_segment(&self) -> u32 {
        self.segment
    }

    /// The WAL directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The live counters; the `Arc` can be kept by a metrics collector.
    pub fn stats(&self) -> Arc<WalStats> {
        Arc::clone(&self.stats)
    }

    /// Fsyncs the current segment and closes the WAL. Blocking.
    pub fn close(mut self) -> Result<()> {
        self.check_failed()?;
        self.sync_segment()
    }

    fn check_failed(&self) -> Result<()> {
        if self.failed {
            return Err(Error::Failed { dir: self.dir.clone() });
        }
        Ok(())
    }

    fn segment_path(&self) -> PathBuf {
        segment_path(&self.dir, self.segment)
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        // Dropped without close(): the data is with the OS already; fsync on a best-effort basis.
        if !self.dirty || self.failed {
            return;
        }
        if let Err(e) = self.sync_segment() {
            tracing::warn!(error = %e, "cannot fsync WAL segment on drop");
        }
    }
}
