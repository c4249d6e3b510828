//! The exposition formats: parsing the Prometheus text format 0.0.4 and
//! OpenMetrics 1.0 text, reading OpenMetrics for backfilling, and writing the
//! text format.
//!
//! The parsers are ports of Prometheus 2.42's `model/textparse` and accept and
//! reject the same bodies with the same error wording ([`ParseError::reason`]),
//! to which we add the line number and the text that was being parsed. This was
//! checked against the real 2.42 (Debian's `prometheus` and `promtool`) on some
//! 900 bodies, see `testdata/textparse-2.42.tsv`. [`Parser`] is a pull parser: each [`Entry`] borrows from the body and
//! a sample line allocates nothing until its labels are decoded, because the
//! scrape loop runs it for every sample of every target.
//!
//! What 2.42 does and we therefore do too: OpenMetrics `_created` series are
//! ordinary samples; counter names are not checked for `_total`; exemplars are
//! accepted only on `_total` and `_bucket` series and their 128-character limit
//! is not enforced; OpenMetrics forbids comments, blank lines and trailing
//! commas in label sets, the text format allows all three; the text format
//! accepts only non-negative integer millisecond timestamps; a NUL byte at the
//! start of a text-format line ends the body silently.
//!
//! Where we differ from 2.42, on purpose:
//! - Exemplar label values are unescaped (2.42 keeps the backslashes).
//! - In the text format, NUL bytes right after a label value's closing quote
//!   are skipped; 2.42 keeps a stray `"` at the end of that value.
//! - Duplicate label names are rejected by [`Series::labels`]; 2.42's parser
//!   accepts them and its scrape loop rejects the sample.
//! - Messages for unparsable numbers quote the input; 2.42's scrape loop may
//!   quote bytes of a recycled buffer instead.
//!
//! ```
//! use argus_model::exposition::{Entry, Format, Parser, format_go_float};
//! let body = b"# TYPE rpc_seconds summary\nrpc_seconds{quantile=\"0.5\"} 1234567\n";
//! let mut parser = Parser::new(body, Format::PromText);
//! assert!(matches!(parser.next(), Some(Ok(Entry::Type { metric: "rpc_seconds", .. }))));
//! let Some(Ok(Entry::Series(s))) = parser.next() else { panic!() };
//! assert_eq!(s.labels().unwrap().get("quantile"), Some("0.5"));
//! assert_eq!(format_go_float(s.value), "1.234567e+06");
//!
//! let err = Parser::new(b"up 1\nup{3} 1\n", Format::PromText).find_map(Result::err).unwrap();
//! assert_eq!(err.reason(), r#"expected label name, got "INVALID""#); // as Prometheus 2.42 says it
//! assert_eq!(err.to_string(), r#"line 2: expected label name, got "INVALID" while parsing: "up{3""#);
//! ```

mod backfill;
mod encode;
mod entry;
mod error;
mod gofmt;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

pub use backfill::{BackfillReader, BackfillSample, BackfillSummary, check_backfill};
pub use encode::{MetricFamily, encode_text, text_type_name, write_help, write_sample, write_type};
pub use entry::{Entry, Exemplar, Format, LabelPairs, MetricType, SCRAPE_ACCEPT_HEADER, Series, TEXT_CONTENT_TYPE};
pub use error::{BackfillError, ParseError};
pub use gofmt::{NORMAL_NAN_BITS, format_go_float, go_quote};
pub use parser::Parser;
