//! prometheus.yml: [`load`] and [`parse`] read a file in two steps, as Prometheus
//! 2.42 does — a raw serde form mirroring the YAML ([`raw`]), then a validated,
//! resolved [`Config`] with Prometheus' defaults applied, relabel regexes
//! compiled and relative paths joined to the config file's directory. A scrape
//! loop can take a [`ScrapeConfig`] as it is.
//!
//! Unknown fields are errors worded like Prometheus'
//! (`field foo not found in type config.ScrapeConfig`) with file, line and
//! column; checks made after decoding point at the job's `job_name` line.
//! `${VAR}` expansion from the environment is opt-in ([`LoadOptions`]).

mod check;
mod env;
mod error;
mod http_client;
pub mod raw;
mod resolve;
mod types;
mod units;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use check::{CheckReport, check_files};
pub use error::{ConfigError, Location, Result};
pub(crate) use resolve::check_target_address;
pub use types::*;
pub use units::{format_duration, parse_base2_bytes, parse_duration};

/// How to read a config file.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Replace `${VAR}` with the environment variable `VAR` before parsing
    /// (`--config.expand-env`); `$${VAR}` stays as the literal `${VAR}`, and an
    /// unset variable is an error. `$1` and `${1}` in relabel replacements are
    /// never touched, since they are not variable names.
    pub expand_env: bool,
}

/// Reads and resolves the config file at `path`. Blocking (reads the file).
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Config> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    parse(&text, path, opts)
}

/// Parses and resolves config `text` read from `path`; relative paths in it
/// are joined to `path`'s directory. Does not touch the file system.
pub fn parse(text: &str, path: &Path, opts: &LoadOptions) -> Result<Config> {
    let expanded;
    let text = if opts.expand_env {
        expanded = env::expand(text, path, |k| std::env::var(k).ok())?;
        expanded.as_str()
    } else {
        text
    };
    let raw = decode(text, path)?;
    resolve::resolve(raw, text, path)
}

/// Decodes YAML into the raw form, mapping serde's errors to Prometheus' wording.
fn decode(text: &str, path: &Path) -> Result<raw::Config> {
    // An empty file is a valid, all-defaults config for Prometheus.
    if text.trim().is_empty() || text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return Ok(raw::Config::default());
    }
    // yaml.v2 parses the whole document before decoding it, so a syntax error
    // anywhere wins over a decoding error earlier in the file.
    if let Err(e) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        let err = parse_error(&e, path);
        if matches!(&err, ConfigError::Parse { message, .. } if message.starts_with("yaml: ")) {
            return Err(err);
        }
    }
    serde_yaml_ng::from_str::<Option<raw::Config>>(text)
        .map(Option::unwrap_or_default)
        .map_err(|e| parse_error(&e, path))
}

/// A decoding error with Prometheus' wording and serde's location.
fn parse_error(e: &serde_yaml_ng::Error, path: &Path) -> ConfigError {
    let loc = e.location();
    let line = loc.as_ref().map(|l| l.line());
    let mut message = go_message(&e.to_string());
    if let Some(go_line) = syntax_error_line(&message, line) {
        message = match go_line {
            Some(l) => format!("yaml: line {l}: {message}"),
            None => format!("yaml: {message}"),
        };
    }
    ConfigError::Parse {
        location: Location { path: path.to_path_buf(), line, column: loc.as_ref().map(|l| l.column()) },
        message,
    }
}

/// For a libyaml syntax error, the line yaml.v2 prints (`Some(None)` when it
/// prints none): parser errors show the 0-based line of the problem, scanner
/// errors the 1-based one, and neither shows line 0. `None` if `message` is
/// not a syntax error.
fn syntax_error_line(message: &str, line: Option<usize>) -> Option<Option<usize>> {
    const SYNTAX: [&str; 6] =
        ["did not find", "found ", "mapping values", "could not find", "block sequence", "control characters"];
    if !SYNTAX.iter().any(|p| message.starts_with(p)) {
        return None;
    }
    let scanner_expected = ["alphabetic", "whitespace", "comment", "hexdecimal", "URI"];
    let parser_error = (message.starts_with("did not find expected")
        && !scanner_expected.iter().any(|w| message.contains(w)))
        || message.starts_with("found incompatible")
        || message.starts_with("found duplicate");
    let one_based = line.unwrap_or(0);
    let go = if parser_error {
        one_based.saturating_sub(1)
    } else if one_based > 1 {
        one_based
    } else {
        0
    };
    Some((go != 0).then_some(go))
}

/// serde's `invalid type: string "a", expected a sequence` as yaml.v2's
/// `cannot unmarshal !!str `a` into []string`. The Go type after `into` is
/// our best guess from serde's expectation (Go may name e.g. `model.LabelNames`).
fn invalid_type(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("invalid type: ").or_else(|| msg.strip_prefix("invalid value: "))?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let (kind, value) = found.split_once(' ').unwrap_or((found, ""));
    let value = value.trim_matches(|c| c == '`' || c == '"');
    let tag = match kind {
        "string" => "!!str",
        "integer" => "!!int",
        "floating" => "!!float",
        "boolean" => "!!bool",
        "sequence" => "!!seq",
        "map" => "!!map",
        "unit" | "null" => "!!null",
        _ => return None,
    };
    let value = if kind == "floating" { value.trim_start_matches("point ").trim_matches('`') } else { value };
    let into = match expected {
        "a sequence" => "[]string",
        "u64" | "u32" | "u16" => "uint",
        "i64" | "i32" => "int",
        "a boolean" => "bool",
        "a string" => "string",
        "f64" => "float64",
        e if e.starts_with("struct ") || e.starts_with("a map") => "map",
        other => other,
    };
    Some(if value.is_empty() || matches!(kind, "sequence" | "map") {
        format!("cannot unmarshal {tag} into {into}")
    } else {
        format!("cannot unmarshal {tag} `{value}` into {into}")
    })
}

/// Removes a leading `path.to[0].field: ` that starts with a top-level key.
fn strip_document_path(msg: &str) -> &str {
    const TOP: [&str; 8] =
        ["global", "alerting", "rule_files", "scrape_configs", "storage", "tracing", "remote_write", "remote_read"];
    let Some((path, rest)) = msg.split_once(": ") else {
        return msg;
    };
    let head = path.split(['.', '[']).next().unwrap_or("");
    let path_like = path.chars().all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c));
    if path_like && TOP.contains(&head) { rest } else { msg }
}

/// Rewrites serde's message into Prometheus' where they differ.
fn go_message(serde_msg: &str) -> String {
    // serde_yaml_ng appends " at line L column C"; the location is kept apart.
    let msg = match serde_msg.find(" at line ") {
        Some(i) => serde_msg.get(..i).unwrap_or(serde_msg),
        None => serde_msg,
    };
    // It prefixes the path inside the document ("scrape_configs[0]: ..."),
    // which Prometheus does not print; the line and column say where.
    let msg = strip_document_path(msg);
    if let Some(rest) = msg.strip_prefix("duplicate field `") {
        let field = rest.split('`').next().unwrap_or("");
        return format!("field {field} already set in type config.plain");
    }
    if let Some(go) = invalid_type(msg) {
        return go;
    }
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let mut parts = rest.split('`');
        let field = parts.next().unwrap_or("");
        let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        return format!("field {field} not found in type {}", raw::go_type_for_fields(&expected));
    }
    msg.to_string()
}
