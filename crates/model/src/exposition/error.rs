//! Errors of the exposition parsers and of the backfill reader.

/// A body that is not valid text format or OpenMetrics.
///
/// The reason is worded exactly as Prometheus 2.42's `textparse` words it
/// (`expected label name, got "INVALID"`); the line and the context say where:
/// the 1-based line of the offending token, and the entry up to and including
/// the offending byte, quoted as Go quotes it (as later Prometheus versions
/// print after "while parsing:"). Displays as
/// `line 3: expected label name, got "INVALID" while parsing: "c{3"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}{}", if context.is_empty() { String::new() } else { format!(" while parsing: {context}") })]
pub struct ParseError {
    pub(crate) line: usize,
    pub(crate) reason: String,
    /// Go-quoted text of the entry so far; empty when the reason says it all.
    pub(crate) context: String,
}

impl ParseError {
    /// The 1-based line number of the offending token (one past the last line
    /// when the body ended too early).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The reason, exactly as Prometheus 2.42's parser reports it.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The entry up to the offending byte, Go-quoted (`"c{3"`); empty when
    /// the error is not about a token (e.g. a missing `# EOF`).
    pub fn context(&self) -> &str {
        &self.context
    }
}

/// Why a body cannot be backfilled, see [`super::check_backfill`] and [`super::BackfillReader`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackfillError {
    /// The body is not valid OpenMetrics (including a missing `# EOF`).
    #[error("cannot parse openmetrics input: {0}")]
    Parse(#[source] ParseError),
    /// A sample without a timestamp; backfilling needs one on every sample.
    #[error("line {line}: expected timestamp for series {series}, got none")]
    MissingTimestamp {
        /// 1-based line of the sample.
        line: usize,
        /// The series as written.
        series: String,
    },
    /// A sample older than an earlier sample of the same series.
    #[error("line {line}: out of order sample for series {series}: timestamp {timestamp_ms} is before {previous_ms}")]
    OutOfOrder {
        /// 1-based line of the sample.
        line: usize,
        /// The series label set.
        series: String,
        /// The sample's timestamp in milliseconds.
        timestamp_ms: i64,
        /// The latest earlier timestamp of the series.
        previous_ms: i64,
    },
    /// A second sample at the same timestamp with a different value.
    #[error("line {line}: duplicate sample for timestamp {timestamp_ms} of series {series}")]
    Duplicate {
        /// 1-based line of the sample.
        line: usize,
        /// The series label set.
        series: String,
        /// The repeated timestamp in milliseconds.
        timestamp_ms: i64,
    },
    /// A label name repeated within one series.
    #[error("line {line}: invalid series {series}: {source}")]
    InvalidSeries {
        /// 1-based line of the sample.
        line: usize,
        /// The series as written.
        series: String,
        /// Why the label set is invalid.
        source: crate::Error,
    },
}

impl BackfillError {
    /// The 1-based line the error refers to.
    pub fn line(&self) -> usize {
        match self {
            BackfillError::Parse(e) => e.line,
            BackfillError::MissingTimestamp { line, .. }
            | BackfillError::OutOfOrder { line, .. }
            | BackfillError::Duplicate { line, .. }
            | BackfillError::InvalidSeries { line, .. } => *line,
        }
    }

    /// The message `promtool tsdb create-blocks-from openmetrics` 2.42 prints
    /// for the same input (without our line number), for compatibility tests
    /// and for users comparing the two tools.
    pub fn promtool_message(&self) -> String {
        match self {
            BackfillError::Parse(e) => format!("getting min and max timestamp: next: {}", e.reason),
            BackfillError::MissingTimestamp { .. } => {
                "getting min and max timestamp: expected timestamp for series got none".to_string()
            }
            BackfillError::OutOfOrder { .. } => {
                "block creation: process blocks: add sample: out of order sample".to_string()
            }
            BackfillError::Duplicate { .. } => {
                "block creation: process blocks: add sample: duplicate sample for timestamp".to_string()
            }
            BackfillError::InvalidSeries { source, .. } => {
                format!("block creation: process blocks: add sample: {source}")
            }
        }
    }
}
