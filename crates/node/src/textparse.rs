//! A port of client_golang's `expfmt.TextParser` (prometheus/common 0.3x), the
//! parser node_exporter 1.5's textfile collector runs on each `*.prom` file.
//!
//! It is stricter than Prometheus' scrape parser (argus-model's `Parser`), and
//! textfiles must be judged as node_exporter judges them: the last line must
//! end in a line feed ("unexpected end of input stream"), a second `# HELP` or
//! `# TYPE` for a family, or a `# TYPE` after its samples, is an error, a space
//! after the value is read as a missing timestamp, label values must be valid
//! UTF-8, and `_sum`/`_count`/`_bucket` lines join a summary or histogram
//! declared before them. Error messages are expfmt's, with its line numbers.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::HashMap;

/// A family's type as a `# TYPE` line declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextType {
    Counter,
    Gauge,
    Summary,
    Untyped,
    Histogram,
    /// Accepted on a `# TYPE` line but rejected once a sample arrives.
    GaugeHistogram,
}

/// A parsed metric's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParsedValue {
    Single(f64),
    Summary { count: u64, sum: f64, quantiles: Vec<(f64, f64)> },
    Histogram { count: u64, sum: f64, buckets: Vec<(f64, u64)> },
}

/// One metric of a family: its labels in written order (without `quantile`
/// or `le` for summaries and histograms), value and optional timestamp.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedMetric {
    pub labels: Vec<(String, String)>,
    pub value: ParsedValue,
    pub timestamp_ms: Option<i64>,
}

/// A parsed family; `kind` is `None` only if no `# TYPE` and no sample was seen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedFamily {
    pub name: String,
    pub help: Option<String>,
    pub kind: Option<TextType>,
    pub metrics: Vec<ParsedMetric>,
}

/// Parses a whole text-format body; families without samples are dropped.
///
/// The error reads as expfmt's: `text format parsing error in line N: ...`.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<ParsedFamily>, String> {
    let mut p = TextParser::new(body);
    let mut state = State::StartOfLine;
    loop {
        let next = match state {
            State::Done => break,
            State::StartOfLine => p.start_of_line(),
            State::StartComment => p.start_comment(),
            State::ReadingHelp => p.reading_help(),
            State::ReadingType => p.reading_type(),
            State::ReadingMetricName => p.reading_metric_name(),
            State::ReadingLabels => p.reading_labels(),
            State::StartLabelName => p.start_label_name(),
            State::StartLabelValue => p.start_label_value(),
            State::ReadingValue => p.reading_value(),
            State::StartTimestamp => p.start_timestamp(),
        };
        state = match next {
            Ok(s) => s,
            Err(Stop::Eof) => return Err(p.error_text("unexpected end of input stream")),
            Err(Stop::Error(msg)) => return Err(p.error_text(&msg)),
        };
    }
    let mut families = p.families;
    families.retain(|f| !f.metrics.is_empty());
    Ok(families)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Done,
    StartOfLine,
    StartComment,
    ReadingHelp,
    ReadingType,
    ReadingMetricName,
    ReadingLabels,
    StartLabelName,
    StartLabelValue,
    ReadingValue,
    StartTimestamp,
}

/// Why parsing stopped early: end of input (an error except at a line start)
/// or a syntax error.
#[derive(Debug)]
enum Stop {
    Eof,
    Error(String),
}

type Step<T> = Result<T, Stop>;

fn fail<T>(msg: String) -> Step<T> {
    Err(Stop::Error(msg))
}

struct TextParser<'a> {
    buf: &'a [u8],
    pos: usize,
    cur: u8,
    line: usize,
    token: Vec<u8>,
    families: Vec<ParsedFamily>,
    by_name: HashMap<String, usize>,
    fam: usize,
    is_count: bool,
    is_sum: bool,
    /// Labels of the metric being read (pairs whose value is still to come
    /// are completed in `start_label_value`).
    labels: Vec<(String, String)>,
    /// Whether the label name just read went into `labels`.
    label_pushed: bool,
    label_name: String,
    /// Summary/histogram identity: the labels without `quantile`/`le`.
    signature: Vec<(String, String)>,
    quantile: f64,
    bucket: f64,
    grouped: HashMap<(usize, Vec<(String, String)>), usize>,
    metric: usize,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_metric_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_metric_name_continuation(b: u8) -> bool {
    is_metric_name_start(b) || b.is_ascii_digit()
}

fn is_label_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_label_name_continuation(b: u8) -> bool {
    is_label_name_start(b) || b.is_ascii_digit()
}

/// Go's `%q` of a byte (`'x'`), close enough for error messages.
fn quote_byte(b: u8) -> String {
    format!("{:?}", b as char)
}

/// Go's `%q` of a string that may hold invalid UTF-8 (shown as `\xNN`).
fn go_quote(bytes: &[u8]) -> String {
    argus_model::exposition::go_quote(bytes)
}

impl<'a> TextParser<'a> {
    fn new(buf: &'a [u8]) -> Self {
        TextParser {
            buf,
            pos: 0,
            cur: 0,
            line: 0,
            token: Vec::new(),
            families: Vec::new(),
            by_name: HashMap::new(),
            fam: 0,
            is_count: false,
            is_sum: false,
            labels: Vec::new(),
            label_pushed: false,
            label_name: String::new(),
            signature: Vec::new(),
            quantile: f64::NAN,
            bucket: f64::NAN,
            grouped: HashMap::new(),
            metric: 0,
        }
    }

    fn error_text(&self, msg: &str) -> String {
        format!("text format parsing error in line {}: {msg}", self.line)
    }

    fn read_byte(&mut self) -> Step<()> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.cur = b;
                self.pos += 1;
                Ok(())
            }
            None => Err(Stop::Eof),
        }
    }

    fn token_string(&self) -> String {
        String::from_utf8_lossy(&self.token).into_owned()
    }

    fn family(&mut self) -> Step<&mut ParsedFamily> {
        self.families.get_mut(self.fam).ok_or_else(|| Stop::Error("internal error: no current family".into()))
    }

    fn kind(&self) -> Option<TextType> {
        self.families.get(self.fam).and_then(|f| f.kind)
    }

    fn family_name(&self) -> String {
        self.families.get(self.fam).map(|f| f.name.clone()).unwrap_or_default()
    }

    fn skip_blank_tab(&mut self) -> Step<()> {
        loop {
            self.read_byte()?;
            if !is_blank(self.cur) {
                return Ok(());
            }
        }
    }

    fn skip_blank_tab_if_current_blank_tab(&mut self) -> Step<()> {
        if is_blank(self.cur) { self.skip_blank_tab() } else { Ok(()) }
    }

    fn read_token_until_whitespace(&mut self) -> Step<()> {
        self.token.clear();
        while !is_blank(self.cur) && self.cur != b'\n' {
            self.token.push(self.cur);
            self.read_byte()?;
        }
        Ok(())
    }

    fn read_token_until_newline(&mut self, escapes: bool) -> Step<()> {
        self.token.clear();
        let mut escaped = false;
        loop {
            if escapes && escaped {
                match self.cur {
                    b'\\' => self.token.push(b'\\'),
                    b'n' => self.token.push(b'\n'),
                    c => return fail(format!("invalid escape sequence '\\{}'", c as char)),
                }
                escaped = false;
            } else {
                match self.cur {
                    b'\n' => return Ok(()),
                    b'\\' if escapes => escaped = true,
                    c => self.token.push(c),
                }
            }
            self.read_byte()?;
        }
    }

    fn read_token_as_metric_name(&mut self) -> Step<()> {
        self.token.clear();
        if !is_metric_name_start(self.cur) {
            return Ok(());
        }
        loop {
            self.token.push(self.cur);
            self.read_byte()?;
            if !is_metric_name_continuation(self.cur) {
                return Ok(());
            }
        }
    }

    fn read_token_as_label_name(&mut self) -> Step<()> {
        self.token.clear();
        if !is_label_name_start(self.cur) {
            return Ok(());
        }
        loop {
            self.token.push(self.cur);
            self.read_byte()?;
            if !is_label_name_continuation(self.cur) {
                return Ok(());
            }
        }
    }

    fn read_token_as_label_value(&mut self) -> Step<()> {
        self.token.clear();
        let mut escaped = false;
        loop {
            self.read_byte()?;
            if escaped {
                match self.cur {
                    b'"' | b'\\' => self.token.push(self.cur),
                    b'n' => self.token.push(b'\n'),
                    c => return fail(format!("invalid escape sequence '\\{}'", c as char)),
                }
                escaped = false;
                continue;
            }
            match self.cur {
                b'"' => return Ok(()),
                b'\n' => {
                    return fail(format!("label value {} contains unescaped new-line", go_quote(&self.token)));
                }
                b'\\' => escaped = true,
                c => self.token.push(c),
            }
        }
    }

    fn set_or_create_current_mf(&mut self) {
        self.is_count = false;
        self.is_sum = false;
        let name = self.token_string();
        if let Some(&i) = self.by_name.get(&name) {
            self.fam = i;
            return;
        }
        let is_count = name.ends_with("_count");
        let is_sum = name.ends_with("_sum");
        let base = name.strip_suffix("_count").or_else(|| name.strip_suffix("_sum"));
        if let Some(&i) = base.and_then(|b| self.by_name.get(b))
            && self.families.get(i).and_then(|f| f.kind) == Some(TextType::Summary)
        {
            (self.fam, self.is_count, self.is_sum) = (i, is_count, is_sum);
            return;
        }
        let base = base.or_else(|| name.strip_suffix("_bucket"));
        if let Some(&i) = base.and_then(|b| self.by_name.get(b))
            && self.families.get(i).and_then(|f| f.kind) == Some(TextType::Histogram)
        {
            (self.fam, self.is_count, self.is_sum) = (i, is_count, is_sum);
            return;
        }
        self.fam = self.families.len();
        self.by_name.insert(name.clone(), self.fam);
        self.families.push(ParsedFamily { name, help: None, kind: None, metrics: Vec::new() });
    }

    fn start_of_line(&mut self) -> Step<State> {
        self.line += 1;
        match self.skip_blank_tab() {
            Ok(()) => {}
            // The only place where the end of input is not an error.
            Err(Stop::Eof) => return Ok(State::Done),
            Err(e) => return Err(e),
        }
        Ok(match self.cur {
            b'#' => State::StartComment,
            b'\n' => State::StartOfLine,
            _ => State::ReadingMetricName,
        })
    }

    fn start_comment(&mut self) -> Step<State> {
        self.skip_blank_tab()?;
        if self.cur == b'\n' {
            return Ok(State::StartOfLine);
        }
        self.read_token_until_whitespace()?;
        if self.cur == b'\n' {
            return Ok(State::StartOfLine);
        }
        let keyword = self.token_string();
        if keyword != "HELP" && keyword != "TYPE" {
            while self.cur != b'\n' {
                self.read_byte()?;
            }
            return Ok(State::StartOfLine);
        }
        self.skip_blank_tab()?;
        self.read_token_as_metric_name()?;
        if self.cur == b'\n' {
            return Ok(State::StartOfLine);
        }
        if !is_blank(self.cur) {
            return fail("invalid metric name in comment".into());
        }
        self.set_or_create_current_mf();
        self.skip_blank_tab()?;
        if self.cur == b'\n' {
            return Ok(State::StartOfLine);
        }
        Ok(if keyword == "HELP" { State::ReadingHelp } else { State::ReadingType })
    }

    fn reading_help(&mut self) -> Step<State> {
        if self.family()?.help.is_some() {
            return fail(format!("second HELP line for metric name {:?}", self.family_name()));
        }
        self.read_token_until_newline(true)?;
        let help = self.token_string();
        self.family()?.help = Some(help);
        Ok(State::StartOfLine)
    }

    fn reading_type(&mut self) -> Step<State> {
        if self.kind().is_some() {
            return fail(format!(
                "second TYPE line for metric name {:?}, or TYPE reported after samples",
                self.family_name()
            ));
        }
        self.read_token_until_newline(false)?;
        let word = self.token_string();
        let kind = match word.to_uppercase().as_str() {
            "COUNTER" => TextType::Counter,
            "GAUGE" => TextType::Gauge,
            "SUMMARY" => TextType::Summary,
            "UNTYPED" => TextType::Untyped,
            "HISTOGRAM" => TextType::Histogram,
            "GAUGE_HISTOGRAM" => TextType::GaugeHistogram,
            _ => return fail(format!("unknown metric type {}", go_quote(&self.token))),
        };
        self.family()?.kind = Some(kind);
        Ok(State::StartOfLine)
    }

    fn reading_metric_name(&mut self) -> Step<State> {
        self.read_token_as_metric_name()?;
        if self.token.is_empty() {
            return fail("invalid metric name".into());
        }
        self.set_or_create_current_mf();
        let family = self.family()?;
        if family.kind.is_none() {
            family.kind = Some(TextType::Untyped);
        }
        self.labels.clear();
        self.skip_blank_tab_if_current_blank_tab()?;
        Ok(State::ReadingLabels)
    }

    fn reading_labels(&mut self) -> Step<State> {
        if matches!(self.kind(), Some(TextType::Summary | TextType::Histogram)) {
            self.signature.clear();
            self.quantile = f64::NAN;
            self.bucket = f64::NAN;
        }
        Ok(if self.cur == b'{' { State::StartLabelName } else { State::ReadingValue })
    }

    fn start_label_name(&mut self) -> Step<State> {
        self.skip_blank_tab()?;
        if self.cur == b'}' {
            self.skip_blank_tab()?;
            return Ok(State::ReadingValue);
        }
        self.read_token_as_label_name()?;
        if self.token.is_empty() {
            return fail(format!("invalid label name for metric {:?}", self.family_name()));
        }
        let name = self.token_string();
        if name == "__name__" {
            return fail("label name \"__name__\" is reserved".into());
        }
        let kind = self.kind();
        let special = (kind == Some(TextType::Summary) && name == "quantile")
            || (kind == Some(TextType::Histogram) && name == "le");
        self.label_pushed = !special;
        if !special {
            if self.labels.iter().any(|(n, _)| *n == name) {
                return fail(format!("duplicate label names for metric {:?}", self.family_name()));
            }
            self.labels.push((name.clone(), String::new()));
        }
        self.label_name = name;
        self.skip_blank_tab_if_current_blank_tab()?;
        if self.cur != b'=' {
            return fail(format!("expected '=' after label name, found {}", quote_byte(self.cur)));
        }
        Ok(State::StartLabelValue)
    }

    fn start_label_value(&mut self) -> Step<State> {
        self.skip_blank_tab()?;
        if self.cur != b'"' {
            return fail(format!("expected '\"' at start of label value, found {}", quote_byte(self.cur)));
        }
        self.read_token_as_label_value()?;
        let Ok(value) = String::from_utf8(self.token.clone()) else {
            return fail(format!("invalid label value {}", go_quote(&self.token)));
        };
        if self.label_pushed
            && let Some(last) = self.labels.last_mut()
        {
            last.1 = value.clone();
        }
        let kind = self.kind();
        for (special_kind, special_name) in [(TextType::Summary, "quantile"), (TextType::Histogram, "le")] {
            if kind != Some(special_kind) {
                continue;
            }
            if self.label_name == special_name {
                let Ok(v) = parse_float(&value) else {
                    return fail(format!(
                        "expected float as value for '{special_name}' label, got {}",
                        go_quote(value.as_bytes())
                    ));
                };
                if special_kind == TextType::Summary { self.quantile = v } else { self.bucket = v }
            } else {
                self.signature.retain(|(n, _)| *n != self.label_name);
                self.signature.push((self.label_name.clone(), value.clone()));
            }
        }
        self.skip_blank_tab()?;
        match self.cur {
            b',' => Ok(State::StartLabelName),
            b'}' => {
                self.skip_blank_tab()?;
                Ok(State::ReadingValue)
            }
            _ => fail(format!("unexpected end of label value {}", go_quote(value.as_bytes()))),
        }
    }

    fn reading_value(&mut self) -> Step<State> {
        let fam = self.fam;
        let kind = self.kind();
        let grouped = matches!(kind, Some(TextType::Summary | TextType::Histogram));
        let key = if grouped {
            let mut sig = self.signature.clone();
            sig.sort();
            Some((fam, sig))
        } else {
            None
        };
        match key.as_ref().and_then(|k| self.grouped.get(k)) {
            Some(&i) => self.metric = i,
            None => {
                let value = match kind {
                    Some(TextType::Summary) => ParsedValue::Summary { count: 0, sum: 0.0, quantiles: Vec::new() },
                    Some(TextType::Histogram) => ParsedValue::Histogram { count: 0, sum: 0.0, buckets: Vec::new() },
                    _ => ParsedValue::Single(0.0),
                };
                let labels = std::mem::take(&mut self.labels);
                let family = self.family()?;
                family.metrics.push(ParsedMetric { labels, value, timestamp_ms: None });
                self.metric = family.metrics.len() - 1;
                if let Some(k) = key {
                    self.grouped.insert(k, self.metric);
                }
            }
        }
        self.read_token_until_whitespace()?;
        let token = self.token_string();
        let Ok(v) = parse_float(&token) else {
            return fail(format!("expected float as value, got {}", go_quote(&self.token)));
        };
        let (is_count, is_sum, quantile, bucket) = (self.is_count, self.is_sum, self.quantile, self.bucket);
        let name = self.family_name();
        let metric = self.current_metric()?;
        match (&mut metric.value, kind) {
            (ParsedValue::Single(slot), Some(TextType::Counter | TextType::Gauge | TextType::Untyped)) => *slot = v,
            (ParsedValue::Summary { count, sum, quantiles }, _) => {
                if is_count {
                    *count = v as u64;
                } else if is_sum {
                    *sum = v;
                } else if !quantile.is_nan() {
                    quantiles.push((quantile, v));
                }
            }
            (ParsedValue::Histogram { count, sum, buckets }, _) => {
                if is_count {
                    *count = v as u64;
                } else if is_sum {
                    *sum = v;
                } else if !bucket.is_nan() {
                    buckets.push((bucket, v as u64));
                }
            }
            _ => return fail(format!("unexpected type for metric name {name:?}")),
        }
        Ok(if self.cur == b'\n' { State::StartOfLine } else { State::StartTimestamp })
    }

    fn current_metric(&mut self) -> Step<&mut ParsedMetric> {
        let i = self.metric;
        self.family()?.metrics.get_mut(i).ok_or_else(|| Stop::Error("internal error: no current metric".into()))
    }

    fn start_timestamp(&mut self) -> Step<State> {
        self.skip_blank_tab()?;
        self.read_token_until_whitespace()?;
        let token = self.token_string();
        let Ok(ts) = token.parse::<i64>() else {
            return fail(format!("expected integer as timestamp, got {}", go_quote(&self.token)));
        };
        self.current_metric()?.timestamp_ms = Some(ts);
        self.read_token_until_newline(false)?;
        if !self.token.is_empty() {
            return fail(format!("spurious string after timestamp: {}", go_quote(&self.token)));
        }
        Ok(State::StartOfLine)
    }
}

/// expfmt's `parseFloat`: Go's `strconv.ParseFloat` without hex floats or
/// underscores. Go accepts `Inf`/`Infinity` with a sign and `NaN` without one,
/// in any case, and rejects decimals that overflow.
pub(crate) fn parse_float(s: &str) -> Result<f64, ()> {
    if s.contains(['p', 'P', '_']) {
        return Err(());
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if lower == "nan" {
        return if unsigned.len() == s.len() { Ok(f64::NAN) } else { Err(()) };
    }
    if lower == "inf" || lower == "infinity" {
        return Ok(if s.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if !unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
        return Err(());
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_infinite() => Err(()),
        Ok(v) => Ok(v),
        Err(_) => Err(()),
    }
}

#[cfg(test)]
mod tests;
