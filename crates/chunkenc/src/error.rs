//! The error type of this crate: every way a chunk or run can fail to decode.
//!
//! Encoding never fails; only bytes that came from outside (a file, a snapshot)
//! can be rejected, and they are rejected with an error, never a panic.

/// A decoding failure of a head chunk or a block run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes end before the structure they describe.
    #[error("cannot decode {what}: input truncated")]
    Truncated {
        /// The structure being read.
        what: &'static str,
    },
    /// The format version byte is not one this build reads.
    #[error("cannot decode run: unknown format version {0}")]
    UnknownVersion(u8),
    /// A mode, coder or parameter byte has a value the format does not define.
    #[error("cannot decode {what}: invalid value {value}")]
    Invalid {
        /// The field that holds the bad value.
        what: &'static str,
        /// The value found.
        value: u64,
    },
    /// The head chunk already holds `u16::MAX` samples.
    #[error("cannot append to xor chunk: chunk full")]
    ChunkFull,
    /// The decoded structure disagrees with its own header (counts, bounds, lengths).
    #[error("cannot decode {what}: inconsistent with header")]
    Inconsistent {
        /// The structure being checked.
        what: &'static str,
    },
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn truncated(what: &'static str) -> Error {
    Error::Truncated { what }
}

pub(crate) fn invalid(what: &'static str, value: u64) -> Error {
    Error::Invalid { what, value }
}
