//! Tests of the exposition module, split by concern; this file holds the
//! shared helpers (entry rendering and the `check` / `check_err` tables).
//!
//! Error cases are taken from Prometheus' own `promparse_test.go` and
//! `openmetricsparse_test.go` where 2.42 behaves the same, plus our own.

mod encode;
mod openmetrics;
mod prom;
mod reference;
mod robustness;

use super::*;
use crate::Labels;

/// Renders entries compactly so each table case fits on a line.
fn render(e: &Entry<'_>) -> String {
    match e {
        Entry::Series(s) => {
            let labels = s.labels().map(|l| l.to_string()).unwrap_or_else(|e| format!("<{e}>"));
            let mut r = format!("{labels} {}", format_go_float(s.value));
            if let Some(t) = s.timestamp_ms {
                r += &format!(" @{t}");
            }
            if let Some(x) = &s.exemplar {
                let l = x.labels().map(|l| l.to_string()).unwrap_or_default();
                r += &format!(" # {l} {}", format_go_float(x.value));
                if let Some(t) = x.timestamp_ms {
                    r += &format!(" @{t}");
                }
            }
            r
        }
        Entry::Help { metric, help } => format!("HELP {metric} {help:?}"),
        Entry::Type { metric, kind } => format!("TYPE {metric} {}", kind.as_str()),
        Entry::Unit { metric, unit } => format!("UNIT {metric} {unit}"),
        Entry::Comment(c) => format!("COMMENT {}", String::from_utf8_lossy(c)),
        Entry::Eof => "EOF".to_string(),
    }
}

fn parse_all(input: &[u8], format: Format) -> Result<Vec<String>, ParseError> {
    Parser::new(input, format).map(|e| e.map(|e| render(&e))).collect()
}

#[track_caller]
fn check(format: Format, input: &str, expected: &[&str]) {
    match parse_all(input.as_bytes(), format) {
        Ok(got) => assert_eq!(got, expected, "input {input:?}"),
        Err(e) => panic!("input {input:?}: unexpected error {e}"),
    }
}

#[track_caller]
fn check_err(format: Format, input: &[u8], line: usize, reason: &str) {
    match parse_all(input, format) {
        Ok(got) => panic!("input {:?}: expected an error, got {got:?}", String::from_utf8_lossy(input)),
        Err(e) => {
            let shown = e.to_string();
            let shown = shown.split_once(": ").map_or(shown.as_str(), |(_, r)| r);
            if std::env::var("ARGUS_DUMP_MISMATCH").is_ok() && shown != reason {
                println!("WANT<<{reason}>>\nGOT<<{shown}>>");
                return;
            }
            assert_eq!(shown, reason, "input {:?}", String::from_utf8_lossy(input));
            assert_eq!(e.line(), line, "input {:?}: {e}", String::from_utf8_lossy(input));
        }
    }
}

const P: Format = Format::PromText;
const OM: Format = Format::OpenMetrics;
