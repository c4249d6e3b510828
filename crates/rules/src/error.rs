//! Errors of rule loading and evaluation.

/// Why loading or evaluating rules failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// One or more rule files are invalid; each message is promtool's
    /// (`file: 7:15: group "x", rule 1, "name": ...`).
    #[error("cannot load rule files: {}", .0.join("; "))]
    Load(Vec<String>),
    /// A rule's query failed at evaluation time (the engine's message).
    #[error("{0}")]
    Query(#[from] argus_promql::Error),
    /// A rule's result broke a rule-level constraint (same label set after
    /// applying labels, limit exceeded, ...), in Prometheus' words.
    #[error("{0}")]
    Eval(String),
    /// Writing a rule's output to storage failed.
    #[error("{0}")]
    Storage(#[from] argus_model::storage::StorageError),
}

impl Error {
    /// The individual messages of a [`Error::Load`], or the one message otherwise.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Error::Load(v) => v.clone(),
            e => vec![e.to_string()],
        }
    }
}

/// Result of rule operations.
pub type Result<T> = std::result::Result<T, Error>;
