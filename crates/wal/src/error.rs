//! Errors of the WAL: real I/O failures and the corruption a reader can meet.
//!
//! Corruption found while opening a [`crate::Wal`] is repaired and reported in a
//! [`crate::RepairReport`], never returned as an error; [`Error::Corruption`] only
//! reaches callers of [`crate::Reader`] (for example bit rot after open).

use std::path::PathBuf;

/// Errors raised by the WAL writer, reader and checkpoint functions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The WAL directory (or a checkpoint directory) cannot be created or listed.
    #[error("cannot open WAL directory {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A segment file cannot be created, opened or read.
    #[error("cannot open WAL segment {path}: {source}")]
    OpenSegment {
        /// The segment file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Reading a segment failed with an I/O error (not corruption).
    #[error("cannot read WAL segment {path}: {source}")]
    Read {
        /// The segment file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Writing a batch failed; the segment was rolled back to the last whole batch.
    #[error("cannot write WAL segment {path}: {source}")]
    Write {
        /// The segment file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// `fsync` of a segment or directory failed.
    ///
    /// After a failed fsync of a segment the kernel may have dropped dirty pages, so the
    /// [`crate::Wal`] refuses further writes ([`Error::Failed`]); reopen it to recover.
    #[error("cannot fsync {path}: {source}")]
    Sync {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Truncating, renaming or deleting a WAL file failed.
    #[error("cannot {action} {path}: {source}")]
    Modify {
        /// What was attempted: "truncate", "delete", "rename".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A batch does not fit the frame format (more than 4 GiB or 2^32 records).
    #[error("cannot log batch of {records} records and {bytes} bytes: larger than the 4 GiB frame limit")]
    BatchTooLarge {
        /// Records in the batch.
        records: usize,
        /// Encoded size of the batch.
        bytes: usize,
    },
    /// A segment was written by a newer, unknown format version.
    ///
    /// This is not treated as corruption: repairing would delete data a newer argus wrote.
    #[error("cannot read WAL segment {path}: unsupported format version {version}")]
    UnsupportedVersion {
        /// The segment file.
        path: PathBuf,
        /// The version byte found.
        version: u8,
    },
    /// A reader met a corrupt or torn frame.
    #[error("cannot read WAL segment {path}: corruption at offset {offset}: {kind}")]
    Corruption {
        /// The segment file.
        path: PathBuf,
        /// Byte offset of the first bad frame.
        offset: u64,
        /// What was wrong.
        kind: Corruption,
    },
    /// An earlier write or fsync failed; the WAL refuses writes until it is reopened.
    #[error("cannot write to WAL {dir}: an earlier write or fsync failed, reopen the WAL")]
    Failed {
        /// The WAL directory.
        dir: PathBuf,
    },
}

/// What was wrong with a frame; see FORMAT.md for the layout being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Corruption {
    /// The segment is shorter than its 8-byte header.
    ShortSegmentHeader,
    /// The segment header does not start with the magic `AWAL`.
    BadMagic,
    /// Fewer than 13 bytes remain for a frame header.
    TornFrameHeader,
    /// The frame type byte is unknown (0 usually means a zero-filled tail).
    BadFrameType(u8),
    /// The frame's payload length runs past the end of the file.
    TornPayload,
    /// The CRC32C of the frame does not match.
    ChecksumMismatch,
    /// The checksum matched but the payload does not decode to the record count.
    BadPayload,
    /// One or more segment numbers are missing before this segment.
    SegmentGap,
}

impl std::fmt::Display for Corruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Corruption::ShortSegmentHeader => f.write_str("segment shorter than its header"),
            Corruption::BadMagic => f.write_str("bad segment magic"),
            Corruption::TornFrameHeader => f.write_str("torn frame header"),
            Corruption::BadFrameType(0) => f.write_str("frame type 0 (zero-filled tail)"),
            Corruption::BadFrameType(t) => write!(f, "unknown frame type {t}"),
            Corruption::TornPayload => f.write_str("frame payload runs past end of file"),
            Corruption::ChecksumMismatch => f.write_str("checksum mismatch"),
            Corruption::BadPayload => f.write_str("payload does not match its record count"),
            Corruption::SegmentGap => f.write_str("missing earlier segment"),
        }
    }
}

/// Result with the WAL's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
