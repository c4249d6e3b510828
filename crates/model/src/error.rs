//! Errors of the shared vocabulary: invalid matchers and label sets.

/// Errors raised while building model values from user input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A regular-expression matcher whose pattern does not compile.
    #[error("cannot compile regex matcher {name}=~{pattern:?}: {reason}")]
    BadRegex {
        /// Label name of the matcher.
        name: String,
        /// The pattern as the user wrote it.
        pattern: String,
        /// Why the regex engine rejected it.
        reason: String,
    },
    /// A label name that is not `[a-zA-Z_][a-zA-Z0-9_]*`.
    #[error("invalid label name {0:?}")]
    InvalidLabelName(String),
    /// The same label name appears twice in one label set.
    #[error("duplicate label name {0:?}")]
    DuplicateLabel(String),
}

/// Result with the model's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
