//! Errors of the storage engine.

use std::path::PathBuf;

/// Errors raised while opening, writing or compacting the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O failure on a named file or directory.
    #[error("cannot {op} {path}: {source}")]
    Io {
        /// What we were doing ("create data directory", "write block", ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another process holds the data directory's lock file.
    #[error("cannot lock data directory {path}: it is in use by another argus process ({holder})")]
    Locked {
        /// The data directory.
        path: PathBuf,
        /// What the lock file says about its holder.
        holder: String,
    },
    /// The write-ahead log failed.
    #[error("write-ahead log: {0}")]
    Wal(#[from] argus_wal::Error),
    /// A block could not be written or read.
    #[error("block: {0}")]
    Block(#[from] argus_block::Error),
    /// Sample data could not be encoded or decoded.
    #[error("chunk encoding: {0}")]
    Chunk(#[from] argus_chunkenc::Error),
    /// A WAL record whose bytes do not decode.
    #[error("corrupt WAL record: {0}")]
    CorruptRecord(String),
    /// Backfill input that cannot be imported; names the line.
    #[error("{0}")]
    Backfill(String),
    /// A storage-level rejection (out of order, limits, ...).
    #[error(transparent)]
    Storage(#[from] argus_model::storage::StorageError),
}

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }
}

/// Result with the storage engine's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
