//! Errors of the host collectors.
//!
//! A collector that fails returns one of these; [`crate::NodeCollector`] turns
//! it into `node_scrape_collector_success{collector="..."} 0` and a log line,
//! so no error here ever aborts a whole collection.

use std::path::PathBuf;

/// Errors raised while setting up or running the host collectors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file under procfs, sysfs or the textfile directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file that was being read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file had content the collector does not understand.
    #[error("cannot parse {path}: {reason}")]
    Parse {
        /// The file that was being parsed.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// A system call failed (`uname`).
    #[error("cannot call {call}: {source}")]
    Syscall {
        /// The system call.
        call: &'static str,
        /// The error it returned.
        #[source]
        source: std::io::Error,
    },
    /// A regular expression option does not compile.
    #[error("cannot compile {option} regex {pattern:?}: {source}")]
    Regex {
        /// The option, named as node_exporter's flag (`collector.vmstat.fields`).
        option: &'static str,
        /// The pattern as given.
        pattern: String,
        /// Why the regex engine rejected it.
        #[source]
        source: regex::Error,
    },
    /// A collector name that argus does not implement.
    #[error("unknown collector {0:?}")]
    UnknownCollector(String),
}

impl Error {
    pub(crate) fn parse(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Parse { path: path.into(), reason: reason.into() }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
