//! Alertmanager 0.25's notification templates: the default template text
//! (`default.tmpl`, plus `email.tmpl` for `email.default.*`), user template
//! files, its function set and its template data (`Data`: Receiver, Status,
//! Alerts, GroupLabels, CommonLabels, CommonAnnotations, ExternalURL).
//!
//! Go methods of Alertmanager's data types are resolved by the executor when
//! a set is built here: `.Alerts.Firing`/`.Resolved` on alert lists,
//! `.SortedPairs`/`.Names`/`.Values`/`.Remove` on label maps (KV) and pair
//! lists, and `.Format`/`.Unix`/... on times (which are values printed as Go
//! prints a `time.Time`, see [`go_time`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::builtins::{arg_str, arg_type_error, want_args};
use crate::prometheus::{title, to_lower, to_upper};
use crate::{Error, Func, Template, Value};

/// Alertmanager 0.25's `template/default.tmpl`, plus the `msteams.default.*`
/// templates (and `__text_alert_list_markdown`) of 0.26 for `msteams_configs`.
pub const DEFAULT_TMPL: &str = include_str!("../templates/default.tmpl");

/// Alertmanager 0.25's `template/email.tmpl`: `email.default.subject` and
/// `email.default.html`. Upstream's binary embeds a CSS-inlined rendering of
/// this file; this is its source (styles in a `<style>` element as well as
/// inline), so the HTML differs in markup but not in content.
pub const EMAIL_TMPL: &str = include_str!("../templates/email.tmpl");

/// A set of notification templates: the defaults plus user files.
#[derive(Clone, Debug)]
pub struct Templates {
    tmpl: Template,
}

impl Templates {
    /// The default templates plus the given user template texts, as
    /// `(file name, contents)`, parsed in order (later definitions replace
    /// earlier ones, as with Alertmanager's `templates:` globs). Errors are
    /// Go's parse errors naming the file (`template: FILE:LINE: ...`).
    pub fn new(user_texts: &[(String, String)]) -> Result<Self, Error> {
        let mut tmpl = Template::new("");
        tmpl.funcs(functions());
        tmpl.am_methods = true;
        tmpl.missing_zero = true;
        for (name, text) in [("default.tmpl", DEFAULT_TMPL), ("email.tmpl", EMAIL_TMPL)] {
            tmpl = tmpl.with_name(name);
            tmpl.parse(text)?;
        }
        for (name, text) in user_texts {
            let base = name.rsplit('/').next().unwrap_or(name);
            tmpl = tmpl.with_name(base);
            tmpl.parse(text)?;
        }
        Ok(Templates { tmpl: tmpl.with_name("") })
    }

    /// The underlying template set (to look up or execute a named template).
    pub fn template(&self) -> &Template {
        &self.tmpl
    }

    /// Executes a text like Alertmanager's `tmpl.ExecuteTextString(text, data)`
    /// (`{{ template "slack.default.title" . }}` etc.): an empty text is "",
    /// errors name the template `""` as Alertmanager's do.
    pub fn execute_text(&self, text: &str, data: &Value) -> Result<String, Error> {
        if text.is_empty() {
            return Ok(String::new());
        }
        let mut t = self.tmpl.with_name("");
        t.parse(text)?;
        t.run("", data, false)
    }

    /// Same, escaping action output like html/template
    /// (`ExecuteHTMLString`, e-mail bodies): text and attribute values are
    /// HTML-escaped, URLs in `href`/`src` are normalized (and unsafe schemes
    /// replaced by `#ZgotmplZ`); `safeHtml` output is not escaped.
    pub fn execute_html(&self, text: &str, data: &Value) -> Result<String, Error> {
        if text.is_empty() {
            return Ok(String::new());
        }
        let mut t = self.tmpl.with_name("");
        t.parse(text)?;
        Ok(crate::html::strip_comments(&t.run("", data, true)?))
    }
}

/// One alert of the notification data (`template.Alert`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertData {
    /// "firing" or "resolved".
    pub status: String,
    /// The alert's labels.
    pub labels: BTreeMap<String, String>,
    /// The alert's annotations.
    pub annotations: BTreeMap<String, String>,
    /// Start time, RFC 3339 (`2023-03-01T10:00:00.123Z`).
    pub starts_at: String,
    /// End time, RFC 3339; `0001-01-01T00:00:00Z` (or "") when unset.
    pub ends_at: String,
    /// The alert's generator URL.
    pub generator_url: String,
    /// The alert's fingerprint (16 hex digits).
    pub fingerprint: String,
}

fn kv(m: &BTreeMap<String, String>) -> Value {
    Value::Map(m.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

fn common(maps: &[&BTreeMap<String, String>]) -> BTreeMap<String, String> {
    let Some((first, rest)) = maps.split_first() else {
        return BTreeMap::new();
    };
    first
        .iter()
        .filter(|(k, v)| rest.iter().all(|m| m.get(*k) == Some(*v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Go's `regexp.QuoteMeta`, which Alertmanager applies to the receiver name.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The notification data (`template.Data`) as templates see it, with Go's
/// field names. Like Alertmanager's `tmpl.Data`, the receiver is
/// `regexp.QuoteMeta`'d. An empty `status` becomes "firing" when any alert
/// fires, else "resolved"; empty `common_labels`/`common_annotations` are
/// computed from the alerts (the label pairs all alerts share), which is
/// what Alertmanager passes, so passing them empty is always correct.
/// Times are converted to Go's `time.Time` printing ([`go_time`]).
pub fn data(
    receiver: &str,
    status: &str,
    alerts: &[AlertData],
    group_labels: &BTreeMap<String, String>,
    common_labels: &BTreeMap<String, String>,
    common_annotations: &BTreeMap<String, String>,
    external_url: &str,
) -> Value {
    let status = if !status.is_empty() {
        status.to_string()
    } else if alerts.iter().any(|a| a.status == "firing") {
        "firing".to_string()
    } else {
        "resolved".to_string()
    };
    let cl = if common_labels.is_empty() {
        common(&alerts.iter().map(|a| &a.labels).collect::<Vec<_>>())
    } else {
        common_labels.clone()
    };
    let ca = if common_annotations.is_empty() {
        common(&alerts.iter().map(|a| &a.annotations).collect::<Vec<_>>())
    } else {
        common_annotations.clone()
    };
    let alert = |a: &AlertData| {
        Value::Map(BTreeMap::from([
            ("Status".to_string(), Value::String(a.status.clone())),
            ("Labels".to_string(), kv(&a.labels)),
            ("Annotations".to_string(), kv(&a.annotations)),
            ("StartsAt".to_string(), Value::String(go_time(&a.starts_at))),
            ("EndsAt".to_string(), Value::String(go_time(&a.ends_at))),
            ("GeneratorURL".to_string(), Value::String(a.generator_url.clone())),
            ("Fingerprint".to_string(), Value::String(a.fingerprint.clone())),
        ]))
    };
    Value::Map(BTreeMap::from([
        ("Receiver".to_string(), Value::String(quote_meta(receiver))),
        ("Status".to_string(), Value::String(status)),
        ("Alerts".to_string(), Value::List(alerts.iter().map(alert).collect())),
        ("GroupLabels".to_string(), kv(group_labels)),
        ("CommonLabels".to_string(), kv(&cl)),
        ("CommonAnnotations".to_string(), kv(&ca)),
        ("ExternalURL".to_string(), Value::String(external_url.to_string())),
    ]))
}

/// Alertmanager 0.25's `DefaultFuncs`.
pub fn functions() -> Vec<(String, Func)> {
    let v: Vec<(&str, Func)> = vec![
        ("toUpper", Arc::new(|a: &[Value]| str1("toUpper", a, to_upper))),
        ("toLower", Arc::new(|a: &[Value]| str1("toLower", a, to_lower))),
        ("title", Arc::new(|a: &[Value]| str1("title", a, title))),
        (
            "join",
            Arc::new(|a: &[Value]| {
                want_args("join", a, 2)?;
                let sep = arg_str(a, 0)?;
                let items = string_slice(a, 1)?;
                Ok(Value::String(items.join(sep)))
            }),
        ),
        (
            "match",
            Arc::new(|a: &[Value]| {
                want_args("match", a, 2)?;
                let re = crate::prometheus::compile_unanchored(arg_str(a, 0)?)?;
                Ok(Value::Bool(re.is_match(arg_str(a, 1)?)))
            }),
        ),
        ("safeHtml", Arc::new(|a: &[Value]| str1("safeHtml", a, str::to_string))),
        (
            "reReplaceAll",
            Arc::new(|a: &[Value]| {
                want_args("reReplaceAll", a, 3)?;
                let re = crate::prometheus::compile(arg_str(a, 0)?)?;
                Ok(Value::String(re.replace_all(arg_str(a, 2)?, arg_str(a, 1)?).into_owned()))
            }),
        ),
        (
            "stringSlice",
            Arc::new(|a: &[Value]| {
                for i in 0..a.len() {
                    arg_str(a, i)?;
                }
                Ok(Value::List(a.to_vec()))
            }),
        ),
    ];
    v.into_iter().map(|(n, f)| (n.to_string(), f)).collect()
}

fn str1(name: &str, a: &[Value], f: impl Fn(&str) -> String) -> Result<Value, Error> {
    want_args(name, a, 1)?;
    Ok(Value::String(f(arg_str(a, 0)?)))
}

/// Argument `i` as a Go `[]string`.
fn string_slice(a: &[Value], i: usize) -> Result<Vec<&str>, Error> {
    match a.get(i) {
        Some(Value::List(l)) => l
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.as_str()),
                other => Err(arg_type_error(i, "[]string", other)),
            })
            .collect(),
        Some(Value::Nil) => Ok(Vec::new()),
        Some(other) => Err(arg_type_error(i, "[]string", other)),
        None => Err(Error("wrong number of args".into())),
    }
}

/// A data method: receiver and arguments to result.
pub(crate) type Method = fn(&Value, &[Value]) -> Result<Value, Error>;

fn is_kv(m: &BTreeMap<String, Value>) -> bool {
    m.values().all(|v| matches!(v, Value::String(_)))
}

fn is_pair(v: &Value) -> bool {
    matches!(v, Value::Map(m) if m.len() == 2 && matches!(m.get("Name"), Some(Value::String(_))) && matches!(m.get("Value"), Some(Value::String(_))))
}

/// Alertmanager's methods on its data types, looked up by receiver shape
/// and name (Go resolves methods before fields and map keys).
pub(crate) fn method(recv: &Value, name: &str) -> Option<Method> {
    match recv {
        Value::List(l) => match name {
            "Firing" | "Resolved" if l.iter().all(|a| matches!(a, Value::Map(m) if m.contains_key("Status"))) => {
                Some(if name == "Firing" {
                    |r, a| alerts_with(r, a, "firing")
                } else {
                    |r, a| alerts_with(r, a, "resolved")
                })
            }
            "Names" if l.iter().all(is_pair) => Some(|r, a| pairs_field(r, a, "Name")),
            "Values" if l.iter().all(is_pair) => Some(|r, a| pairs_field(r, a, "Value")),
            _ => None,
        },
        Value::Map(m) if is_kv(m) => match name {
            "SortedPairs" => Some(|r, a| {
                want_args("SortedPairs", a, 0)?;
                Ok(Value::List(sorted_pairs(r)))
            }),
            "Names" => Some(|r, a| pairs_field(&Value::List(sorted_pairs(r)), a, "Name")),
            "Values" => Some(|r, a| pairs_field(&Value::List(sorted_pairs(r)), a, "Value")),
            "Remove" => Some(|r, a| {
                want_args("Remove", a, 1)?;
                let keys = string_slice(a, 0)?;
                let Value::Map(m) = r else { return Ok(Value::Nil) };
                Ok(Value::Map(
                    m.iter()
                        .filter(|(k, _)| !keys.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ))
            }),
            _ => None,
        },
        Value::String(s) if parse_time(s).is_some() => time_method(name),
        _ => None,
    }
}

fn alerts_with(recv: &Value, args: &[Value], status: &str) -> Result<Value, Error> {
    want_args(if status == "firing" { "Firing" } else { "Resolved" }, args, 0)?;
    let Value::List(l) = recv else { return Ok(Value::List(Vec::new())) };
    Ok(Value::List(
        l.iter()
            .filter(|a| matches!(a, Value::Map(m) if m.get("Status") == Some(&Value::String(status.to_string()))))
            .cloned()
            .collect(),
    ))
}

/// KV.SortedPairs: by name, but `alertname` first.
fn sorted_pairs(recv: &Value) -> Vec<Value> {
    let Value::Map(m) = recv else { return Vec::new() };
    let pair = |k: &String, v: &Value| {
        Value::Map(BTreeMap::from([("Name".to_string(), Value::String(k.clone())), ("Value".to_string(), v.clone())]))
    };
    let mut out = Vec::with_capacity(m.len());
    if let Some(v) = m.get("alertname") {
        out.push(pair(&"alertname".to_string(), v));
    }
    out.extend(m.iter().filter(|(k, _)| k.as_str() != "alertname").map(|(k, v)| pair(k, v)));
    out
}

fn pairs_field(recv: &Value, args: &[Value], field: &str) -> Result<Value, Error> {
    want_args(if field == "Name" { "Names" } else { "Values" }, args, 0)?;
    let Value::List(l) = recv else { return Ok(Value::List(Vec::new())) };
    Ok(Value::List(
        l.iter()
            .map(|p| match p {
                Value::Map(m) => m.get(field).cloned().unwrap_or_default(),
                _ => Value::Nil,
            })
            .collect(),
    ))
}

/// A time as (seconds since the epoch, nanoseconds, offset seconds, zone name).
#[derive(Debug, Clone, PartialEq)]
struct GoTime {
    secs: i64,
    nanos: i64,
    offset: i64,
    zone: String,
}

/// Parses RFC 3339 (`2023-03-01T10:00:00.5Z`, `...+02:00`).
fn parse_rfc3339(s: &str) -> Option<GoTime> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (y, mo, d, h, mi, sec) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = s.get(start..i)?;
        let mut f: String = frac.chars().take(9).collect();
        while f.len() < 9 {
            f.push('0');
        }
        nanos = f.parse().ok()?;
    }
    let tz = s.get(i..)?;
    let offset = match tz {
        "Z" | "z" => 0,
        _ => {
            let sign = match tz.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let oh: i64 = tz.get(1..3)?.parse().ok()?;
            let om: i64 = tz.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    let zone = if offset == 0 { "UTC".to_string() } else { fmt_offset(offset, false) };
    Some(GoTime { secs, nanos, offset, zone })
}

/// Parses Go's `time.Time.String()` output (as produced by [`go_time`]).
fn parse_go_time(s: &str) -> Option<GoTime> {
    // "2006-01-02 15:04:05.999999999 -0700 MST"
    let mut parts = s.split(' ');
    let (date, clock, off, zone) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || off.len() != 5 {
        return None;
    }
    let rfc = format!("{date}T{clock}{}:{}", off.get(0..3)?, off.get(3..5)?);
    let mut t = parse_rfc3339(&rfc)?;
    t.zone = zone.to_string();
    Some(t)
}

/// A time value: Go's printing (what [`data`] stores) or RFC 3339.
fn parse_time(s: &str) -> Option<GoTime> {
    parse_go_time(s).or_else(|| parse_rfc3339(s))
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn fmt_offset(offset: i64, colon: bool) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.abs();
    if colon {
        format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
    } else {
        format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
    }
}

/// An RFC 3339 time as Go prints a `time.Time` (`2006-01-02 15:04:05.999999999
/// -0700 MST`, UTC as `+0000 UTC`); "" is Go's zero time. Other strings are
/// kept as they are.
pub fn go_time(rfc3339: &str) -> String {
    if rfc3339.is_empty() {
        return "0001-01-01 00:00:00 +0000 UTC".to_string();
    }
    match parse_rfc3339(rfc3339) {
        Some(t) => layout(&t, "2006-01-02 15:04:05.999999999 -0700 MST"),
        None => rfc3339.to_string(),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Go's `time.Time.Format` for the layout elements in common use.
fn layout(t: &GoTime, layout: &str) -> String {
    let local = t.secs + t.offset;
    let days = local.div_euclid(86400);
    let rem = local.rem_euclid(86400);
    let (y, mo, d) = crate::prometheus::civil_from_days(days);
    let (h, mi, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let wd = (days + 4).rem_euclid(7) as usize;
    let yday = days - days_from_civil(y, 1, 1) + 1;
    let month = MONTHS.get((mo - 1) as usize).copied().unwrap_or("");
    let day = DAYS.get(wd).copied().unwrap_or("");
    const TOKENS: [&str; 36] = [
        "January",
        "Jan",
        "Monday",
        "Mon",
        "MST",
        "2006",
        "-07:00:00",
        "-070000",
        "-07:00",
        "-0700",
        "-07",
        "Z07:00:00",
        "Z070000",
        "Z07:00",
        "Z0700",
        "Z07",
        "01",
        "02",
        "_2",
        "002",
        "06",
        "15",
        "03",
        "04",
        "05",
        "PM",
        "pm",
        "1",
        "2",
        "3",
        "4",
        "5",
        ".000",
        ".999",
        ",000",
        ",999",
    ];
    let mut out = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for tok in TOKENS {
            if !rest.starts_with(tok) {
                continue;
            }
            // Fractional seconds: a run of 0s or 9s after '.' or ','.
            if tok.starts_with('.') || tok.starts_with(',') {
                let digit = tok.as_bytes().get(1).copied().unwrap_or(b'0');
                let n = 1 + rest.bytes().skip(1).take_while(|&c| c == digit).count();
                // Go requires the run not be followed by another digit.
                if rest.as_bytes().get(n).is_some_and(u8::is_ascii_digit) {
                    continue;
                }
                let digits = n - 1;
                let frac = format!("{:09}", t.nanos);
                let mut f = frac.get(..digits.min(9)).unwrap_or("").to_string();
                if digit == b'9' {
                    while f.ends_with('0') {
                        f.pop();
                    }
                    if !f.is_empty() {
                        out.push_str(rest.get(..1).unwrap_or("."));
                        out.push_str(&f);
                    }
                } else {
                    out.push_str(rest.get(..1).unwrap_or("."));
                    out.push_str(&f);
                }
                rest = rest.get(n..).unwrap_or("");
                continue 'outer;
            }
            let utc_z = t.offset == 0;
            let piece = match tok {
                "January" => month.to_string(),
                "Jan" => month.get(..3).unwrap_or("").to_string(),
                "Monday" => day.to_string(),
                "Mon" => day.get(..3).unwrap_or("").to_string(),
                "MST" => t.zone.clone(),
                "2006" => format!("{y:04}"),
                "06" => format!("{:02}", y.rem_euclid(100)),
                "01" => format!("{mo:02}"),
                "1" => mo.to_string(),
                "02" => format!("{d:02}"),
                "_2" => format!("{d:>2}"),
                "2" => d.to_string(),
                "002" => format!("{yday:03}"),
                "15" => format!("{h:02}"),
                "03" => format!("{:02}", if h % 12 == 0 { 12 } else { h % 12 }),
                "3" => (if h % 12 == 0 { 12 } else { h % 12 }).to_string(),
                "04" => format!("{mi:02}"),
                "4" => mi.to_string(),
                "05" => format!("{s:02}"),
                "5" => s.to_string(),
                "PM" => (if h >= 12 { "PM" } else { "AM" }).to_string(),
                "pm" => (if h >= 12 { "pm" } else { "am" }).to_string(),
                "-0700" | "-070000" => fmt_offset(t.offset, false),
                "-07:00" | "-07:00:00" => fmt_offset(t.offset, true),
                "-07" => fmt_offset(t.offset, false).get(..3).unwrap_or("").to_string(),
                "Z0700" | "Z070000" if utc_z => "Z".to_string(),
                "Z0700" | "Z070000" => fmt_offset(t.offset, false),
                "Z07:00" | "Z07:00:00" if utc_z => "Z".to_string(),
                "Z07:00" | "Z07:00:00" => fmt_offset(t.offset, true),
                "Z07" if utc_z => "Z".to_string(),
                "Z07" => fmt_offset(t.offset, false).get(..3).unwrap_or("").to_string(),
                _ => tok.to_string(),
            };
            out.push_str(&piece);
            rest = rest.get(tok.len()..).unwrap_or("");
            continue 'outer;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    out
}

/// `time.Time` methods templates call.
fn time_method(name: &str) -> Option<Method> {
    fn t(v: &Value) -> Result<GoTime, Error> {
        match v {
            Value::String(s) => parse_time(s).ok_or_else(|| Error("not a time".into())),
            _ => Err(Error("not a time".into())),
        }
    }
    fn civil(r: &Value) -> Result<(i64, i64, i64), Error> {
        let x = t(r)?;
        Ok(crate::prometheus::civil_from_days((x.secs + x.offset).div_euclid(86400)))
    }
    Some(match name {
        "Format" => |r, a| {
            want_args("Format", a, 1)?;
            Ok(Value::String(layout(&t(r)?, arg_str(a, 0)?)))
        },
        "String" => |r, a| {
            want_args("String", a, 0)?;
            Ok(r.clone())
        },
        "Unix" => |r, a| {
            want_args("Unix", a, 0)?;
            Ok(Value::Int(t(r)?.secs))
        },
        "UnixMilli" => |r, a| {
            want_args("UnixMilli", a, 0)?;
            let x = t(r)?;
            Ok(Value::Int(x.secs * 1000 + x.nanos / 1_000_000))
        },
        "UnixNano" => |r, a| {
            want_args("UnixNano", a, 0)?;
            let x = t(r)?;
            Ok(Value::Int(x.secs.saturating_mul(1_000_000_000).saturating_add(x.nanos)))
        },
        "IsZero" => |r, a| {
            want_args("IsZero", a, 0)?;
            let x = t(r)?;
            Ok(Value::Bool(x.secs == days_from_civil(1, 1, 1) * 86400 && x.nanos == 0))
        },
        "UTC" | "Local" => |r, a| {
            want_args("UTC", a, 0)?;
            let mut x = t(r)?;
            x.offset = 0;
            x.zone = "UTC".into();
            Ok(Value::String(layout(&x, "2006-01-02 15:04:05.999999999 -0700 MST")))
        },
        "Year" => |r, _| Ok(Value::Int(civil(r)?.0)),
        "Day" => |r, _| Ok(Value::Int(civil(r)?.2)),
        "Month" => |r, _| Ok(Value::String(MONTHS.get((civil(r)?.1 - 1) as usize).copied().unwrap_or("").to_string())),
        _ => return None,
    })
}
