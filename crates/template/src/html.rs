//! html/template's contextual escaping, approximated for the HTML
//! Alertmanager sends: the context of an action is read from the output
//! written before it (text, a quoted or unquoted attribute value of a URL,
//! CSS, JS or plain attribute, or a `<script>`/`<style>` element), and the
//! value is escaped with html/template's escaper for that context.
//! Template text itself is trusted, as in html/template.

use crate::Value;

/// Where an action's output lands.
#[derive(Debug, PartialEq, Eq)]
enum Ctx {
    Text,
    Script,
    Style,
    Attr { kind: AttrKind, quoted: bool, value_so_far: String },
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum AttrKind {
    Plain,
    Url,
    Css,
    Js,
}

/// Whether the output so far is inside a `<script>` or `<style>` element,
/// kept up to date incrementally so escaping stays linear in the output.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    upto: usize,
    /// Position of the open `<script`/`<style` tag we are after, if any.
    script: Option<usize>,
    style: Option<usize>,
}

impl Scan {
    fn update(&mut self, out: &str) {
        let b = out.as_bytes();
        // Re-scan a few bytes so a tag name split across updates is seen.
        let mut i = self.upto.saturating_sub(8);
        while let Some(off) = b.get(i..).and_then(|r| r.iter().position(|c| *c == b'<')) {
            let at = i + off;
            let tail = b.get(at + 1..).unwrap_or(&[]);
            let starts = |name: &[u8]| {
                tail.len() >= name.len() && tail.iter().zip(name).all(|(c, n)| c.to_ascii_lowercase() == *n)
            };
            if starts(b"script") {
                self.script = Some(at);
            } else if starts(b"/script") {
                self.script = None;
            } else if starts(b"style") {
                self.style = Some(at);
            } else if starts(b"/style") {
                self.style = None;
            }
            i = at + 1;
        }
        self.upto = out.len();
    }
}

/// Escapes `s`, the printed form of `v`, for the context `out` (everything
/// written so far) leaves it in; `scan` carries state between calls on the
/// same output.
pub(crate) fn escape(scan: &mut Scan, out: &str, v: &Value, s: &str) -> String {
    scan.update(out);
    match context(scan, out) {
        Ctx::Text => html_escape(s),
        Ctx::Script => js_val(v, s),
        Ctx::Style => css_filter(s).to_string(),
        Ctx::Attr { kind, quoted, value_so_far } => {
            let v = match kind {
                AttrKind::Plain => s.to_string(),
                AttrKind::Css => css_filter(s).to_string(),
                AttrKind::Js => js_val(v, s),
                AttrKind::Url => {
                    if value_so_far.is_empty() && !is_safe_url(s) {
                        "#ZgotmplZ".to_string()
                    } else if value_so_far.contains(['?', '#']) {
                        url_process(s, false)
                    } else {
                        url_process(s, true)
                    }
                }
            };
            if quoted { html_escape(&v) } else { html_nospace_escape(&v) }
        }
    }
}

fn context(scan: &Scan, out: &str) -> Ctx {
    // Inside the element once its start tag is closed.
    let inside = |open: Option<usize>| open.is_some_and(|p| out.get(p..).is_some_and(|t| t.contains('>')));
    if inside(scan.script) {
        return Ctx::Script;
    }
    if inside(scan.style) {
        return Ctx::Style;
    }
    let Some(lt) = out.rfind('<') else { return Ctx::Text };
    let tag = out.get(lt + 1..).unwrap_or("");
    if !tag.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Ctx::Text;
    }
    // Scan the tag: name, then attributes, to find whether the end of the
    // output is inside an attribute value.
    let b = tag.as_bytes();
    let mut i = b.iter().position(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/').unwrap_or(b.len());
    loop {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace() || *c == b'/') {
            i += 1;
        }
        match b.get(i) {
            None => return Ctx::Text,
            Some(b'>') => return Ctx::Text,
            Some(_) => {}
        }
        let name_start = i;
        while b.get(i).is_some_and(|c| !c.is_ascii_whitespace() && *c != b'=' && *c != b'>') {
            i += 1;
        }
        let name = tag.get(name_start..i).unwrap_or("").to_ascii_lowercase();
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let kind = attr_kind(&name);
        match b.get(i) {
            None => return Ctx::Attr { kind, quoted: false, value_so_far: String::new() },
            Some(&q @ (b'"' | b'\'')) => {
                let start = i + 1;
                match b.get(start..).and_then(|r| r.iter().position(|c| *c == q)) {
                    Some(n) => i = start + n + 1,
                    None => {
                        return Ctx::Attr {
                            kind,
                            quoted: true,
                            value_so_far: tag.get(start..).unwrap_or("").to_string(),
                        };
                    }
                }
            }
            Some(_) => {
                let start = i;
                while b.get(i).is_some_and(|c| !c.is_ascii_whitespace() && *c != b'>') {
                    i += 1;
                }
                if i >= b.len() {
                    return Ctx::Attr { kind, quoted: false, value_so_far: tag.get(start..).unwrap_or("").to_string() };
                }
            }
        }
    }
}

/// html/template's `attrType`.
fn attr_kind(name: &str) -> AttrKind {
    let name = name.strip_prefix("data-").unwrap_or(name);
    let name = name.rsplit(':').next().unwrap_or(name);
    match name {
        "action" | "archive" | "background" | "cite" | "classid" | "codebase" | "data" | "formaction" | "href"
        | "icon" | "longdesc" | "manifest" | "poster" | "profile" | "src" | "usemap" | "xmlns" => AttrKind::Url,
        "style" => AttrKind::Css,
        n if n.starts_with("on") => AttrKind::Js,
        n if n.contains("src") || n.contains("uri") || n.contains("url") => AttrKind::Url,
        _ => AttrKind::Plain,
    }
}

/// html/template's escaping of text and quoted attribute values.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '+' => out.push_str("&#43;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// html/template's `htmlNospaceEscaper` for unquoted attribute values.
fn html_nospace_escape(s: &str) -> String {
    if s.is_empty() {
        return "ZgotmplZ".into();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\x0b' => out.push_str("&#11;"),
            '\x0c' => out.push_str("&#12;"),
            '\r' => out.push_str("&#13;"),
            ' ' => out.push_str("&#32;"),
            '"' => out.push_str("&#34;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '+' => out.push_str("&#43;"),
            '<' => out.push_str("&lt;"),
            '=' => out.push_str("&#61;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push_str("&#96;"),
            '\0' => out.push_str("&#xfffd;"),
            c => out.push(c),
        }
    }
    out
}

/// Only http, https, mailto or scheme-less URLs may start a URL attribute.
fn is_safe_url(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, _)) if !scheme.contains('/') => {
            let l = scheme.to_ascii_lowercase();
            l == "http" || l == "https" || l == "mailto"
        }
        _ => true,
    }
}

/// html/template's `urlProcessor`: with `norm`, percent-encodes only bytes
/// never valid in a URL (keeping reserved characters and escapes); without,
/// everything but unreserved characters (query and fragment values).
fn url_process(s: &str, norm: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => true,
            b'!' | b'#' | b'$' | b'&' | b'*' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' | b'[' | b']' => {
                norm
            }
            b'%' => norm,
            b'\'' | b'(' | b')' => norm,
            _ => false,
        };
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

/// html/template's `cssValueFilter`: values that could break out of a CSS
/// value become `ZgotmplZ`.
fn css_filter(s: &str) -> &str {
    let bad = s.bytes().enumerate().any(|(i, c)| {
        matches!(
            c,
            0 | b'"'
                | b'\''
                | b'('
                | b')'
                | b'/'
                | b';'
                | b'@'
                | b'['
                | b'\\'
                | b']'
                | b'`'
                | b'{'
                | b'}'
                | b'<'
                | b'>'
        ) || (c == b'-' && i > 0 && s.as_bytes().get(i - 1) == Some(&b'-'))
    });
    let lower = s.to_ascii_lowercase();
    if bad || lower.contains("expression") || lower.contains("mozbinding") { "ZgotmplZ" } else { s }
}

/// html/template's `jsValEscaper`: numbers and booleans as JSON padded
/// with spaces, anything else as a JSON string with HTML-significant
/// characters escaped.
fn js_val(v: &Value, s: &str) -> String {
    match v {
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => return format!(" {s} "),
        Value::Nil => return " null ".into(),
        _ => {}
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// html/template drops HTML comments of the template text. Action output
/// cannot contain `<!--` (its `<` is escaped), so removing comments from the
/// result is the same except for `safeHtml` values.
pub(crate) fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("<!--") {
        out.push_str(rest.get(..i).unwrap_or(""));
        rest = match rest.get(i + 4..).and_then(|r| r.find("-->").map(|j| i + 4 + j + 3)) {
            Some(end) => rest.get(end..).unwrap_or(""),
            None => "",
        };
    }
    out.push_str(rest);
    out
}
