//! A segmented, checksummed write-ahead log of opaque byte records.
//!
//! This crate owns the WAL directory: numbered segment files (`00000000`,
//! `00000001`, ...), the framing and CRC32C of batches inside them (see `FORMAT.md`),
//! fsync policy, repair of torn or corrupt tails on open, deletion of old segments,
//! and checkpoint directories (`checkpoint.NNNNNNNN`) written atomically.
//!
//! It does not own what a record means: series, samples and tombstone records are
//! encoded and decoded by `argus-tsdb`, which also decides what a checkpoint keeps
//! and when to truncate. It exports no metrics itself; the owner reads [`WalStats`].
//!
//! Main types:
//! - [`Wal`]: the writer; [`Wal::log`] appends a batch as one commit.
//! - [`Reader`] and [`replay`]: read records back in order, checkpoint first;
//!   [`Wal::open_with_replay`] repairs and replays in a single pass.
//! - [`Checkpoint`]: write, find and delete checkpoints.
//! - [`LiveReader`]: tail a segment while it is written (the remote-write watcher).
//!
//! Durability: `log` hands every batch to the OS before returning, so a process
//! crash loses nothing that was acknowledged; a power loss can lose what was not yet
//! fsynced under the chosen [`FsyncPolicy`]. A batch is replayed whole or not at all.
//!
//! ```
//! use argus_wal::{Checkpoint, FsyncPolicy, Wal, WalOptions, replay};
//! # fn main() -> argus_wal::Result<()> {
//! let dir = std::env::temp_dir().join(format!("argus-wal-doctest-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let opts = WalOptions { fsync: FsyncPolicy::Always, ..WalOptions::default() };
//! let (mut wal, report) = Wal::open(&dir, opts.clone())?;
//! assert_eq!(report.corruptions, 0);
//! wal.log(&[b"series 1", b"sample 1"])?;
//! let closed = wal.cut_segment()? - 1;
//! wal.log(&[b"sample 2"])?;
//!
//! // Compact everything up to the closed segment into a checkpoint, then truncate.
//! Checkpoint::write(&dir, closed, [b"series 1".as_slice()])?;
//! wal.truncate_before(closed + 1)?;
//! Checkpoint::delete_before(&dir, closed)?;
//! wal.close()?;
//!
//! let (wal, _) = Wal::open(&dir, opts)?; // repairs a torn tail, if any
//! let mut records = Vec::new();
//! replay(&dir, |rec| records.push(rec.to_vec()))?;
//! assert_eq!(records, [b"series 1".to_vec(), b"sample 2".to_vec()]);
//! # drop(wal);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

mod checkpoint;
mod error;
mod format;
mod live;
mod reader;
mod repair;
mod segment;
mod stats;
mod writer;

pub use checkpoint::Checkpoint;
pub use error::{Corruption, Error, Result};
pub use live::LiveReader;
pub use reader::{Position, Progress, Reader, ReplayStats, replay, replay_with_progress};
pub use repair::RepairReport;
pub use segment::{list_segments, segment_path};
pub use stats::{WalStats, WalStatsSnapshot};
pub use writer::{DEFAULT_MAX_SEGMENT_SIZE, FsyncPolicy, Wal, WalOptions};
