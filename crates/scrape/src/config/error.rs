//! Errors of loading prometheus.yml: each carries the file, the line and column
//! where Prometheus' YAML decoder would point (or the job's `job_name` line for
//! checks made after decoding), the job name when the problem is inside a
//! scrape config, and Prometheus' own message text so users can search for it.

use std::fmt;
use std::path::PathBuf;

/// Where in a config file a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The config file.
    pub path: PathBuf,
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// 1-based column, if known.
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        Ok(())
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The YAML does not decode into prometheus.yml's shape (syntax errors,
    /// unknown fields, wrong types, invalid durations).
    #[error("cannot parse config {location}: {message}")]
    Parse {
        /// Where.
        location: Location,
        /// Prometheus' wording where we reproduce it, e.g.
        /// `field foo not found in type config.ScrapeConfig`.
        message: String,
    },
    /// The config decodes but breaks a rule (timeout greater than interval,
    /// duplicate job names, invalid relabeling, ...).
    #[error("invalid config {location}{}: {message}", job.as_ref().map(|j| format!(" (job {j:?})")).unwrap_or_default())]
    Invalid {
        /// Where.
        location: Location,
        /// The scrape job concerned, if any.
        job: Option<String>,
        /// Prometheus' message.
        message: String,
    },
    /// `${VAR}` names an unset environment variable (only with expansion on).
    #[error("cannot expand config {location}: environment variable {name} is not set")]
    Env {
        /// Where.
        location: Location,
        /// The variable.
        name: String,
    },
}

impl ConfigError {
    /// Prometheus' message without our location prefix, as `promtool check
    /// config` prints it after `parsing YAML file X:`.
    pub fn message(&self) -> String {
        match self {
            ConfigError::Read { source, .. } => source.to_string(),
            ConfigError::Parse { message, .. } | ConfigError::Invalid { message, .. } => message.clone(),
            ConfigError::Env { name, .. } => format!("environment variable {name} is not set"),
        }
    }

    /// The text `promtool check config` prints after `FAILED: ` for this
    /// error, e.g. `parsing YAML file p.yml: yaml: unmarshal errors:\n  line 3:
    /// field foo not found in type config.ScrapeConfig`.
    pub fn promtool_message(&self) -> String {
        match self {
            ConfigError::Read { path, source } => format!("open {}: {}", path.display(), go_io_message(source)),
            ConfigError::Parse { location, message }
                if message.starts_with("field ") || message.starts_with("cannot unmarshal") =>
            {
                format!(
                    "parsing YAML file {}: yaml: unmarshal errors:\n  line {}: {message}",
                    location.path.display(),
                    location.line.unwrap_or(0)
                )
            }
            ConfigError::Parse { location, message } | ConfigError::Invalid { location, message, .. } => {
                format!("parsing YAML file {}: {message}", location.path.display())
            }
            ConfigError::Env { location, name } => {
                format!("parsing YAML file {}: environment variable {name} is not set", location.path.display())
            }
        }
    }

    /// The job concerned, if the error is inside a scrape config.
    pub fn job(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { job, .. } => job.as_deref(),
            _ => None,
        }
    }
}

/// Go's wording for the common I/O errors.
pub(crate) fn go_io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// `Result` with a [`ConfigError`].
pub type Result<T> = std::result::Result<T, ConfigError>;
