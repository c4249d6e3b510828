//! Query errors and their API kinds.
//!
//! Every failure of a query is one [`Error`]; [`Error::kind`] maps it to the
//! error kind of Prometheus' HTTP API (`bad_data`, `execution`, `timeout`, ...),
//! so the web layer maps errors in exactly one place. Messages follow
//! Prometheus 2.42 word for word where clients or tests compare them.

use argus_model::storage::StorageError;

/// The error kinds of Prometheus' HTTP API that a query can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad query text or parameters (HTTP 400).
    BadData,
    /// The query failed during evaluation (HTTP 422).
    Execution,
    /// The query ran past its deadline (HTTP 503).
    Timeout,
    /// The query was canceled (HTTP 503).
    Canceled,
    /// Storage failed underneath the query (HTTP 500).
    Internal,
}

/// Why a query failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The query text does not parse; the message carries Prometheus' `line:col: parse error:` prefix when known.
    #[error("{0}")]
    Parse(String),
    /// The query parameters are unacceptable (e.g. a range vector for a range query).
    #[error("{0}")]
    BadData(String),
    /// Evaluation failed (matching errors, duplicate label sets, bad function arguments).
    #[error("{0}")]
    Execution(String),
    /// The query would hold more samples in memory than allowed.
    #[error("query processing would load too many samples into memory in {0}")]
    TooManySamples(&'static str),
    /// The query ran past its deadline.
    #[error("query timed out in {0}")]
    Timeout(&'static str),
    /// The query was canceled.
    #[error("query was canceled in {0}")]
    Canceled(&'static str),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Error {
    /// The HTTP API error kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Parse(_) | Error::BadData(_) => ErrorKind::BadData,
            Error::Execution(_) | Error::TooManySamples(_) => ErrorKind::Execution,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Canceled(_) => ErrorKind::Canceled,
            Error::Storage(_) => ErrorKind::Internal,
        }
    }

    pub(crate) fn exec(msg: impl Into<String>) -> Self {
        Error::Execution(msg.into())
    }
}

/// Result of query operations.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_prometheus() {
        assert_eq!(
            Error::TooManySamples("query execution").to_string(),
            "query processing would load too many samples into memory in query execution"
        );
        assert_eq!(Error::Timeout("expression evaluation").to_string(), "query timed out in expression evaluation");
        assert_eq!(Error::TooManySamples("query execution").kind(), ErrorKind::Execution);
    }
}
