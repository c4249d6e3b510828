//! The argus time-series database.
//!
//! This crate owns where samples live: the in-memory [`Head`] (compressed XOR
//! chunks, inverted index, WAL-backed), immutable on-disk blocks (format in
//! `argus-block`, sample encoding in `argus-chunkenc`), compaction of the head
//! into blocks and of blocks into larger ones, retention, snapshots, and
//! backfill from OpenMetrics. [`Db`] ties them together and implements the
//! model's `Appendable` and `Queryable` seams.
//!
//! It does not own HTTP, PromQL or scraping: those reach storage only
//! through the seams. The WAL's framing and repair live in `argus-wal`; this
//! crate defines what its records mean (`wal_records`).
//!
//! ```
//! use argus_model::storage::{Appendable, Queryable, SelectHints};
//! use argus_model::{Labels, Matcher};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let db = argus_tsdb::Db::open(dir.path(), argus_tsdb::DbOptions::default())?;
//! let mut app = db.appender();
//! app.append(0, &Labels::from_pairs([("__name__", "up"), ("job", "a")]), 1000, 1.0)?;
//! app.commit()?;
//! let q = db.querier(0, 2000)?;
//! let hints = SelectHints { start: 0, end: 2000, ..Default::default() };
//! let series: Vec<_> = q.select(&[Matcher::equal("job", "a")], &hints)?.collect::<Result<_, _>>()?;
//! assert_eq!(series[0].samples.len(), 1);
//! db.close()?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod backfill;
mod compact;
mod db;
mod error;
pub mod head;
mod querier;
mod replay;
mod stats;
pub mod wal_records;

pub use compact::{RUN_CODEC, RUN_MAX_SAMPLES};
pub use db::{Db, DbOptions, WalFsync};
pub use error::{Error, Result};
pub use head::{Cardinality, Head, HeadOptions};
pub use stats::Stats;
