//! The database: a data directory holding immutable blocks, the head and its
//! WAL, and the lock that keeps a second process out.
//!
//! Layout of `<dir>`: `lock` (pid of the holder), `wal/` (segments and
//! checkpoints), `<ULID>/` blocks, `snapshots/`. Opening replays the WAL into
//! the head; [`Db::compact`] cuts old head data into blocks, merges blocks, and
//! applies retention. Readers see head and blocks merged through [`Db`]'s
//! [`Queryable`] implementation.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use argus_block::{Block, BlockMeta};
use argus_model::storage::{Appendable, Appender, Querier, Queryable, StorageError, StorageResult};
use argus_wal::{FsyncPolicy, Wal, WalOptions, WalStats};
use parking_lot::{Mutex, RwLock};

use crate::error::{Error, Result};
use crate::head::{Head, HeadOptions};
use crate::querier::DbQuerier;
use crate::stats::Stats;
use crate::{compact, replay};

/// When the WAL is fsynced. Every commit reaches the OS before it is
/// acknowledged, so a process crash loses nothing under any policy; the
/// policy bounds what a power loss or kernel crash can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalFsync {
    /// Fsync every commit before acknowledging it (slowest, loses nothing).
    Commit,
    /// Fsync at most this often (a power loss can take the last interval).
    Interval(Duration),
    /// Fsync only when a segment is closed, as Prometheus does.
    Segment,
}

/// Options of [`Db::open`].
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Delete blocks entirely older than this (ms) relative to the newest data; 0 = keep.
    pub retention_time: i64,
    /// Delete the oldest blocks while blocks + WAL exceed this many bytes; 0 = no limit.
    pub retention_size: u64,
    /// Head behaviour (chunk range = the span of blocks cut from the head).
    pub head: HeadOptions,
    /// WAL fsync policy.
    pub wal_fsync: WalFsync,
    /// Longest block compaction may produce (ms).
    pub max_block_duration: i64,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            retention_time: 15 * 86_400_000,
            retention_size: 0,
            head: HeadOptions::default(),
            wal_fsync: WalFsync::Interval(Duration::from_secs(1)),
            max_block_duration: 31 * 86_400_000,
        }
    }
}

impl DbOptions {
    /// The longest block compaction makes: 10% of time retention, at most
    /// `max_block_duration`, as Prometheus does.
    pub(crate) fn effective_max_block(&self) -> i64 {
        let mut m = self.max_block_duration;
        if self.retention_time > 0 {
            m = m.min(self.retention_time / 10);
        }
        m.max(self.head.chunk_range)
    }
}

/// A block loaded for reading.
pub(crate) type BlockRef = Arc<Block>;

/// An open database; share it in an `Arc`.
pub struct Db {
    dir: PathBuf,
    pub(crate) opts: DbOptions,
    pub(crate) head: Arc<Head>,
    pub(crate) blocks: RwLock<Vec<BlockRef>>,
    pub(crate) stats: Arc<Stats>,
    wal_stats: Option<Arc<WalStats>>,
    pub(crate) compaction: Mutex<()>,
    closed: AtomicBool,
    _lock: File,
}

impl Db {
    /// Opens (creating if needed) the database in `dir`: takes the lock,
    /// loads blocks (skipping corrupt ones with a log line), repairs and
    /// replays the WAL. Blocking; may take long for a big WAL.
    pub fn open(dir: &Path, opts: DbOptions) -> Result<Arc<Db>> {
        std::fs::create_dir_all(dir).map_err(Error::io("create data directory", dir))?;
        let lock = lock_dir(dir)?;
        let stats = Arc::new(Stats::default());
        for tmp in argus_block::remove_tmp_dirs(dir)? {
            tracing::info!(dir = %tmp.display(), "removed unfinished block");
        }
        let blocks = load_blocks(dir, &stats)?;
        let wal_dir = dir.join("wal");
        let policy = match opts.wal_fsync {
            WalFsync::Commit => FsyncPolicy::Always,
            WalFsync::Interval(d) => FsyncPolicy::Interval(d),
            WalFsync::Segment => FsyncPolicy::Never,
        };
        let head = Head::new(opts.head.clone(), None, stats.clone());
        if let Some(maxt) = blocks.iter().map(|b| b.meta().max_time).max() {
            head.min_valid_time.store(maxt + 1, Ordering::Relaxed);
        }
        let t0 = Instant::now();
        let mut replayer = replay::Replayer::new(&head);
        let (wal, report) =
            Wal::open_with_replay(&wal_dir, WalOptions { fsync: policy, ..WalOptions::default() }, |rec| {
                replayer.record(rec)
            })?;
        replayer.finish();
        if report.corruptions > 0 {
            stats.wal_repairs.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(report = ?report, "WAL was repaired: the corrupt tail was dropped");
        }
        tracing::info!(series = head.num_series(), duration = ?t0.elapsed(), "WAL replay completed");
        let wal_stats = wal.stats();
        // Attach the WAL only now: replayed samples must not be logged again.
        let head = Arc::new(head.with_wal(wal));
        stats.blocks_loaded.store(blocks.len() as u64, Ordering::Relaxed);
        stats.blocks_bytes.store(blocks.iter().map(|b| b.size_bytes()).sum(), Ordering::Relaxed);
        Ok(Arc::new(Db {
            dir: dir.to_path_buf(),
            opts,
            head,
            blocks: RwLock::new(blocks),
            stats,
            wal_stats: Some(wal_stats),
            compaction: Mutex::new(()),
            closed: AtomicBool::new(false),
            _lock: lock,
        }))
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The head (for direct appenders and tests).
    pub fn head(&self) -> &Arc<Head> {
        &self.head
    }

    /// Metadata of the loaded blocks, oldest first.
    pub fn blocks(&self) -> Vec<BlockMeta> {
        self.blocks.read().iter().map(|b| b.meta().clone()).collect()
    }

    /// Storage statistics as `(name, help, value)` for the metrics page.
    pub fn metrics(&self) -> Vec<(&'static str, &'static str, f64)> {
        let mut out: Vec<(&'static str, &'static str, f64)> =
            self.stats.snapshot().into_iter().map(|(n, h, v)| (n, h, v as f64)).collect();
        if let Some(w) = &self.wal_stats {
            let s = w.snapshot();
            out.push(("wal_size_bytes", "Bytes of WAL segments on disk", s.size_bytes as f64));
            out.push(("wal_written_bytes", "Bytes written to the WAL", s.bytes_written as f64));
            out.push(("wal_fsyncs", "WAL fsync calls", s.fsyncs as f64));
            out.push(("wal_fsync_duration_seconds", "Total seconds spent in WAL fsync", s.fsync_duration_seconds));
            out.push(("wal_segments_created", "WAL segments created", s.segments_created as f64));
            out.push((
                "wal_corruptions_repaired",
                "Corrupt WAL tails truncated on open",
                s.corruptions_repaired as f64,
            ));
        }
        let (mint, maxt) = (self.head.min_time(), self.head.max_time());
        if mint != i64::MAX {
            out.push(("head_min_time_seconds", "Oldest sample time in the head", mint as f64 / 1000.0));
        }
        if maxt != i64::MIN {
            out.push(("head_max_time_seconds", "Newest sample time in the head", maxt as f64 / 1000.0));
        }
        out
    }

    /// Bytes of WAL segments on disk (0 without a WAL).
    pub fn wal_size_bytes(&self) -> u64 {
        self.wal_stats.as_ref().map(|w| w.snapshot().size_bytes).unwrap_or(0)
    }

    /// Fsyncs the WAL if the interval policy says it is due (call from a timer).
    pub fn sync_wal_if_due(&self) {
        if let Some(w) = &self.head.wal
            && let Err(e) = w.lock().maybe_sync()
        {
            tracing::error!(err = %e, "cannot fsync WAL");
        }
    }

    /// Cuts head data into blocks, merges blocks and applies retention.
    /// Serialised with itself; readers and writers keep going meanwhile.
    pub fn compact(&self) -> Result<()> {
        let _g = self.compaction.lock();
        let r = compact::run(self);
        match &r {
            Ok(()) => {}
            Err(_) => {
                self.stats.compactions_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        r
    }

    /// Writes a consistent copy of the data into `dir`: hard links of every
    /// block and, with `with_head`, the head's data as one more block.
    pub fn snapshot(&self, dir: &Path, with_head: bool) -> Result<()> {
        let _g = self.compaction.lock();
        std::fs::create_dir_all(dir).map_err(Error::io("create snapshot directory", dir))?;
        for b in self.blocks.read().iter() {
            let name = b.meta().ulid.to_string();
            link_dir(b.dir(), &dir.join(name))?;
        }
        if with_head {
            let (mint, maxt) = (self.head.min_time(), self.head.max_time());
            if mint <= maxt {
                let series = self.head.series_in_range(mint, maxt);
                compact::write_block(dir, mint, maxt, series.map(Ok), argus_block::Compaction::default())?;
            }
        }
        Ok(())
    }

    /// Flushes and closes the WAL. Appends after close fail.
    pub fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        if let Some(w) = &self.head.wal {
            let mut g = w.lock();
            g.sync()?;
        }
        tracing::info!(dir = %self.dir.display(), "storage closed cleanly");
        Ok(())
    }

    pub(crate) fn block_list(&self) -> Vec<BlockRef> {
        self.blocks.read().clone()
    }
}

impl Queryable for Db {
    fn querier(&self, mint: i64, maxt: i64) -> StorageResult<Box<dyn Querier>> {
        let blocks: Vec<BlockRef> = self
            .blocks
            .read()
            .iter()
            .filter(|b| b.meta().max_time >= mint && b.meta().min_time <= maxt)
            .cloned()
            .collect();
        Ok(Box::new(DbQuerier::new(self.head.clone(), blocks, mint, maxt)))
    }
}

impl Appendable for Db {
    fn appender(&self) -> Box<dyn Appender> {
        if self.closed.load(Ordering::Acquire) {
            return Box::new(ClosedAppender);
        }
        Box::new(self.head.appender())
    }
}

struct ClosedAppender;

impl Appender for ClosedAppender {
    fn append(&mut self, _: u64, _: &argus_model::Labels, _: i64, _: f64) -> StorageResult<u64> {
        Err(StorageError::Unavailable("storage is closed".into()))
    }
    fn commit(self: Box<Self>) -> StorageResult<()> {
        Err(StorageError::Unavailable("storage is closed".into()))
    }
    fn rollback(self: Box<Self>) {}
}

fn lock_dir(dir: &Path) -> Result<File> {
    let path = dir.join("lock");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(Error::io("open lock file", &path))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(_) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = match holder.trim() {
                "" => "holder unknown".to_string(),
                h => format!("pid {h}"),
            };
            return Err(Error::Locked { path: dir.to_path_buf(), holder });
        }
    }
    f.set_len(0).map_err(Error::io("write lock file", &path))?;
    write!(f, "{}", std::process::id()).map_err(Error::io("write lock file", &path))?;
    Ok(f)
}

fn load_blocks(dir: &Path, stats: &Stats) -> Result<Vec<BlockRef>> {
    let mut blocks = Vec::new();
    for p in argus_block::list_blocks(dir)? {
        match Block::open(&p) {
            Ok(b) => blocks.push(Arc::new(b)),
            Err(e) => {
                stats.blocks_corrupt.fetch_add(1, Ordering::Relaxed);
                tracing::error!(block = %p.display(), err = %e, "skipping corrupt block");
            }
        }
    }
    blocks.sort_by_key(|b| (b.meta().min_time, b.meta().max_time));
    Ok(blocks)
}

/// Hard-links every file of `src` into a new directory `dst` (recursively).
fn link_dir(src: &Path, dst: &Path) -> Result<()> {
    std::fs::create_dir_all(dst).map_err(Error::io("create snapshot directory", dst))?;
    for e in std::fs::read_dir(src).map_err(Error::io("read block directory", src))? {
        let e = e.map_err(Error::io("read block directory", src))?;
        let p = e.path();
        let target = dst.join(e.file_name());
        if p.is_dir() {
            link_dir(&p, &target)?;
        } else {
            std::fs::hard_link(&p, &target).map_err(Error::io("hard-link block file", &p))?;
        }
    }
    Ok(())
}
