//! The strict OpenMetrics reader behind `argus tsdb create-blocks-from
//! openmetrics`, following promtool 2.42's contract: OpenMetrics only, `# EOF`
//! required, every sample needs a timestamp.
//!
//! promtool first scans the whole file for its time range (any parse error or
//! missing timestamp fails there), then appends samples block by block, where
//! the head rejects out-of-order samples. We are stricter and simpler: a sample
//! older than an earlier sample of the same series is an error wherever it
//! occurs, and every error names its line. The reader remembers the latest
//! timestamp of each series it has seen, which is the only state it keeps.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::HashMap;

use super::entry::{Entry, Format};
use super::error::BackfillError;
use super::parser::Parser;
use crate::{Labels, Sample};

/// One sample to backfill, with the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct BackfillSample {
    /// The series.
    pub labels: Labels,
    /// Timestamp (ms) and value.
    pub sample: Sample,
    /// 1-based line number in the input.
    pub line: usize,
}

/// What [`check_backfill`] found in a valid input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BackfillSummary {
    /// Smallest sample timestamp (ms); 0 without samples, as in promtool.
    pub min_time_ms: i64,
    /// Largest sample timestamp (ms); 0 without samples, as in promtool.
    pub max_time_ms: i64,
    /// Number of samples to write (exact duplicates are counted once).
    pub samples: usize,
    /// Number of distinct series.
    pub series: usize,
}

/// Reads samples in input order, enforcing the backfill contract.
///
/// Yields each sample once; an exact repeat (same series, timestamp and
/// value) is skipped, as the TSDB ignores it. Stops after the first error.
/// Call [`check_backfill`] first to get promtool's error precedence (parse
/// errors and missing timestamps anywhere beat ordering errors).
pub struct BackfillReader<'a> {
    parser: Parser<'a>,
    last: HashMap<Labels, (i64, u64)>,
    done: bool,
}

impl<'a> BackfillReader<'a> {
    /// A reader over an OpenMetrics body.
    pub fn new(input: &'a [u8]) -> Self {
        BackfillReader { parser: Parser::new(input, Format::OpenMetrics), last: HashMap::new(), done: false }
    }

    fn step(&mut self) -> Option<Result<BackfillSample, BackfillError>> {
        loop {
            let s = match self.parser.next()? {
                Err(e) => return Some(Err(BackfillError::Parse(e))),
                Ok(Entry::Series(s)) => s,
                Ok(_) => continue,
            };
            let line = self.parser.line();
            let Some(t) = s.timestamp_ms else {
                return Some(Err(BackfillError::MissingTimestamp { line, series: s.series.to_string() }));
            };
            let labels = match s.labels() {
                Ok(l) => l,
                Err(source) => {
                    return Some(Err(BackfillError::InvalidSeries { line, series: s.series.to_string(), source }));
                }
            };
            let bits = s.value.to_bits();
            match self.last.get_mut(&labels) {
                Some((prev_t, prev_v)) => {
                    if t < *prev_t {
                        let err = BackfillError::OutOfOrder {
                            line,
                            series: labels.to_string(),
                            timestamp_ms: t,
                            previous_ms: *prev_t,
                        };
                        return Some(Err(err));
                    }
                    if t == *prev_t {
                        if bits == *prev_v {
                            continue;
                        }
                        let err = BackfillError::Duplicate { line, series: labels.to_string(), timestamp_ms: t };
                        return Some(Err(err));
                    }
                    (*prev_t, *prev_v) = (t, bits);
                }
                None => {
                    self.last.insert(labels.clone(), (t, bits));
                }
            }
            return Some(Ok(BackfillSample { labels, sample: Sample::new(t, s.value), line }));
        }
    }
}

impl Iterator for BackfillReader<'_> {
    type Item = Result<BackfillSample, BackfillError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.step();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

/// Validates a whole backfill input and returns its time range.
///
/// Errors come in promtool's precedence: the first parse error or sample
/// without a timestamp in the file; otherwise the first series-order or
/// duplicate error. [`BackfillError::promtool_message`] gives promtool's
/// wording of the returned error.
pub fn check_backfill(input: &[u8]) -> Result<BackfillSummary, BackfillError> {
    let mut sum = BackfillSummary { min_time_ms: i64::MAX, max_time_ms: i64::MIN, ..Default::default() };
    let mut reader = BackfillReader::new(input);
    let mut order_err = None;
    loop {
        match reader.step() {
            None => break,
            Some(Ok(s)) => {
                sum.samples += 1;
                sum.min_time_ms = sum.min_time_ms.min(s.sample.t);
                sum.max_time_ms = sum.max_time_ms.max(s.sample.t);
            }
            Some(Err(e @ (BackfillError::Parse(_) | BackfillError::MissingTimestamp { .. }))) => {
                return Err(e);
            }
            Some(Err(e)) => {
                // Keep scanning: a later parse error is what promtool reports first.
                order_err.get_or_insert(e);
            }
        }
    }
    if let Some(e) = order_err {
        return Err(e);
    }
    if sum.samples == 0 {
        (sum.min_time_ms, sum.max_time_ms) = (0, 0);
    }
    sum.series = reader.last.len();
    Ok(sum)
}
