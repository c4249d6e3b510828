//! The immutable on-disk block format of argus.
//!
//! A block is a directory `<ULID>/` covering an inclusive time range with
//! three files: `meta.json` ([`BlockMeta`]), `index` (symbols, series entries,
//! postings, label index; see `FORMAT.md`) and `chunks` (the runs' bytes, each
//! followed by a CRC32C).
//!
//! This crate owns: writing a block from series sorted by label set
//! ([`BlockWriter`]), opening and reading one ([`Block`]: matcher selection,
//! series, zero-copy run bytes, label names and values, full verification),
//! and the block directory helpers ([`list_blocks`], [`remove_tmp_dirs`],
//! [`dir_size`]).
//!
//! It does not own: sample encoding (runs are opaque bytes produced and
//! decoded by `argus-chunkenc`), the head, WAL, compaction planning or
//! retention (`argus-tsdb`), or query evaluation (`argus-promql`).
//!
//! ```
//! use argus_block::{Block, BlockWriter, RunRef, WriterOptions};
//! use argus_model::{Labels, Matcher};
//! let dir = tempfile::tempdir().unwrap();
//! let mut w = BlockWriter::new(dir.path(), 0, 999, WriterOptions::default()).unwrap();
//! let ls = Labels::from_pairs([("__name__", "up"), ("job", "node")]);
//! let run = RunRef { min_time: 0, max_time: 999, num_samples: 2, bytes: b"opaque" };
//! w.add_series(&ls, &[run]).unwrap();
//! let meta = w.finish().unwrap();
//! let block = Block::open(&dir.path().join(meta.ulid.to_string())).unwrap();
//! let ids = block.select(&[Matcher::equal("job", "node")]).unwrap();
//! let (labels, runs) = block.series(ids[0]).unwrap();
//! assert_eq!(labels, ls);
//! assert_eq!(block.run_bytes(&runs[0]).unwrap(), b"opaque");
//! ```
#![deny(missing_docs)]

mod dirs;
mod error;
mod format;
mod meta;
mod postings;
mod reader;
mod select;
mod series;
mod ulid;
mod varint;
mod verify;
mod writer;

#[cfg(test)]
mod fuzz_tests;

pub use dirs::{TMP_SUFFIX, dir_size, list_blocks, remove_tmp_dirs};
pub use error::{Error, Result};
pub use meta::{BlockDesc, BlockMeta, BlockStats, Compaction, META_VERSION};
pub use reader::{Block, RunMeta, SeriesId};
pub use series::SeriesIter;
pub use ulid::{Ulid, UlidParseError};
pub use verify::VerifyReport;
pub use writer::{BlockWriter, RunRef, WriterOptions};

/// File name of the block metadata.
pub const META_FILE: &str = "meta.json";
/// File name of the index.
pub const INDEX_FILE: &str = "index";
/// File name of the run data.
pub const CHUNKS_FILE: &str = "chunks";
