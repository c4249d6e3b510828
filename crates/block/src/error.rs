//! Errors of the block format: I/O on a named file, corruption at a named
//! offset, bad meta.json, and caller mistakes while writing.

use std::path::PathBuf;

/// Everything that can go wrong writing, opening or reading a block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error on `path`.
    #[error("cannot {op} {path}: {source}")]
    Io {
        /// What we were doing, e.g. "open", "write", "fsync", "rename".
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// On-disk data that fails a check: bad magic, checksum, bounds, ordering.
    #[error("cannot read block {path}: {what} at offset {offset}")]
    Corrupt {
        /// The file inside the block (`.../index`, `.../chunks`, `.../meta.json`).
        path: PathBuf,
        /// Byte offset in that file where the bad data starts.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// `meta.json` is missing fields or is not JSON.
    #[error("cannot parse block meta {path}: {source}")]
    Meta {
        /// The meta.json path.
        path: PathBuf,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// The directory is not a finished block (for example a `.tmp` left by a crash).
    #[error("cannot open block {path}: {reason}")]
    NotABlock {
        /// The directory.
        path: PathBuf,
        /// Why it is not a block.
        reason: String,
    },
    /// The caller broke a writer contract (unsorted series, bad run bounds, ...).
    #[error("cannot add series {labels} to block {path}: {reason}")]
    BadInput {
        /// The temporary block directory.
        path: PathBuf,
        /// The offending series.
        labels: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A series ID that this block does not have.
    #[error("block {path} has no series {id} (it has {num_series})")]
    NoSuchSeries {
        /// The block directory.
        path: PathBuf,
        /// The requested ID.
        id: u32,
        /// How many series the block has.
        num_series: u32,
    },
}

/// Result with the block's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Builds a closure mapping an `io::Error` to [`Error::Io`] for `path`.
pub(crate) fn io_err<'a>(op: &'static str, path: &'a std::path::Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io { op, path: path.to_path_buf(), source }
}
