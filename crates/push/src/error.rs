//! Errors of the push store, one enum per operation family, and the single
//! place where they become HTTP status codes ([`http_status`]).

/// Result of the push store's operations.
pub type Result<T, E = PushError> = std::result::Result<T, E>;

/// Why a grouping key (the URL path after `/metrics/`) was rejected.
///
/// The messages are the Pushgateway 1.5 response bodies, word for word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The path does not start with `job/` or `job@base64/` (the Pushgateway's
    /// router answers 404).
    #[error("404 page not found")]
    NotFound,
    /// The job segment is `@base64` but does not decode.
    #[error("invalid base64 encoding in job name {}: {reason}", go_quote(raw))]
    JobBase64 {
        /// What the Pushgateway quotes: the bytes decoded before the error.
        raw: String,
        /// The decoder's message, e.g. `illegal base64 data at input byte 4`.
        reason: String,
    },
    /// The part after the job is not a sequence of name/value pairs.
    #[error("odd number of components in label string {}", go_quote(rest))]
    OddComponents {
        /// The label part of the path including its leading `/`.
        rest: String,
    },
    /// A label name that is not `[a-zA-Z_][a-zA-Z0-9_]*` or starts with `__`.
    #[error("improper label name {}", go_quote(name))]
    ImproperLabelName {
        /// The name after stripping `@base64`.
        name: String,
    },
    /// A `<name>@base64` label whose value does not decode.
    #[error("invalid base64 encoding for label {name}={}: {reason}", go_quote(raw))]
    LabelBase64 {
        /// The label name.
        name: String,
        /// The value as given in the path.
        raw: String,
        /// The decoder's message.
        reason: String,
    },
    /// The job is empty.
    #[error("job name is required")]
    JobRequired,
}

/// Why a push (PUT or POST) was rejected. A rejected push changes nothing,
/// except [`PushError::Inconsistent`], which records the failure time.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The URL does not name a valid grouping key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// `Content-Encoding: gzip` with a body that is not gzip.
    #[error("{0}")]
    Gzip(String),
    /// The body is neither valid text format nor valid delimited protobuf.
    #[error("{0}")]
    Parse(String),
    /// The body parsed but the result is invalid or clashes with other groups
    /// (this includes samples with timestamps).
    #[error("pushed metrics are invalid or inconsistent with existing metrics: {0}")]
    Inconsistent(String),
    /// The body (or its gunzipped form) is larger than the configured limit.
    #[error("cannot accept push: body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The push would create a group beyond the configured number of groups.
    #[error("cannot create group {key}: the push store already holds the maximum of {limit} groups")]
    TooManyGroups {
        /// The grouping key of the rejected group, e.g. `{job="x"}`.
        key: String,
        /// The configured maximum.
        limit: usize,
    },
}

/// Why the persistence file could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersistError {
    /// A file system operation failed.
    #[error("cannot {op} {path}: {source}")]
    Io {
        /// What was being done (`write`, `rename`, `read`, ...).
        op: &'static str,
        /// The file concerned.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file exists but is not a push store snapshot we can read.
    #[error("cannot decode push store file {path}: {reason}")]
    Corrupt {
        /// The file concerned.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The HTTP status the Pushgateway answers for `err`: 400 for bad keys,
/// bodies and inconsistent pushes, 404 for paths that are no push route; and
/// for argus' own limits 413 (body too large) and 429 (too many groups).
///
/// The response body is `err.to_string()` plus a newline (Go's `http.Error`),
/// as `text/plain; charset=utf-8`. Successful pushes answer [`STATUS_PUSHED`],
/// deletes [`STATUS_DELETED`].
pub fn http_status(err: &PushError) -> u16 {
    match err {
        PushError::Key(KeyError::NotFound) => 404,
        PushError::Key(_) | PushError::Gzip(_) | PushError::Parse(_) | PushError::Inconsistent(_) => 400,
        PushError::BodyTooLarge { .. } => 413,
        PushError::TooManyGroups { .. } => 429,
    }
}

/// The response body for `err`: its message and a newline, as Go's
/// `http.Error` writes it (with [`ERROR_CONTENT_TYPE`]).
pub fn error_body(err: &PushError) -> String {
    format!("{err}\n")
}

/// The `Content-Type` of error responses.
pub const ERROR_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// Status of a successful PUT or POST (empty body).
pub const STATUS_PUSHED: u16 = 200;
/// Status of a DELETE and of the admin wipe (empty body), whether or not the
/// group existed.
pub const STATUS_DELETED: u16 = 202;

/// Quotes `s` as Go's `%q` does.
pub(crate) fn go_quote(s: &str) -> String {
    argus_model::exposition::go_quote(s.as_bytes())
}
