//! Decoding alertmanager.yml text into [`RawConfig`] with the error reporting of
//! Go's yaml.v2 as Alertmanager uses it: type errors and unknown fields are
//! collected over the whole document ("yaml: unmarshal errors:" and one line
//! each), but a node-level validation error anywhere wins over them, because
//! yaml.v2 aborts decoding on the first error returned by an `UnmarshalYAML`.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use super::{RawConfig, first_decode_error, resolve_phased};
use crate::Config;
use crate::error::{Error, Result};

/// How many unknown fields we collect before giving up, like a compiler's error limit.
const MAX_COLLECTED: usize = 64;

/// Decodes and validates, choosing the error Alertmanager would report.
pub(crate) fn load(text: &str, path: &Path) -> Result<Config> {
    let invalid = |message| Error::Invalid { path: path.to_path_buf(), message };
    match collect(text, path)? {
        (raw, None, _) => resolve_phased(raw).map_err(|(_, m)| invalid(m)),
        (raw, Some(type_errors), skip) => match first_decode_error(&raw, &skip) {
            Some(m) => Err(invalid(m)),
            None => Err(type_errors),
        },
    }
}

/// Decodes `text`; when it has unknown fields, blanks each one out and decodes
/// again, so that all of them are reported. Returns the raw config decoded
/// without those fields, the collected error if any, and the top-level items
/// (`route`, `receivers[2]`) that contained one.
fn collect(text: &str, path: &Path) -> Result<(RawConfig, Option<Error>, HashSet<String>)> {
    let mut skip = HashSet::new();
    let mut src = text.to_string();
    let mut lines: Vec<String> = Vec::new();
    let mut first: Option<(usize, usize)> = None;
    loop {
        let err = match parse_once(&src, path) {
            Ok(raw) if lines.is_empty() => return Ok((raw, None, skip)),
            Ok(raw) => {
                let (line, column) = first.unwrap_or((0, 0));
                let message = format!("yaml: unmarshal errors:\n  {}", lines.join("\n  "));
                return Ok((raw, Some(Error::Yaml { path: path.to_path_buf(), line, column, message }), skip));
            }
            Err(e) => e,
        };
        let Some((field, go_type, line, column, index)) = unknown_field(&err) else {
            if lines.is_empty() {
                return Err(yaml_error(&err, &src, path));
            }
            // Another type error joins the list; anything else ends decoding.
            let e = yaml_error(&err, &src, path);
            let message = match e.am_message().strip_prefix("yaml: unmarshal errors:\n  ") {
                Some(rest) => format!("yaml: unmarshal errors:\n  {}\n  {rest}", lines.join("\n  ")),
                None => return Err(e),
            };
            let (line, column) = first.unwrap_or((0, 0));
            return Err(Error::Yaml { path: path.to_path_buf(), line, column, message });
        };
        let msg = err.to_string();
        if let Some((prefix, _)) = msg.split_once(": unknown field") {
            skip.insert(prefix.split('.').next().unwrap_or(prefix).to_string());
        }
        // A merge key that serde did not apply is not an error for yaml.v2.
        if field != "<<" {
            first.get_or_insert((line, column));
            lines.push(format!("line {line}: field {field} not found in type {go_type}"));
        }
        match blank_key(&src, index, &field) {
            Some(next) if lines.len() < MAX_COLLECTED => src = next,
            _ => {
                let message = format!("yaml: unmarshal errors:\n  {}", lines.join("\n  "));
                let (line, column) = first.unwrap_or((0, 0));
                return Err(Error::Yaml { path: path.to_path_buf(), line, column, message });
            }
        }
    }
}

fn parse_once(text: &str, path: &Path) -> std::result::Result<RawConfig, serde_yaml_ng::Error> {
    if text.contains("<<") {
        // yaml.v2 applies merge keys; serde only does so on a `Value`, which has no
        // positions, so it is used for configs that decode cleanly that way.
        if let Some(Ok(mut v)) =
            serde_yaml_ng::Deserializer::from_str(text).next().map(serde_yaml_ng::Value::deserialize)
            && v.apply_merge().is_ok()
            && let Ok(raw) = Option::<RawConfig>::deserialize(v)
        {
            return Ok(raw.unwrap_or_else(|| no_route_marker(path)));
        }
    }
    // Like yaml.v2's Unmarshal, only the first document counts.
    let Some(doc) = serde_yaml_ng::Deserializer::from_str(text).next() else { return Ok(no_route_marker(path)) };
    Ok(Option::<RawConfig>::deserialize(doc)?.unwrap_or_else(|| no_route_marker(path)))
}

fn no_route_marker(_path: &Path) -> RawConfig {
    RawConfig { empty_document: true, ..RawConfig::default() }
}

/// `(field, Go type, line, column, byte index)` of an unknown-field error.
fn unknown_field(e: &serde_yaml_ng::Error) -> Option<(String, &'static str, usize, usize, usize)> {
    let loc = e.location()?;
    let text = e.to_string();
    let field = text.split("unknown field `").nth(1)?.split('`').next()?.to_string();
    Some((field, go_type_name(&text), loc.line(), loc.column(), loc.index()))
}

/// The Go type yaml.v2 names for a struct, recognised by serde's list of the
/// fields it expected; most Alertmanager types decode through a local `plain`.
pub(crate) fn go_type_name(serde_message: &str) -> &'static str {
    // serde lists the fields as "expected one of `a`, `b`" or "expected `a` or `b`".
    let expected = serde_message.split("expected ").nth(1).and_then(|r| r.split('`').nth(1));
    match expected {
        Some("src") => "config.PagerdutyImage",
        Some("href") => "config.PagerdutyLink",
        Some("id") => "config.OpsGenieConfigResponder",
        Some("type") if serde_message.contains("`credentials`") => "config.Authorization",
        Some("client_id") => "config.OAuth2",
        Some("region") => "sigv4.plain",
        Some("start_time") => "timeinterval.yamlTimeRange",
        Some("times") => "timeinterval.TimeInterval",
        _ => "config.plain",
    }
}

/// Removes the entry `field: ...` starting at byte `index`, keeping line numbers:
/// in block style the rest of its line and its more-indented value lines become
/// blank; in flow style (`{a: 1, field: 2}`) the entry and one comma do.
fn blank_key(src: &str, index: usize, field: &str) -> Option<String> {
    let line_start = src.get(..index)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = src.get(index..)?.find('\n').map_or(src.len(), |i| index + i);
    let after_key = src.get(index..line_end)?.strip_prefix(field)?.trim_start();
    if !after_key.starts_with(':') {
        return None;
    }
    if src.get(line_start..index)?.contains(['{', ',']) {
        return blank_flow_entry(src, index);
    }
    let key_col = index - line_start;
    let value_on_key_line = !after_key.trim_start_matches(':').trim().is_empty();
    let mut out = String::with_capacity(src.len());
    out.push_str(src.get(..index)?);
    let mut tail = src.get(line_end..)?.split_inclusive('\n');
    out.push_str(tail.next().map(|nl| if nl.starts_with('\n') { "\n" } else { "" }).unwrap_or(""));
    let mut blanking = true;
    for l in tail {
        let content = l.trim_end_matches('\n');
        let indent = content.len() - content.trim_start_matches(' ').len();
        let blank = content.trim().is_empty() || content.trim_start().starts_with('#');
        // A block sequence may sit at its key's own indentation.
        let same_level_item = !value_on_key_line && indent == key_col && content.trim_start().starts_with('-');
        if blanking && (blank || indent > key_col || same_level_item) {
            out.push_str(if l.ends_with('\n') { "\n" } else { "" });
        } else {
            blanking = false;
            out.push_str(l);
        }
    }
    Some(out)
}

/// Blanks a flow-mapping entry starting at `index` up to its `,` or closing `}`.
fn blank_flow_entry(src: &str, index: usize) -> Option<String> {
    let bytes = src.as_bytes();
    let (mut depth, mut quote, mut end) = (0i32, None::<u8>, None);
    for (i, &b) in bytes.iter().enumerate().skip(index) {
        match (quote, b) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(b),
            (None, b'{' | b'[') => depth += 1,
            (None, b'}' | b']') if depth == 0 => {
                end = Some((i, false));
                break;
            }
            (None, b'}' | b']') => depth -= 1,
            (None, b',') if depth == 0 => {
                end = Some((i + 1, true));
                break;
            }
            _ => {}
        }
    }
    let (end, took_comma) = end?;
    let mut start = index;
    if !took_comma {
        // Last entry: drop the comma before it instead, if any.
        let before = src.get(..index)?;
        if let Some(c) = before.rfind(',')
            && before.get(c + 1..)?.trim().is_empty()
        {
            start = c;
        }
    }
    let mut out = String::with_capacity(src.len());
    out.push_str(src.get(..start)?);
    out.extend(src.get(start..end)?.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
    out.push_str(src.get(end..)?);
    Some(out)
}

/// Decodes YAML into the raw form, wording errors as Alertmanager's decoder does
/// (only the first unknown field is reported here; [`Config::load_str`] reports all).
pub fn parse_raw(text: &str, path: &Path) -> Result<RawConfig> {
    parse_once(text, path).map_err(|e| yaml_error(&e, text, path))
}

/// The 1-based line of the second `key:` at `column` in the mapping that starts at `line`.
fn duplicate_key_line(src: &str, line: usize, column: usize, key: &str) -> usize {
    let indent = column.saturating_sub(1);
    let mut seen = 0;
    for (i, l) in src.lines().enumerate().skip(line.saturating_sub(1)) {
        let trimmed = l.trim_start_matches(' ');
        let this_indent = l.len() - trimmed.len();
        if this_indent < indent && !trimmed.is_empty() && !trimmed.starts_with('#') && i + 1 > line {
            break;
        }
        let body = if i + 1 == line { l.get(indent..).unwrap_or("") } else { trimmed };
        if (this_indent == indent || i + 1 == line)
            && body.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':'))
        {
            seen += 1;
            if seen == 2 {
                return i + 1;
            }
        }
    }
    line
}

fn yaml_error(e: &serde_yaml_ng::Error, src: &str, path: &Path) -> Error {
    let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
    let full = e.to_string();
    let text = full.split(" at line ").next().unwrap_or(&full).to_string();
    let message = if let Some(field) = text.split("unknown field `").nth(1).and_then(|r| r.split('`').next()) {
        format!("yaml: unmarshal errors:\n  line {line}: field {field} not found in type {}", go_type_name(&text))
    } else if let Some(rest) = text.split("invalid type: ").nth(1) {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let tag = match found.split_whitespace().next().unwrap_or("") {
            "sequence" => "!!seq".to_string(),
            "map" => "!!map".to_string(),
            "integer" => format!("!!int `{}`", found.split('`').nth(1).unwrap_or("")),
            "floating" => format!("!!float `{}`", found.split('`').nth(1).unwrap_or("")),
            "boolean" => format!("!!bool `{}`", found.split('`').nth(1).unwrap_or("")),
            "string" => format!("!!str `{}`", found.split('"').nth(1).unwrap_or("")),
            other => other.to_string(),
        };
        let into = match expected {
            "a string" => "string",
            "a boolean" => "bool",
            "i64" => "int64",
            "a sequence" => "[]string",
            other => other,
        };
        format!("yaml: unmarshal errors:\n  line {line}: cannot unmarshal {tag} into {into}")
    } else if let Some(field) = text.split("duplicate field `").nth(1).and_then(|r| r.split('`').next()) {
        let l = duplicate_key_line(src, line, column, field);
        format!("yaml: unmarshal errors:\n  line {l}: field {field} already set in type config.plain")
    } else if line > 0 && !text.contains(": ") {
        // A libyaml syntax error. yaml.v2 reports scanner errors with a 1-based
        // line but parser errors ("while parsing ...") with the 0-based one.
        let l = if full.contains(", while parsing ") { line - 1 } else { line };
        if l == 0 { format!("yaml: {text}") } else { format!("yaml: line {l}: {text}") }
    } else {
        format!("yaml: {}", text.split_once(": ").map(|(_, b)| b).unwrap_or(&text))
    };
    Error::Yaml { path: path.to_path_buf(), line, column, message }
}
