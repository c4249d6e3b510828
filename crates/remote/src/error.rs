//! Errors of remote write and remote read.

/// Why a remote write or read could not be set up or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The HTTP client for a remote could not be built (TLS files, proxy).
    #[error("cannot build HTTP client for remote {url}: {source}")]
    Client {
        /// The remote's URL.
        url: String,
        /// The cause.
        source: argus_scrape::http::ClientError,
    },
    /// A remote read request failed (connection, status, body).
    #[error("cannot read from remote {url}: {message}")]
    Read {
        /// The remote's URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A queue's thread or client could not be started.
    #[error("cannot start remote write queue for {url}: {message}")]
    Start {
        /// The remote's URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The WAL could not be read.
    #[error("cannot read WAL for remote write: {0}")]
    Wal(#[from] argus_wal::Error),
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;
