//! Prometheus 2.42's template expansion for alert labels and annotations
//! (`template.Expander`): the `$labels`/`$value`/`$externalLabels`/
//! `$externalURL` header and the Prometheus function set
//! (`template/template.go` in prometheus v2.42).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use crate::builtins::{arg_str, query_escape, want_args};
use crate::{Error, Func, QueryFn, Template, Value, gofmt};

/// The variable header Prometheus' rule manager puts in front of every
/// alert label and annotation template, on the same line as the text (so
/// error columns on line 1 include it).
pub const HEADER: &str =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// Everything an alert template can see.
#[derive(Clone)]
pub struct Expander {
    /// The alert's labels (`$labels`, `.Labels`).
    pub labels: BTreeMap<String, String>,
    /// The external labels (`$externalLabels`).
    pub external_labels: BTreeMap<String, String>,
    /// `--web.external-url` (`$externalURL`).
    pub external_url: String,
    /// The alert's value (`$value`).
    pub value: f64,
    /// Evaluation time, ms since the epoch.
    pub timestamp_ms: i64,
    /// Runs `query "..."`; `None` makes `query` fail.
    pub query: Option<QueryFn>,
}

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Map(m.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

impl Expander {
    /// The template data Prometheus' `AlertTemplateData` builds.
    pub fn data(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("Labels".to_string(), string_map(&self.labels));
        m.insert("ExternalLabels".to_string(), string_map(&self.external_labels));
        m.insert("ExternalURL".to_string(), Value::String(self.external_url.clone()));
        m.insert("Value".to_string(), Value::Float(self.value));
        Value::Map(m)
    }

    /// Expands `text` like Prometheus' `Expander.Expand` with [`HEADER`]
    /// prepended. Errors read like Prometheus':
    /// `error parsing template NAME: template: NAME:1: ...` or
    /// `error executing template NAME: template: NAME:1:N: executing ...`
    /// (the rule manager wraps them in `<error expanding template: ...>`).
    pub fn expand(&self, name: &str, text: &str) -> Result<String, Error> {
        let trees = parsed(name, text).map_err(|e| Error(format!("error parsing template {name}: {}", e.0)))?;
        let mut t = Template::new(name);
        t.funcs(functions(self.query.clone(), &self.external_url));
        // Prometheus' Expander runs with missingkey=zero: `$labels.nope` is "".
        t.missing_zero = true;
        t.trees = trees;
        t.execute(&self.data()).map_err(|e| Error(format!("error executing template {name}: {}", e.0)))
    }

    /// Checks that `text` parses with the header and Prometheus' functions
    /// (rule loading, `promtool check rules`); the error is Go's parse error
    /// (`template: NAME:LINE: ...`) without a prefix, as Prometheus reports it.
    pub fn check(name: &str, text: &str) -> Result<(), Error> {
        parsed(name, text).map(|_| ())
    }
}

/// Parsed alert templates (header included), by name and text.
type Parsed = Result<BTreeMap<String, Arc<crate::parse::Tree>>, Error>;

/// Entries the parse cache holds before it starts over; a rule set has a
/// few templates per alerting rule.
const PARSE_CACHE_SIZE: usize = 4096;

/// Parses `HEADER + text` once per (name, text): Prometheus re-parses each
/// template for every alert at every evaluation, which costs far more than
/// executing it. The function set is fixed, so parsing depends on nothing
/// else.
fn parsed(name: &str, text: &str) -> Parsed {
    static CACHE: OnceLock<Mutex<HashMap<(String, String), Parsed>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (name.to_string(), text.to_string());
    if let Ok(c) = cache.lock()
        && let Some(p) = c.get(&key)
    {
        return p.clone();
    }
    let mut t = Template::new(name);
    t.funcs(functions(None, ""));
    let result = t.parse(&format!("{HEADER}{text}")).map(|t| t.trees.clone());
    // A poisoned lock only costs the caching.
    if let Ok(mut c) = cache.lock() {
        if c.len() >= PARSE_CACHE_SIZE {
            c.clear();
        }
        c.insert(key, result.clone());
    }
    result
}

/// Prometheus' template functions; `query` runs through `query` (fails
/// when `None`), `externalURL`/`pathPrefix` come from `external_url`.
pub fn functions(query: Option<QueryFn>, external_url: &str) -> Vec<(String, Func)> {
    let url = external_url.to_string();
    let path = url_path(external_url);
    let mut v: Vec<(&str, Func)> = vec![
        (
            "query",
            Arc::new(move |a: &[Value]| {
                want_args("query", a, 1)?;
                let q = arg_str(a, 0)?;
                let Some(f) = &query else {
                    return Err(Error("query is not available".into()));
                };
                let rows = f(q).map_err(Error)?;
                Ok(Value::List(rows.into_iter().map(|s| sample_value(&s.labels, s.value)).collect()))
            }),
        ),
        (
            "first",
            Arc::new(|a: &[Value]| {
                want_args("first", a, 1)?;
                match a.first() {
                    Some(Value::List(l)) => {
                        l.first().cloned().ok_or_else(|| Error("first() called on vector with no elements".into()))
                    }
                    Some(Value::Nil) => Err(Error("first() called on vector with no elements".into())),
                    Some(o) => Err(wrong_type(0, "template.queryResult", o)),
                    None => Err(Error("wrong number of args".into())),
                }
            }),
        ),
        (
            "label",
            Arc::new(|a: &[Value]| {
                want_args("label", a, 2)?;
                let l = arg_str(a, 0)?;
                Ok(sample_label(a, 1, l)?.unwrap_or_default())
            }),
        ),
        (
            "value",
            Arc::new(|a: &[Value]| {
                want_args("value", a, 1)?;
                Ok(match sample_arg(a, 0)? {
                    Some(s) => s.get("Value").cloned().unwrap_or(Value::Float(0.0)),
                    None => Value::Float(0.0),
                })
            }),
        ),
        (
            "strvalue",
            Arc::new(|a: &[Value]| {
                want_args("strvalue", a, 1)?;
                Ok(sample_label(a, 0, "__value__")?.unwrap_or_default())
            }),
        ),
        (
            "sortByLabel",
            Arc::new(|a: &[Value]| {
                want_args("sortByLabel", a, 2)?;
                let l = arg_str(a, 0)?.to_string();
                let mut rows = match a.get(1) {
                    Some(Value::List(r)) => r.clone(),
                    Some(Value::Nil) => Vec::new(),
                    Some(o) => return Err(wrong_type(1, "template.queryResult", o)),
                    None => Vec::new(),
                };
                let key = |v: &Value| match v {
                    Value::Map(s) => match s.get("Labels") {
                        Some(Value::Map(ls)) => match ls.get(&l) {
                            Some(Value::String(s)) => s.clone(),
                            _ => String::new(),
                        },
                        _ => String::new(),
                    },
                    _ => String::new(),
                };
                rows.sort_by_key(key);
                Ok(Value::List(rows))
            }),
        ),
        (
            "args",
            Arc::new(|a: &[Value]| {
                Ok(Value::Map(a.iter().enumerate().map(|(i, v)| (format!("arg{i}"), v.clone())).collect()))
            }),
        ),
        (
            "reReplaceAll",
            Arc::new(|a: &[Value]| {
                want_args("reReplaceAll", a, 3)?;
                let re = compile(arg_str(a, 0)?)?;
                Ok(Value::String(re.replace_all(arg_str(a, 2)?, arg_str(a, 1)?).into_owned()))
            }),
        ),
        (
            "safeHtml",
            Arc::new(|a: &[Value]| {
                want_args("safeHtml", a, 1)?;
                Ok(Value::String(arg_str(a, 0)?.to_string()))
            }),
        ),
        (
            "match",
            Arc::new(|a: &[Value]| {
                want_args("match", a, 2)?;
                let re = compile_unanchored(arg_str(a, 0)?)?;
                Ok(Value::Bool(re.is_match(arg_str(a, 1)?)))
            }),
        ),
        ("title", Arc::new(|a: &[Value]| str_fn("title", a, title))),
        ("toUpper", Arc::new(|a: &[Value]| str_fn("toUpper", a, to_upper))),
        ("toLower", Arc::new(|a: &[Value]| str_fn("toLower", a, to_lower))),
        (
            "graphLink",
            Arc::new(|a: &[Value]| str_fn("graphLink", a, |e| format!("/graph?g0.expr={}&g0.tab=0", query_escape(e)))),
        ),
        (
            "tableLink",
            Arc::new(|a: &[Value]| str_fn("tableLink", a, |e| format!("/graph?g0.expr={}&g0.tab=1", query_escape(e)))),
        ),
        ("humanize", Arc::new(|a: &[Value]| num_fn("humanize", a, humanize))),
        ("humanize1024", Arc::new(|a: &[Value]| num_fn("humanize1024", a, humanize1024))),
        ("humanizeDuration", Arc::new(|a: &[Value]| num_fn("humanizeDuration", a, humanize_duration))),
        ("humanizePercentage", Arc::new(|a: &[Value]| num_fn("humanizePercentage", a, humanize_percentage))),
        (
            "humanizeTimestamp",
            Arc::new(|a: &[Value]| {
                want_args("humanizeTimestamp", a, 1)?;
                let v = to_float(a.first().unwrap_or(&Value::Nil))?;
                if v.is_nan() || v.is_infinite() {
                    return Ok(Value::String(gofmt::sprintf("%.4g", &[Value::Float(v)])));
                }
                Ok(Value::String(float_to_time(v)?))
            }),
        ),
        (
            "toTime",
            Arc::new(|a: &[Value]| {
                want_args("toTime", a, 1)?;
                let v = to_float(a.first().unwrap_or(&Value::Nil))?;
                if v.is_nan() || v.is_infinite() {
                    return Err(Error("value is NaN or Inf".into()));
                }
                Ok(Value::String(float_to_time(v)?))
            }),
        ),
        (
            "pathPrefix",
            Arc::new(move |a: &[Value]| {
                want_args("pathPrefix", a, 0)?;
                Ok(Value::String(path.clone()))
            }),
        ),
        (
            "externalURL",
            Arc::new(move |a: &[Value]| {
                want_args("externalURL", a, 0)?;
                Ok(Value::String(url.clone()))
            }),
        ),
        ("stripPort", Arc::new(|a: &[Value]| str_fn("stripPort", a, strip_port))),
        ("stripDomain", Arc::new(|a: &[Value]| str_fn("stripDomain", a, strip_domain))),
        (
            "parseDuration",
            Arc::new(|a: &[Value]| {
                want_args("parseDuration", a, 1)?;
                let d = arg_str(a, 0)?;
                parse_duration_ms(d)
                    .map(|ms| Value::Float(ms as f64 / 1000.0))
                    .ok_or_else(|| Error(format!("not a valid duration string: {}", gofmt::quote(d))))
            }),
        ),
    ];
    v.sort_by_key(|(n, _)| *n);
    v.into_iter().map(|(n, f)| (n.to_string(), f)).collect()
}

fn wrong_type(i: usize, want: &str, got: &Value) -> Error {
    crate::builtins::arg_type_error(i, want, got)
}

/// Argument `i` as Go's `*sample` (a map with Labels and Value; nil is a
/// nil sample).
fn sample_arg(a: &[Value], i: usize) -> Result<Option<&BTreeMap<String, Value>>, Error> {
    match a.get(i) {
        Some(Value::Map(m)) if m.contains_key("Labels") && m.contains_key("Value") => Ok(Some(m)),
        // Prometheus 2.42's label/value/strvalue dereference without a nil check.
        Some(Value::Nil) | None => {
            Err(Error("runtime error: invalid memory address or nil pointer dereference".into()))
        }
        Some(o) => Err(wrong_type(i, "*template.sample", o)),
    }
}

/// A label of the sample argument `i` ("" when absent or nil).
fn sample_label(a: &[Value], i: usize, name: &str) -> Result<Option<Value>, Error> {
    Ok(Some(match sample_arg(a, i)?.and_then(|s| s.get("Labels")) {
        Some(Value::Map(ls)) => ls.get(name).cloned().unwrap_or(Value::String(String::new())),
        _ => Value::String(String::new()),
    }))
}

fn sample_value(labels: &BTreeMap<String, String>, value: f64) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Labels".to_string(), string_map(labels));
    m.insert("Value".to_string(), Value::Float(value));
    Value::Map(m)
}

fn str_fn(name: &str, a: &[Value], f: impl Fn(&str) -> String) -> Result<Value, Error> {
    want_args(name, a, 1)?;
    Ok(Value::String(f(arg_str(a, 0)?)))
}

fn num_fn(name: &str, a: &[Value], f: fn(f64) -> String) -> Result<Value, Error> {
    want_args(name, a, 1)?;
    let v = to_float(a.first().unwrap_or(&Value::Nil))?;
    Ok(Value::String(f(v)))
}

/// Prometheus' `convertToFloat`.
fn to_float(v: &Value) -> Result<f64, Error> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::String(s) => parse_go_float(s)
            .ok_or_else(|| Error(format!("strconv.ParseFloat: parsing {}: invalid syntax", gofmt::quote(s)))),
        other => Err(Error(format!("can't convert {} to float", gofmt::type_name(other)))),
    }
}

/// Go's `strconv.ParseFloat` for the spellings Prometheus values use.
fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    match t.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => return Some(if s.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY }),
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if t.is_empty() || t.contains(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+' | '_'))) {
        return None;
    }
    t.replace('_', "").parse().ok()
}

fn fmt4g(v: f64) -> String {
    gofmt::sprintf("%.4g", &[Value::Float(v)])
}

/// Prometheus' `humanize`: SI prefixes, 4 significant digits.
pub fn humanize(mut v: f64) -> String {
    if v == 0.0 || v.is_nan() || v.is_infinite() {
        return fmt4g(v);
    }
    if v.abs() >= 1.0 {
        let mut prefix = "";
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
        return format!("{}{prefix}", fmt4g(v));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}", fmt4g(v))
}

/// Prometheus' `humanize1024`: binary prefixes.
pub fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return fmt4g(v);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", fmt4g(v))
}

/// Prometheus' `humanizeDuration` (seconds in).
pub fn humanize_duration(mut v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return fmt4g(v);
    }
    if v == 0.0 {
        return format!("{}s", fmt4g(v));
    }
    if v.abs() >= 1.0 {
        let mut sign = "";
        if v < 0.0 {
            sign = "-";
            v = -v;
        }
        // Go's int64(v) saturates differently, but durations this long are
        // not meaningful anyway.
        let duration = v as i64;
        let seconds = duration % 60;
        let minutes = (duration / 60) % 60;
        let hours = (duration / 60 / 60) % 24;
        let days = duration / 60 / 60 / 24;
        if days != 0 {
            return format!("{sign}{days}d {hours}h {minutes}m {seconds}s");
        }
        if hours != 0 {
            return format!("{sign}{hours}h {minutes}m {seconds}s");
        }
        if minutes != 0 {
            return format!("{sign}{minutes}m {seconds}s");
        }
        return format!("{sign}{}s", fmt4g(v));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", fmt4g(v))
}

/// Prometheus' `humanizePercentage`.
pub fn humanize_percentage(v: f64) -> String {
    format!("{}%", fmt4g(v * 100.0))
}

/// Prometheus' `floatToTime` then Go's `time.Time.String()` in UTC:
/// millisecond precision (`model.TimeFromUnixNano`).
fn float_to_time(v: f64) -> Result<String, Error> {
    let ns = v * 1e9;
    if ns > i64::MAX as f64 || ns < i64::MIN as f64 {
        return Err(Error(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            gofmt::sprint_value(&Value::Float(v))
        )));
    }
    let ms = (ns as i64) / 1_000_000;
    Ok(go_time_string(ms.div_euclid(1000), ms.rem_euclid(1000) * 1_000_000))
}

/// Go's `time.Time.String()` of a UTC time:
/// `2006-01-02 15:04:05.999999999 +0000 UTC`.
pub(crate) fn go_time_string(secs: i64, nanos: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    let mut frac = String::new();
    if nanos != 0 {
        frac = format!(".{nanos:09}");
        while frac.ends_with('0') {
            frac.pop();
        }
    }
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}{frac} +0000 UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Prometheus' `model.ParseDuration`, in milliseconds.
pub(crate) fn parse_duration_ms(s: &str) -> Option<i64> {
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    let mut rest = s;
    let mut total: i64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest.get(..digits)?.parse().ok()?;
        rest = rest.get(digits..)?;
        // Longest unit first so "ms" is not read as "m".
        let (idx, unit, mult) = UNITS
            .iter()
            .enumerate()
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())
            .map(|(i, (u, m))| (i, *u, *m))?;
        if idx < next_unit {
            return None;
        }
        next_unit = idx + 1;
        rest = rest.get(unit.len()..)?;
        total = total.checked_add(n.checked_mul(mult)?)?;
    }
    Some(total)
}

/// Go's `net.SplitHostPort`.
fn split_host_port(hp: &str) -> Option<(&str, &str)> {
    let i = hp.rfind(':')?;
    let (host, port) = (hp.get(..i)?, hp.get(i + 1..)?);
    if let Some(h) = host.strip_prefix('[') {
        let h = h.strip_suffix(']')?;
        return Some((h, port));
    }
    if host.contains([':', '[', ']']) || port.contains([']', '[']) {
        return None;
    }
    Some((host, port))
}

/// Prometheus' `stripPort`.
fn strip_port(hp: &str) -> String {
    split_host_port(hp).map_or(hp, |(h, _)| h).to_string()
}

/// Prometheus' `stripDomain`: keeps IPs, drops the domain of host names.
fn strip_domain(hp: &str) -> String {
    let (host, port) = split_host_port(hp).unwrap_or((hp, ""));
    if host.parse::<std::net::IpAddr>().is_ok() {
        return hp.to_string();
    }
    let host = host.split('.').next().unwrap_or("");
    if port.is_empty() {
        return host.to_string();
    }
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// The path part of a URL (`externalURL.Path`).
fn url_path(u: &str) -> String {
    let after_scheme = match u.find("://") {
        Some(i) => u.get(i + 3..).unwrap_or(""),
        None => return u.split(['?', '#']).next().unwrap_or("").to_string(),
    };
    match after_scheme.find('/') {
        Some(i) => after_scheme.get(i..).unwrap_or("").split(['?', '#']).next().unwrap_or("").to_string(),
        None => String::new(),
    }
}

/// Go's `strings.Title`: upper-cases the first letter of each word.
pub(crate) fn title(s: &str) -> String {
    let is_sep = |r: char| {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if r.is_alphabetic() || r.is_numeric() {
            return false;
        }
        r.is_whitespace()
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for r in s.chars() {
        if is_sep(prev) {
            out.push(simple_title(r));
        } else {
            out.push(r);
        }
        prev = r;
    }
    out
}

/// Unicode title case (Go's `unicode.ToTitle`): the upper case except for
/// the Latin digraphs, whose title case is their capital-small form.
fn simple_title(c: char) -> char {
    match c {
        '\u{01C4}'..='\u{01C6}' => '\u{01C5}',
        '\u{01C7}'..='\u{01C9}' => '\u{01C8}',
        '\u{01CA}'..='\u{01CC}' => '\u{01CB}',
        '\u{01F1}'..='\u{01F3}' => '\u{01F2}',
        c => simple_upper(c),
    }
}

/// Unicode simple upper-case mapping (Go's `unicode.ToUpper`): one rune to one.
fn simple_upper(c: char) -> char {
    let mut u = c.to_uppercase();
    match (u.next(), u.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

fn simple_lower(c: char) -> char {
    // The one rune whose full lower case is longer than its simple one.
    if c == '\u{0130}' {
        return 'i';
    }
    let mut u = c.to_lowercase();
    match (u.next(), u.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// Go's `strings.ToUpper`.
pub(crate) fn to_upper(s: &str) -> String {
    s.chars().map(simple_upper).collect()
}

/// Go's `strings.ToLower`.
pub(crate) fn to_lower(s: &str) -> String {
    s.chars().map(simple_lower).collect()
}

/// Translates Go RE2 syntax to the regex crate's: Go's `\d \w \s \b` are
/// ASCII-only, the regex crate's are Unicode by default.
pub(crate) fn go_regex_syntax(re: &str) -> String {
    let mut out = String::with_capacity(re.len() + 8);
    let mut cs = re.chars().peekable();
    while let Some(c) = cs.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match cs.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('s') => out.push_str("[\\t\\n\\f\\r ]"),
            Some('S') => out.push_str("[^\\t\\n\\f\\r ]"),
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `regexp.MustCompile`'s panic text, which text/template reports.
pub(crate) fn compile(re: &str) -> Result<regex::Regex, Error> {
    compile_unanchored(re).map_err(|e| {
        let q = if re.contains('`') || re.chars().any(|c| c.is_control() && c != '\t') {
            gofmt::quote(re)
        } else {
            format!("`{re}`")
        };
        Error(format!("regexp: Compile({q}): {}", e.0))
    })
}

/// `regexp.Compile` with Go's error text for the common mistakes.
pub(crate) fn compile_unanchored(re: &str) -> Result<regex::Regex, Error> {
    regex::Regex::new(&go_regex_syntax(re)).map_err(|e| {
        let msg = e.to_string();
        let what = msg.lines().last().unwrap_or(&msg).trim().trim_start_matches("error: ").to_string();
        let code = match what.as_str() {
            "unclosed group" => "missing closing )".to_string(),
            "unopened group" => "unexpected )".to_string(),
            "unclosed character class" => "missing closing ]".to_string(),
            "repetition operator missing expression" => "missing argument to repetition operator".to_string(),
            other => other.to_string(),
        };
        Error(format!("error parsing regexp: {code}: `{re}`"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expander(query: Option<QueryFn>) -> Expander {
        Expander {
            labels: [("job".to_string(), "api".to_string())].into(),
            external_labels: [("dc".to_string(), "eu".to_string())].into(),
            external_url: "http://prom.example.com:9090/prom".into(),
            value: 2.5,
            timestamp_ms: 0,
            query,
        }
    }

    fn sample(inst: &str, v: f64) -> crate::QuerySample {
        crate::QuerySample {
            labels: [("__name__".to_string(), "up".to_string()), ("instance".to_string(), inst.to_string())].into(),
            value: v,
        }
    }

    #[test]
    fn query_functions() {
        let q: QueryFn = Arc::new(|expr: &str| match expr {
            "up" => Ok(vec![sample("b:1", 0.0), sample("a:1", 1234567.0)]),
            "none" => Ok(vec![]),
            _ => Err("bad_data: parse error".to_string()),
        });
        let e = expander(Some(q));
        let check = |t: &str, want: &str| assert_eq!(e.expand("x", t).as_deref(), Ok(want), "{t}");
        check(r#"{{ range query "up" }}{{ .Labels.instance }}={{ .Value }};{{ end }}"#, "b:1=0;a:1=1.234567e+06;");
        check(r#"{{ range query "up" | sortByLabel "instance" }}{{ label "instance" . }} {{ end }}"#, "a:1 b:1 ");
        check(r#"{{ query "up" | first | value | humanize }}"#, "0");
        check(r#"{{ with query "none" }}{{ . | first | value }}{{ else }}none{{ end }}"#, "none");
        check(r#"{{ query "up" | first }}"#, "{map[__name__:up instance:b:1] 0}");
        check(r#"{{ (query "up" | first).Labels.instance }}|{{ len (query "up") }}"#, "b:1|2");
        check(
            "{{ $externalLabels.dc }} {{ $externalURL }} {{ pathPrefix }} {{ externalURL }}",
            "eu http://prom.example.com:9090/prom /prom http://prom.example.com:9090/prom",
        );
        let err = e.expand("x", r#"{{ query "bad(" }}"#).unwrap_err().0;
        assert!(err.ends_with("error calling query: bad_data: parse error"), "{err}");
        let err = e.expand("x", r#"{{ query "none" | first }}"#).unwrap_err().0;
        assert!(err.ends_with("error calling first: first() called on vector with no elements"), "{err}");
        let err = expander(None).expand("x", r#"{{ query "up" }}"#).unwrap_err().0;
        assert!(err.starts_with("error executing template x: template: x:1:"), "{err}");
    }

    #[test]
    fn humanize_matches_prometheus() {
        let check = |v: f64, want: &str| assert_eq!(humanize(v), want, "{v}");
        check(1234567.0, "1.235M");
        check(0.0, "0");
        check(1000.0, "1k");
        check(999.0, "999");
        check(0.001234, "1.234m");
        check(-1234.0, "-1.234k");
        check(f64::INFINITY, "+Inf");
        check(f64::NAN, "NaN");
    }

    #[test]
    fn humanize_duration_matches_prometheus() {
        let check = |v: f64, want: &str| assert_eq!(humanize_duration(v), want, "{v}");
        check(3600.0, "1h 0m 0s");
        check(0.0, "0s");
        check(90061.0, "1d 1h 1m 1s");
        check(61.0, "1m 1s");
        check(1.5, "1.5s");
        check(0.25, "250ms");
        check(-3600.0, "-1h 0m 0s");
    }

    #[test]
    fn percentage_and_1024() {
        assert_eq!(humanize_percentage(0.1234), "12.34%");
        assert_eq!(humanize1024(1024.0), "1ki");
        assert_eq!(humanize1024(1.0), "1");
    }

    #[test]
    fn time_string() {
        assert_eq!(go_time_string(1_435_065_584, 128_000_000), "2015-06-23 13:19:44.128 +0000 UTC");
        assert_eq!(go_time_string(0, 0), "1970-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("1h30m"), Some(5_400_000));
        assert_eq!(parse_duration_ms("100ms"), Some(100));
        assert_eq!(parse_duration_ms("1m1h"), None);
        assert_eq!(parse_duration_ms(""), None);
        assert_eq!(url_path("http://h:9090/prom/x?q"), "/prom/x");
    }
}
