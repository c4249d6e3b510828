//! Errors of the alert manager: loading and validating alertmanager.yml, and
//! parsing matchers and label sets given on the command line.
//!
//! Every error keeps Alertmanager 0.25's own wording in [`Error::am_message`], so
//! that `argus check alertmanager` can print exactly what `amtool check-config`
//! prints, while `Display` adds the file (and line and column when known).

use std::path::PathBuf;

/// Errors raised while loading a configuration or parsing matchers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration file could not be read.
    #[error("cannot read alertmanager config {}: {source}", path.display())]
    Io {
        /// The file that was read.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The YAML is malformed, has an unknown field, or a value of the wrong type.
    #[error("cannot parse alertmanager config {}:{line}:{column}: {message}", path.display())]
    Yaml {
        /// The file (or `<string>` when loaded from memory).
        path: PathBuf,
        /// 1-based line of the offending node.
        line: usize,
        /// 1-based column of the offending node.
        column: usize,
        /// Alertmanager's wording of the problem.
        message: String,
    },
    /// The YAML is well-formed but a value or a cross-reference is invalid.
    #[error("cannot load alertmanager config {}: {message}", path.display())]
    Invalid {
        /// The file (or `<string>` when loaded from memory).
        path: PathBuf,
        /// Alertmanager's wording of the problem.
        message: String,
    },
    /// `${NAME}` expansion was asked for and `NAME` is not set.
    #[error("cannot expand alertmanager config {}:{line}: environment variable {name} is not set", path.display())]
    Env {
        /// The file.
        path: PathBuf,
        /// 1-based line of the reference.
        line: usize,
        /// The variable's name.
        name: String,
    },
    /// A matcher (`foo="bar"`, `{a=~"b|c"}`) does not parse.
    #[error("cannot parse matcher: {0}")]
    Matcher(String),
}

impl Error {
    /// The message Alertmanager 0.25 gives for this problem, without our file
    /// and position prefix (what `amtool check-config` prints after `FAILED: `).
    pub fn am_message(&self) -> String {
        match self {
            Error::Io { path, source } => {
                if source.kind() == std::io::ErrorKind::NotFound {
                    format!("open {}: no such file or directory", path.display())
                } else {
                    format!("open {}: {}", path.display(), source)
                }
            }
            Error::Yaml { message, .. } | Error::Invalid { message, .. } | Error::Matcher(message) => message.clone(),
            Error::Env { name, .. } => format!("environment variable {name} is not set"),
        }
    }
}

/// Result with the alert manager's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
