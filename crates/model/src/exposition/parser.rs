//! The pull parser over a whole scrape body, a port of Prometheus 2.42's
//! `PromParser` and `OpenMetricsParser` (`model/textparse`).
//!
//! The parser keeps no per-sample state beyond the lexer position: entries
//! borrow from the body, so parsing a sample allocates nothing unless a help
//! text or label value needs unescaping. It stops at the first error, like
//! Prometheus, which fails the whole scrape.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::borrow::Cow;
use std::cell::Cell;

use super::entry::{Entry, Exemplar, Format, MetricType, Series, unescape_help, unescape_label_value};
use super::error::ParseError;
use super::gofmt::{FloatError, go_f64_to_i64, go_quote, parse_go_float, parse_go_int};
use super::lexer::{Lexer, State, Tok, is_l, is_ld, is_m, is_md};

/// A streaming parser over one exposition body.
///
/// ```
/// use argus_model::exposition::{Entry, Format, Parser};
/// let body = b"# TYPE up gauge\nup{job=\"node\"} 1 1700000000000\n";
/// let mut samples = 0;
/// for entry in Parser::new(body, Format::PromText) {
///     if let Entry::Series(s) = entry.unwrap() {
///         assert_eq!(s.series, r#"up{job="node"}"#);
///         assert_eq!((s.value, s.timestamp_ms), (1.0, Some(1_700_000_000_000)));
///         samples += 1;
///     }
/// }
/// assert_eq!(samples, 1);
/// ```
pub struct Parser<'a> {
    lx: Lexer<'a>,
    format: Format,
    /// Where the current entry started (Prometheus' `p.start`).
    start: usize,
    /// Set after an error, the end of input or `# EOF`: the iterator is fused.
    done: bool,
    /// (byte offset, 1-based line at that offset), to count lines incrementally.
    line_cache: Cell<(usize, usize)>,
    /// The body as text when all of it is UTF-8 (checked once here, instead
    /// of per label value and per series text); `None` sends every line
    /// through the general lexer, which checks each label value.
    text: Option<&'a str>,
}

type Res<T> = Result<T, ParseError>;

impl<'a> Parser<'a> {
    /// A parser over `body` in `format`. Parsing happens in [`Iterator::next`].
    pub fn new(body: &'a [u8], format: Format) -> Self {
        Parser {
            lx: Lexer::new(body, format == Format::PromText),
            format,
            start: 0,
            done: false,
            line_cache: Cell::new((0, 1)),
            text: std::str::from_utf8(body).ok(),
        }
    }

    /// The 1-based line on which the most recently returned entry starts.
    pub fn line(&self) -> usize {
        self.line_at(self.start)
    }

    fn line_at(&self, pos: usize) -> usize {
        let b = self.lx.b;
        let pos = pos.min(b.len());
        let (mut from, mut line) = self.line_cache.get();
        if pos < from {
            (from, line) = (0, 1);
        }
        line += b.get(from..pos).unwrap_or_default().iter().filter(|&&c| c == b'\n').count();
        self.line_cache.set((pos, line));
        line
    }

    fn err_at(&self, pos: usize, reason: String) -> ParseError {
        ParseError { line: self.line_at(pos), reason, context: String::new() }
    }

    /// An error without Prometheus' "got ... while parsing" suffix, located at
    /// the current token.
    fn plain(&self, reason: impl Into<String>) -> ParseError {
        self.err_at(self.lx.start, reason.into())
    }

    /// OpenMetrics input that stops before `# EOF`, located at the end.
    fn at_end(&self) -> ParseError {
        self.err_at(self.lx.i, "data does not end with # EOF".into())
    }

    /// The bytes `from..to` of the lexer's view, including the virtual newline.
    fn view(&self, from: usize, to: usize) -> Cow<'a, [u8]> {
        let b = self.lx.b;
        let to = to.min(self.lx.blen);
        let from = from.min(to);
        if to <= b.len() {
            Cow::Borrowed(b.get(from..to).unwrap_or_default())
        } else {
            let mut v = b.get(from..).unwrap_or_default().to_vec();
            v.push(b'\n');
            Cow::Owned(v)
        }
    }

    /// Prometheus 2.42's `parseError`: `<exp>, got "<TOKEN KIND>"`; the entry
    /// up to and including the offending byte becomes the context.
    fn perr(&self, exp: &str, got: Tok) -> ParseError {
        self.with_context(format!("{exp}, got \"{}\"", got.name()), (self.lx.i + 1).min(self.lx.blen))
    }

    /// The error for a line that starts with none of the expected tokens.
    fn start_err(&self, t: Tok) -> ParseError {
        let reason = match self.format {
            Format::PromText => format!("\"{}\" is not a valid start token", t.name()),
            // 2.42 adds `string(p.l.cur())`, the byte where the lexer stopped;
            // at the end of the input it prints a space (checked against 2.42).
            Format::OpenMetrics => {
                let cur = char::from(self.lx.b.get(self.lx.i).copied().unwrap_or(b' '));
                format!("\"{}\" {} is not a valid start token", t.name(), go_quote(cur.to_string().as_bytes()))
            }
        };
        self.with_context(reason, (self.lx.i + 1).min(self.lx.blen))
    }

    /// A value or timestamp that `strconv` rejected.
    fn float_err(&self, cause: FloatError) -> ParseError {
        self.with_context(cause.0, self.lx.i)
    }

    fn with_context(&self, reason: String, end: usize) -> ParseError {
        let mut e = self.plain(reason);
        e.context = go_quote(&self.view(self.start, end));
        e
    }

    fn lex(&mut self) -> Tok {
        match self.format {
            Format::PromText => loop {
                let t = self.lx.lex_prom();
                if t != Tok::Whitespace {
                    return t;
                }
            },
            Format::OpenMetrics => self.lx.lex_om(),
        }
    }

    /// The current token as text; only called for tokens the lexer built from
    /// ASCII classes or that were validated as UTF-8.
    fn tok_str(&self) -> &'a str {
        ascii_str(self.lx.buf())
    }

    fn next_prom(&mut self) -> Option<Res<Entry<'a>>> {
        loop {
            self.start = self.lx.i;
            if let Some(e) = self.fast_series() {
                return Some(Ok(e));
            }
            let t = self.lex();
            return Some(match t {
                Tok::Eof => return None,
                Tok::Linebreak => continue,
                Tok::Help | Tok::Type => self.prom_meta(t),
                Tok::Comment => {
                    let text = self.lx.buf();
                    match self.lex() {
                        Tok::Linebreak => Ok(Entry::Comment(text)),
                        t2 => Err(self.perr("linebreak expected after comment", t2)),
                    }
                }
                Tok::MName => self.series(),
                t => Err(self.start_err(t)),
            });
        }
    }

    /// The common text-format line `name{l="v",...} value [timestamp]` with
    /// single spaces, no escapes and no NULs, scanned in one pass without
    /// the token machinery. Returns `None`, having consumed nothing, for
    /// anything else (including every line that is an error): the general
    /// lexer then reads it, so entries and errors are the same either way.
    fn fast_series(&mut self) -> Option<Entry<'a>> {
        let text = self.text?;
        let b = text.as_bytes();
        let start = self.lx.i;
        let at = |i: usize| b.get(i).copied();
        if !is_m(at(start)?) {
            return None;
        }
        let mut i = start + 1;
        while at(i).is_some_and(is_md) {
            i += 1;
        }
        let name_end = i;
        let mut raw_labels = "";
        if at(i) == Some(b'{') {
            i += 1;
            let open = i;
            loop {
                match at(i)? {
                    b'}' => break,
                    c if is_l(c) => {}
                    _ => return None,
                }
                i += 1;
                while at(i).is_some_and(is_ld) {
                    i += 1;
                }
                if at(i)? != b'=' || at(i + 1)? != b'"' {
                    return None;
                }
                i += 2;
                let rest = b.get(i..)?;
                i += rest.iter().position(|&c| matches!(c, b'"' | b'\\' | b'\n' | 0))?;
                if at(i)? != b'"' {
                    return None;
                }
                i += 1;
                match at(i)? {
                    b',' => i += 1,
                    b'}' => {}
                    _ => return None,
                }
            }
            raw_labels = text.get(open..i)?;
            i += 1;
        }
        let series_end = i;
        if at(i)? != b' ' {
            return None;
        }
        i += 1;
        let value_start = i;
        while at(i).is_some_and(|c| !matches!(c, b'{' | b' ' | b'\t' | b'\n' | 0)) {
            i += 1;
        }
        let value = parse_go_float(b.get(value_start..i)?).ok()?;
        let mut timestamp_ms = None;
        if at(i) == Some(b' ') {
            i += 1;
            let ts_start = i;
            while at(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            timestamp_ms = Some(parse_go_int(b.get(ts_start..i)?).ok()?);
        }
        // The line ends at a newline or at the end of the body (the virtual
        // newline of the text format).
        if !matches!(at(i), Some(b'\n') | None) {
            return None;
        }
        let s = Series {
            series: text.get(start..series_end)?,
            name: text.get(start..name_end)?,
            raw_labels,
            value,
            timestamp_ms,
            exemplar: None,
        };
        self.lx.i = i + 1;
        self.lx.start = i + 1;
        self.lx.state = State::Init;
        Some(Entry::Series(s))
    }

    fn prom_meta(&mut self, t: Tok) -> Res<Entry<'a>> {
        let metric = match self.lex() {
            Tok::MName => self.tok_str(),
            t2 => return Err(self.perr(&format!("expected metric name after {}", t.name()), t2)),
        };
        let text = match self.lex() {
            Tok::Text => self.lx.buf().get(1..).unwrap_or_default(),
            _ => return Err(self.plain(format!("expected text in {}", t.name()))),
        };
        let entry = if t == Tok::Type {
            let kind = match text {
                b"counter" => MetricType::Counter,
                b"gauge" => MetricType::Gauge,
                b"histogram" => MetricType::Histogram,
                b"summary" => MetricType::Summary,
                b"untyped" => MetricType::Unknown,
                _ => return Err(self.plain(format!("invalid metric type {}", go_quote(text)))),
            };
            Entry::Type { metric, kind }
        } else {
            let Ok(help) = std::str::from_utf8(text) else {
                return Err(self.plain("help text is not a valid utf8 string"));
            };
            Entry::Help { metric, help: unescape_help(help) }
        };
        match self.lex() {
            Tok::Linebreak => Ok(entry),
            t2 => Err(self.perr("linebreak expected after metadata", t2)),
        }
    }

    fn next_om(&mut self) -> Option<Res<Entry<'a>>> {
        self.start = self.lx.i;
        Some(match self.lex() {
            Tok::EofWord => {
                if self.lex() != Tok::Eof {
                    Err(self.plain("unexpected data after # EOF"))
                } else {
                    Ok(Entry::Eof)
                }
            }
            Tok::Eof => Err(self.at_end()),
            t @ (Tok::Help | Tok::Type | Tok::Unit) => self.om_meta(t),
            Tok::MName => self.series(),
            t => Err(self.start_err(t)),
        })
    }

    fn om_meta(&mut self, t: Tok) -> Res<Entry<'a>> {
        let metric = match self.lex() {
            Tok::MName => self.tok_str(),
            t2 => return Err(self.perr(&format!("expected metric name after {}", t.name()), t2)),
        };
        let text = match self.lex() {
            Tok::Text => {
                let b = self.lx.buf();
                b.get(1..b.len().saturating_sub(1)).unwrap_or_default()
            }
            _ => return Err(self.plain(format!("expected text in {}", t.name()))),
        };
        match t {
            Tok::Type => {
                let kind = match text {
                    b"counter" => MetricType::Counter,
                    b"gauge" => MetricType::Gauge,
                    b"histogram" => MetricType::Histogram,
                    b"gaugehistogram" => MetricType::GaugeHistogram,
                    b"summary" => MetricType::Summary,
                    b"info" => MetricType::Info,
                    b"stateset" => MetricType::Stateset,
                    b"unknown" => MetricType::Unknown,
                    _ => return Err(self.plain(format!("invalid metric type {}", go_quote(text)))),
                };
                Ok(Entry::Type { metric, kind })
            }
            Tok::Help => match std::str::from_utf8(text) {
                // OpenMetrics escapes help text like label values.
                Ok(help) => Ok(Entry::Help { metric, help: unescape_label_value(help) }),
                Err(_) => Err(self.plain("help text is not a valid utf8 string")),
            },
            _ => {
                let m = metric.as_bytes();
                let suffix_ok = text.is_empty()
                    || (m.len() > text.len() && m.ends_with(text) && m.get(m.len() - text.len() - 1) == Some(&b'_'));
                if !suffix_ok {
                    return Err(self.plain(format!("unit not a suffix of metric {}", go_quote(m))));
                }
                Ok(Entry::Unit { metric, unit: ascii_str(text) })
            }
        }
    }

    /// A sample line, from the metric name token on.
    fn series(&mut self) -> Res<Entry<'a>> {
        let name = self.tok_str();
        let mut series_end = self.lx.i;
        let mut raw_labels = "";
        let mut t = self.lex();
        if t == Tok::BraceOpen {
            let open = self.lx.i;
            let close = self.label_set(false)?;
            raw_labels = self.text(open, close);
            series_end = self.lx.i;
            t = self.lex();
        }
        let series = self.text(self.start, series_end);
        let value = self.value(t, "metric")?;
        let mut s = Series { series, name, raw_labels, value, timestamp_ms: None, exemplar: None };
        match self.format {
            Format::PromText => self.prom_suffix(&mut s)?,
            Format::OpenMetrics => self.om_suffix(&mut s)?,
        }
        Ok(Entry::Series(s))
    }

    /// The value token after a series or exemplar label set.
    fn value(&mut self, t: Tok, after: &str) -> Res<f64> {
        if t != Tok::Value {
            return Err(self.perr(&format!("expected value after {after}"), t));
        }
        let mut text = self.lx.buf();
        if self.format == Format::OpenMetrics {
            // OpenMetrics tokens carry their leading space.
            text = text.get(1..).unwrap_or_default();
        }
        parse_go_float(text).map_err(|e| self.float_err(e))
    }

    fn prom_suffix(&mut self, s: &mut Series<'a>) -> Res<()> {
        match self.lex() {
            Tok::Linebreak => Ok(()),
            Tok::Timestamp => {
                let ts = parse_go_int(self.lx.buf()).map_err(|e| self.float_err(e))?;
                s.timestamp_ms = Some(ts);
                match self.lex() {
                    Tok::Linebreak => Ok(()),
                    t => Err(self.perr("expected next entry after timestamp", t)),
                }
            }
            t => Err(self.perr("expected timestamp or new record", t)),
        }
    }

    fn om_suffix(&mut self, s: &mut Series<'a>) -> Res<()> {
        match self.lex() {
            Tok::Eof => Err(self.at_end()),
            Tok::Linebreak => Ok(()),
            Tok::Comment => {
                s.exemplar = Some(self.exemplar(s.name)?);
                Ok(())
            }
            Tok::Timestamp => {
                s.timestamp_ms = Some(self.om_timestamp("invalid timestamp")?);
                match self.lex() {
                    Tok::Linebreak => Ok(()),
                    Tok::Comment => {
                        s.exemplar = Some(self.exemplar(s.name)?);
                        Ok(())
                    }
                    t => Err(self.perr("expected next entry after timestamp", t)),
                }
            }
            t => Err(self.perr("expected timestamp or # symbol", t)),
        }
    }

    /// An OpenMetrics timestamp token: float seconds, to milliseconds.
    fn om_timestamp(&self, what: &str) -> Res<i64> {
        let text = self.lx.buf().get(1..).unwrap_or_default();
        let ts = parse_go_float(text).map_err(|e| self.float_err(e))?;
        if ts.is_nan() || ts.is_infinite() {
            return Err(self.with_context(what.into(), self.lx.i));
        }
        Ok(go_f64_to_i64(ts * 1000.0))
    }

    /// The exemplar after ` # {`, up to and including the line break.
    fn exemplar(&mut self, metric: &str) -> Res<Exemplar<'a>> {
        // 2.42 allows exemplars only on counters and histogram buckets.
        if !(metric.ends_with("_total") || metric.ends_with("_bucket")) {
            return Err(self.plain(format!("metric name {metric} does not support exemplars")));
        }
        let open = self.lx.i;
        let close = self.label_set(true)?;
        let raw_labels = self.text(open, close);
        let t = self.lex();
        let value = self.value(t, "exemplar labels")?;
        let mut ex = Exemplar { raw_labels, value, timestamp_ms: None };
        match self.lex() {
            Tok::Eof => return Err(self.at_end()),
            Tok::Linebreak => {}
            Tok::Timestamp => {
                ex.timestamp_ms = Some(self.om_timestamp("invalid exemplar timestamp")?);
                match self.lex() {
                    Tok::Linebreak => {}
                    t => return Err(self.perr("expected next entry after exemplar timestamp", t)),
                }
            }
            t => return Err(self.perr("expected timestamp or comment", t)),
        }
        Ok(ex)
    }

    /// Parses labels after `{` up to `}`; returns where the `}` starts.
    fn label_set(&mut self, exemplar: bool) -> Res<usize> {
        match self.format {
            Format::PromText => self.prom_label_set(),
            Format::OpenMetrics => self.om_label_set(exemplar),
        }
    }

    fn prom_label_set(&mut self) -> Res<usize> {
        let mut t = self.lex();
        loop {
            match t {
                Tok::BraceClose => return Ok(self.lx.start),
                Tok::LName => {}
                t => return Err(self.perr("expected label name", t)),
            }
            match self.lex() {
                Tok::Equal => {}
                t => return Err(self.perr("expected equal", t)),
            }
            self.label_value()?;
            // Commas are optional between pairs and allowed after the last one.
            t = self.lex();
            if t == Tok::Comma {
                t = self.lex();
            }
        }
    }

    fn om_label_set(&mut self, exemplar: bool) -> Res<usize> {
        let _ = exemplar;
        let mut first = true;
        loop {
            match self.lex() {
                Tok::BraceClose => return Ok(self.lx.start),
                Tok::Comma if first => {
                    return Err(self.perr("expected label name or left brace", Tok::Comma));
                }
                Tok::Comma => match self.lex() {
                    Tok::LName => {}
                    t => return Err(self.perr("expected label name", t)),
                },
                Tok::LName if !first => return Err(self.perr("expected comma", Tok::LName)),
                Tok::LName => {}
                t if first => return Err(self.perr("expected label name or left brace", t)),
                t => return Err(self.perr("expected comma or left brace", t)),
            }
            first = false;
            match self.lex() {
                Tok::Equal => {}
                t => return Err(self.perr("expected equal", t)),
            }
            self.label_value()?;
        }
    }

    fn label_value(&mut self) -> Res<()> {
        match self.lex() {
            Tok::LValue => {}
            t => return Err(self.perr("expected label value", t)),
        }
        let v = self.lx.buf();
        if self.text.is_none() && !v.is_ascii() && std::str::from_utf8(v).is_err() {
            return Err(self.with_context("invalid UTF-8 label value".into(), self.lx.i));
        }
        Ok(())
    }

    /// Input bytes `from..to` as text; every caller passes a range made of
    /// ASCII tokens and label values already checked to be UTF-8.
    fn text(&self, from: usize, to: usize) -> &'a str {
        let to = to.min(self.lx.b.len());
        if let Some(t) = self.text {
            // Token boundaries are ASCII bytes, so char boundaries.
            return t.get(from..to).unwrap_or_default();
        }
        let b = self.lx.b.get(from..to).unwrap_or_default();
        std::str::from_utf8(b).unwrap_or_default()
    }
}

/// `b` as text when it is ASCII (the lexer guarantees that for names).
fn ascii_str(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

impl<'a> Iterator for Parser<'a> {
    type Item = Result<Entry<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = match self.format {
            Format::PromText => self.next_prom(),
            Format::OpenMetrics => self.next_om(),
        };
        if matches!(r, None | Some(Err(_)) | Some(Ok(Entry::Eof))) {
            self.done = true;
        }
        r
    }
}

impl std::iter::FusedIterator for Parser<'_> {}
