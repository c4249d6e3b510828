//! Go's `fmt` and `strconv` output for template values: `%v` printing,
//! `Sprint`/`Sprintln`/`Sprintf` with the verbs templates use, and
//! `strconv.FormatFloat`'s digit layouts (`e`, `f`, `g`, shortest).
//!
//! Digits come from Rust's float formatting (shortest round-trip digits for
//! `{:e}`, exact round-half-even for a fixed precision), which produces the
//! same decimal digits Go's strconv does; only the layout is Go's.

use crate::Value;

/// Go's type name for a value, as `%T` and fmt's error verbs print it.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(l) if !l.is_empty() && l.iter().all(|v| matches!(v, Value::String(_))) => "[]string",
        Value::List(l) => match l.first().map(type_name) {
            Some("template.Alert") if l.iter().all(|v| type_name(v) == "template.Alert") => "[]template.Alert",
            Some("template.Pair") if l.iter().all(|v| type_name(v) == "template.Pair") => "template.Pairs",
            _ => "[]interface {}",
        },
        Value::Map(m) => match go_struct(m) {
            Some(st) => st.name,
            // Label sets are Go map[string]string; other maps are generic.
            None if m.values().all(|v| matches!(v, Value::String(_))) => "map[string]string",
            None => "map[string]interface {}",
        },
    }
}

/// Decimal digits of |f| without trailing zeros, and the decimal point
/// position (value = 0.d1d2... * 10^dp), as strconv's decimalSlice.
struct Digits {
    d: Vec<u8>,
    dp: i32,
}

fn parse_exp_form(s: &str) -> Digits {
    // Rust's LowerExp: "1.2345e6", "5e-7", "0e0".
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        return Digits { d, dp: 0 };
    }
    Digits { d, dp: exp + 1 }
}

fn shortest_digits(a: f64) -> Digits {
    parse_exp_form(&format!("{a:e}"))
}

fn fixed_digits(a: f64, n: usize) -> Digits {
    parse_exp_form(&format!("{:.*e}", n.saturating_sub(1), a))
}

fn fmt_e(out: &mut String, d: &Digits, prec: usize, e: char) {
    out.push(d.d.first().map_or('0', |&c| c as char));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(d.d.get(i).map_or('0', |&c| c as char));
        }
    }
    out.push(e);
    let mut exp = if d.d.is_empty() { 0 } else { d.dp - 1 };
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

fn fmt_f(out: &mut String, d: &Digits, prec: usize) {
    if d.dp > 0 {
        for i in 0..d.dp as usize {
            out.push(d.d.get(i).map_or('0', |&c| c as char));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i64 {
            let j = d.dp as i64 + i - 1;
            let c = if j >= 0 { d.d.get(j as usize).map_or('0', |&c| c as char) } else { '0' };
            out.push(c);
        }
    }
}

/// `strconv.FormatFloat(f, fmt, prec, 64)` for fmt in `e E f F g G`
/// (prec < 0 means shortest).
pub(crate) fn format_float(f: f64, fmt: char, prec: i32) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let mut out = String::new();
    if f.is_sign_negative() {
        out.push('-');
    }
    let a = f.abs();
    let upper = fmt.is_ascii_uppercase();
    let e = if upper { 'E' } else { 'e' };
    match fmt.to_ascii_lowercase() {
        'f' => {
            if prec < 0 {
                let d = shortest_digits(a);
                let p = (d.d.len() as i32 - d.dp).max(0) as usize;
                fmt_f(&mut out, &d, p);
            } else {
                out.push_str(&format!("{:.*}", prec as usize, a));
            }
        }
        'e' => {
            if prec < 0 {
                let d = shortest_digits(a);
                let p = d.d.len().saturating_sub(1);
                fmt_e(&mut out, &d, p, e);
            } else {
                let d = fixed_digits(a, prec as usize + 1);
                fmt_e(&mut out, &d, prec as usize, e);
            }
        }
        _ => {
            // 'g'
            let shortest = prec < 0;
            let (d, mut p) = if shortest {
                let d = shortest_digits(a);
                let n = d.d.len() as i32;
                (d, n)
            } else {
                let p = if prec == 0 { 1 } else { prec };
                (fixed_digits(a, p as usize), p)
            };
            let nd = d.d.len() as i32;
            let mut eprec = p;
            if eprec > nd && nd >= d.dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = d.dp - 1;
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                fmt_e(&mut out, &d, (p - 1).max(0) as usize, e);
            } else {
                if p > d.dp {
                    p = nd;
                }
                fmt_f(&mut out, &d, (p - d.dp).max(0) as usize);
            }
        }
    }
    out
}

/// strconv's `%x` of a float64, shortest: `0x1.8p+01`.
fn hex_float(f: f64, upper: bool) -> String {
    let s = if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        let sign = if f.is_sign_negative() { "-" } else { "" };
        let bits = f.to_bits();
        let mut exp = ((bits >> 52) & 0x7ff) as i64;
        let mut mant = bits & ((1u64 << 52) - 1);
        if exp == 0 && mant == 0 {
            return format!("{sign}0x0p+00");
        }
        if exp == 0 {
            // Subnormal: normalize.
            exp = 1;
            while mant & (1u64 << 52) == 0 {
                mant <<= 1;
                exp -= 1;
            }
            mant &= (1u64 << 52) - 1;
        }
        let e = exp - 1023;
        let mut frac = format!("{mant:013x}");
        while frac.ends_with('0') {
            frac.pop();
        }
        let frac = if frac.is_empty() { String::new() } else { format!(".{frac}") };
        let es = if e < 0 { format!("-{:02}", -e) } else { format!("+{e:02}") };
        format!("{sign}0x1{frac}p{es}")
    };
    if upper { s.to_uppercase() } else { s }
}

/// A Go struct type one of our maps stands for.
pub(crate) struct GoStruct {
    /// `%T` and error messages.
    pub name: &'static str,
    /// Fields in declaration order (the print order of `%v`).
    pub fields: &'static [&'static str],
}

/// The Go structs our maps stand for, recognised by their exact field
/// sets: Prometheus' alert template data and query sample, Alertmanager's
/// Pair, Alert and Data.
const STRUCTS: [GoStruct; 5] = [
    GoStruct {
        name: "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }",
        fields: &["Labels", "ExternalLabels", "ExternalURL", "Value"],
    },
    GoStruct { name: "*template.sample", fields: &["Labels", "Value"] },
    GoStruct { name: "template.Pair", fields: &["Name", "Value"] },
    GoStruct {
        name: "template.Alert",
        fields: &["Status", "Labels", "Annotations", "StartsAt", "EndsAt", "GeneratorURL", "Fingerprint"],
    },
    GoStruct {
        name: "template.Data",
        fields: &["Receiver", "Status", "Alerts", "GroupLabels", "CommonLabels", "CommonAnnotations", "ExternalURL"],
    },
];

/// The struct a map stands for, if any.
pub(crate) fn go_struct(m: &std::collections::BTreeMap<String, Value>) -> Option<&'static GoStruct> {
    STRUCTS.iter().find(|st| st.fields.len() == m.len() && st.fields.iter().all(|f| m.contains_key(*f)))
}

fn struct_fields(m: &std::collections::BTreeMap<String, Value>) -> Option<&'static [&'static str]> {
    go_struct(m).map(|st| st.fields)
}

/// `%#v`: a Go-syntax representation.
fn go_syntax(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => {
            let s = format_float(*f, 'g', -1);
            // Go's %#v keeps floats recognisable: 1 prints as 1.
            s
        }
        Value::String(s) => quote(s),
        Value::List(l) => format!("{}{{{}}}", type_name(v), l.iter().map(go_syntax).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => match go_struct(m) {
            Some(st) => format!(
                "{}{{{}}}",
                st.name.trim_start_matches('*'),
                st.fields
                    .iter()
                    .map(|f| format!("{f}:{}", go_syntax(m.get(*f).unwrap_or(&Value::Nil))))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!(
                "{}{{{}}}",
                type_name(v),
                m.iter().map(|(k, x)| format!("{}:{}", quote(k), go_syntax(x))).collect::<Vec<_>>().join(", ")
            ),
        },
    }
}

/// Go's `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `%v` of a value (fmt.Sprint of one operand).
pub(crate) fn sprint_value(v: &Value) -> String {
    let mut p = Printer::default();
    p.print_arg(v, 'v');
    p.buf
}

/// Go's `fmt.Sprint`: spaces between operands when neither is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// Go's `fmt.Sprintln`: always spaces, then a newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut p = Printer::default();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
    }
    p.buf.push('\n');
    p.buf
}

/// Go's `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer::default();
    p.do_printf(format, args);
    p.buf
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
}

fn parse_num(b: &[u8], mut i: usize) -> (Option<usize>, usize) {
    let start = i;
    let mut n: usize = 0;
    while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((c - b'0') as usize).min(1_000_000);
        i += 1;
    }
    if i == start { (None, i) } else { (Some(n), i) }
}

impl Printer {
    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let b = format.as_bytes();
        let end = b.len();
        let mut i = 0;
        let mut arg_num = 0;
        let mut reordered = false;
        while i < end {
            let lasti = i;
            while i < end && b.get(i) != Some(&b'%') {
                i += 1;
            }
            self.buf.push_str(format.get(lasti..i).unwrap_or(""));
            if i >= end {
                break;
            }
            i += 1; // skip %
            self.f = Flags::default();
            while let Some(&c) = b.get(i) {
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus,
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }
            // Width.
            if b.get(i) == Some(&b'*') {
                i += 1;
                match args.get(arg_num) {
                    Some(Value::Int(n)) => {
                        if *n < 0 {
                            self.f.minus = true;
                            self.f.zero = false;
                        }
                        self.f.wid = Some(n.unsigned_abs().min(1_000_000) as usize);
                    }
                    _ => self.buf.push_str("%!(BADWIDTH)"),
                }
                arg_num += 1;
            } else {
                let (w, ni) = parse_num(b, i);
                self.f.wid = w;
                i = ni;
            }
            // Precision.
            if b.get(i) == Some(&b'.') {
                i += 1;
                if b.get(i) == Some(&b'*') {
                    i += 1;
                    match args.get(arg_num) {
                        Some(Value::Int(n)) if *n >= 0 => self.f.prec = Some((*n).min(1_000_000) as usize),
                        Some(Value::Int(_)) => self.f.prec = None,
                        _ => self.buf.push_str("%!(BADPREC)"),
                    }
                    arg_num += 1;
                } else {
                    let (p, ni) = parse_num(b, i);
                    self.f.prec = Some(p.unwrap_or(0));
                    i = ni;
                }
            }
            // An explicit argument index, `%[2]d`.
            if b.get(i) == Some(&b'[') {
                let (n, ni) = parse_num(b, i + 1);
                match (n, b.get(ni)) {
                    (Some(n), Some(b']')) if n >= 1 && n <= args.len() => {
                        arg_num = n - 1;
                        reordered = true;
                        i = ni + 1;
                    }
                    _ => {
                        let close = format.get(i..).and_then(|r| r.find(']')).map_or(end, |j| i + j + 1);
                        i = close;
                        self.buf.push_str("%!");
                        if let Some(v) = format.get(i..).and_then(|r| r.chars().next()) {
                            self.buf.push(v);
                            i += v.len_utf8();
                        }
                        self.buf.push_str("(BADINDEX)");
                        reordered = true;
                        continue;
                    }
                }
            }
            let Some(verb) = format.get(i..).and_then(|s| s.chars().next()) else {
                self.buf.push_str("%!(NOVERB)");
                break;
            };
            i += verb.len_utf8();
            if verb == '%' {
                self.buf.push('%');
                continue;
            }
            match args.get(arg_num) {
                None => {
                    self.buf.push_str("%!");
                    self.buf.push(verb);
                    self.buf.push_str("(MISSING)");
                }
                Some(a) => {
                    self.print_arg(a, verb);
                    arg_num += 1;
                }
            }
        }
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, a) in args.iter().skip(arg_num).enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if matches!(a, Value::Nil) {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(type_name(a));
                    self.buf.push('=');
                    self.print_arg(a, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    fn bad_verb(&mut self, v: &Value, verb: char) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if matches!(v, Value::Nil) {
            self.buf.push_str("<nil>");
        } else {
            self.buf.push_str(type_name(v));
            self.buf.push('=');
            let saved = self.f;
            self.f = Flags::default();
            self.print_arg(v, 'v');
            self.f = saved;
        }
        self.buf.push(')');
    }

    fn print_arg(&mut self, v: &Value, verb: char) {
        if verb == 'T' {
            self.pad(type_name(v));
            return;
        }
        match v {
            _ if verb == 'v' && self.f.sharp => {
                let s = go_syntax(v);
                self.pad(&s);
            }
            Value::Nil => match verb {
                'v' => self.pad("<nil>"),
                _ => self.bad_verb(v, verb),
            },
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { "true" } else { "false" }),
                _ => self.bad_verb(v, verb),
            },
            Value::Int(n) => self.fmt_integer(*n, verb, v),
            Value::Float(x) => match verb {
                'v' => self.fmt_float(*x, 'g', -1),
                'g' | 'G' => self.fmt_float(*x, verb, -1),
                'x' | 'X' => {
                    let h = hex_float(*x, verb == 'X');
                    let h = if self.f.plus && !h.starts_with('-') { format!("+{h}") } else { h };
                    self.pad(&h);
                }
                'f' | 'F' | 'e' | 'E' => self.fmt_float(*x, verb, 6),
                _ => self.bad_verb(v, verb),
            },
            Value::String(s) => self.fmt_string(s, verb, v),
            Value::List(items) => {
                self.buf.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(' ');
                    }
                    self.print_arg(it, verb);
                }
                self.buf.push(']');
            }
            // Maps that stand for Go structs print as structs: `{v1 v2}`.
            Value::Map(m) if struct_fields(m).is_some() => {
                self.buf.push('{');
                for (i, f) in struct_fields(m).unwrap_or(&[]).iter().enumerate() {
                    if i > 0 {
                        self.buf.push(' ');
                    }
                    self.print_arg(m.get(*f).unwrap_or(&Value::Nil), verb);
                }
                self.buf.push('}');
            }
            Value::Map(m) => {
                self.buf.push_str("map[");
                for (i, (k, it)) in m.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(' ');
                    }
                    self.fmt_string(k, verb, &Value::Nil);
                    self.buf.push(':');
                    self.print_arg(it, verb);
                }
                self.buf.push(']');
            }
        }
    }

    /// Pads `s` to the width (in runes), honoring `-` and `0`.
    fn pad(&mut self, s: &str) {
        let n = s.chars().count();
        let w = self.f.wid.unwrap_or(0);
        if w <= n {
            self.buf.push_str(s);
            return;
        }
        let fill = if self.f.zero { '0' } else { ' ' };
        if self.f.minus {
            self.buf.push_str(s);
            self.buf.extend(std::iter::repeat_n(' ', w - n));
        } else {
            self.buf.extend(std::iter::repeat_n(fill, w - n));
            self.buf.push_str(s);
        }
    }

    fn fmt_string(&mut self, s: &str, verb: char, v: &Value) {
        match verb {
            'v' | 's' => {
                let t: String = match self.f.prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.to_string(),
                };
                self.pad(&t);
            }
            'q' => {
                let t: String = match self.f.prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.to_string(),
                };
                if self.f.sharp && !t.contains('`') && !t.chars().any(|c| c.is_control() && c != '\t') {
                    self.pad(&format!("`{t}`"));
                } else {
                    self.pad(&quote(&t));
                }
            }
            'x' | 'X' => {
                let bytes = s.as_bytes();
                let bytes = match self.f.prec {
                    Some(p) => bytes.get(..p.min(bytes.len())).unwrap_or(bytes),
                    None => bytes,
                };
                let mut t = String::new();
                for (i, b) in bytes.iter().enumerate() {
                    if self.f.space && i > 0 {
                        t.push(' ');
                    }
                    if self.f.sharp && (self.f.space || i == 0) {
                        t.push_str(if verb == 'x' { "0x" } else { "0X" });
                    }
                    if verb == 'x' {
                        t.push_str(&format!("{b:02x}"));
                    } else {
                        t.push_str(&format!("{b:02X}"));
                    }
                }
                self.pad(&t);
            }
            _ => {
                let v = if matches!(v, Value::Nil) { Value::String(s.to_string()) } else { v.clone() };
                self.bad_verb(&v, verb)
            }
        }
    }

    fn fmt_integer(&mut self, n: i64, verb: char, v: &Value) {
        let neg = n < 0;
        let u = n.unsigned_abs();
        let (digits, prefix) = match verb {
            'v' | 'd' => (u.to_string(), ""),
            'b' => (format!("{u:b}"), if self.f.sharp { "0b" } else { "" }),
            'o' => (format!("{u:o}"), if self.f.sharp { "0" } else { "" }),
            'O' => (format!("{u:o}"), "0o"),
            'x' => (format!("{u:x}"), if self.f.sharp { "0x" } else { "" }),
            'X' => (format!("{u:X}"), if self.f.sharp { "0X" } else { "" }),
            'c' => {
                let c = u32::try_from(n).ok().and_then(char::from_u32).unwrap_or('\u{fffd}');
                self.pad(&c.to_string());
                return;
            }
            'q' => {
                let c = u32::try_from(n).ok().and_then(char::from_u32).unwrap_or('\u{fffd}');
                let q = quote(&c.to_string());
                let inner = q.get(1..q.len().saturating_sub(1)).unwrap_or("").replace("\\\"", "\"");
                let inner = if c == '\'' { "\\'".to_string() } else { inner };
                self.pad(&format!("'{inner}'"));
                return;
            }
            'U' => {
                let s = format!("U+{u:04X}");
                self.pad(&s);
                return;
            }
            _ => {
                self.bad_verb(v, verb);
                return;
            }
        };
        let mut digits = digits;
        if let Some(p) = self.f.prec {
            if p == 0 && n == 0 {
                digits.clear();
            }
            while digits.len() < p {
                digits.insert(0, '0');
            }
        }
        let sign = if neg {
            "-"
        } else if self.f.plus {
            "+"
        } else if self.f.space {
            " "
        } else {
            ""
        };
        let body = format!("{prefix}{digits}");
        // Zero padding goes between the sign and the digits, and only when
        // no precision was given (Go ignores the 0 flag then).
        if self.f.zero
            && self.f.prec.is_none()
            && !self.f.minus
            && let Some(w) = self.f.wid
        {
            let len = sign.len() + body.chars().count();
            let mut s = sign.to_string();
            if w > len {
                s.extend(std::iter::repeat_n('0', w - len));
            }
            s.push_str(&body);
            self.buf.push_str(&s);
            return;
        }
        let saved = self.f.zero;
        self.f.zero = false;
        self.pad(&format!("{sign}{body}"));
        self.f.zero = saved;
    }

    fn fmt_float(&mut self, x: f64, verb: char, default_prec: i32) {
        let prec = self.f.prec.map_or(default_prec, |p| p.min(1_000_000) as i32);
        let verb = if verb == 'F' { 'f' } else { verb };
        let num = format_float(x, verb, prec);
        // num with an explicit leading sign.
        let mut num = if num.starts_with('-') || num.starts_with('+') { num } else { format!("+{num}") };
        if self.f.space && num.starts_with('+') && !self.f.plus {
            num.replace_range(0..1, " ");
        }
        if num.get(1..2) == Some("I") || num.get(1..2) == Some("N") {
            if num.get(1..2) == Some("N") && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            let saved = self.f.zero;
            self.f.zero = false;
            self.pad(&num);
            self.f.zero = saved;
            return;
        }
        if self.f.sharp && verb != 'b' {
            // %#g keeps trailing zeros and forces a decimal point; rare in
            // templates, approximated by forcing the point only.
            if !num.contains('.') && !num.contains('e') && !num.contains('E') {
                num.push('.');
            }
        }
        if self.f.plus || !num.starts_with('+') {
            if self.f.zero
                && !self.f.minus
                && let Some(w) = self.f.wid.filter(|&w| w > num.len())
            {
                let (sign, rest) = num.split_at(1);
                self.buf.push_str(sign);
                self.buf.extend(std::iter::repeat_n('0', w - num.len()));
                self.buf.push_str(rest);
                return;
            }
            self.pad(&num);
            return;
        }
        let rest = num.get(1..).unwrap_or("").to_string();
        if self.f.minus {
            self.f.zero = false;
        }
        self.pad(&rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_v_matches_go() {
        let check = |f: f64, want: &str| assert_eq!(sprint_value(&Value::Float(f)), want, "{f}");
        check(1234567.0, "1.234567e+06");
        check(0.1, "0.1");
        check(100.0, "100");
        check(123456.0, "123456");
        check(1e21, "1e+21");
        check(0.0001, "0.0001");
        check(0.00001, "1e-05");
        check(0.0, "0");
        check(-2.5, "-2.5");
        check(f64::INFINITY, "+Inf");
        check(f64::NEG_INFINITY, "-Inf");
        check(f64::NAN, "NaN");
        check(1e100, "1e+100");
        check(12345678.9, "1.23456789e+07");
    }

    #[test]
    fn printf_matches_go() {
        let check = |f: &str, args: &[Value], want: &str| assert_eq!(sprintf(f, args), want, "{f}");
        let fl = Value::Float;
        let s = |x: &str| Value::String(x.into());
        check("%.2f", &[fl(1.23456)], "1.23");
        check("%.1f", &[fl(0.25)], "0.2");
        check("%.0f", &[fl(2.5)], "2");
        check("%5.1f|", &[fl(1.23456)], "  1.2|");
        check("%-10s|", &[s("ab")], "ab        |");
        check("%10s|", &[s("ab")], "        ab|");
        check("%d", &[Value::Int(42)], "42");
        check("%05d", &[Value::Int(-42)], "-0042");
        check("%x", &[Value::Int(255)], "ff");
        check("%x", &[s("hi")], "6869");
        check("%q", &[s("a\"b")], "\"a\\\"b\"");
        check("%e", &[fl(1234.5678)], "1.234568e+03");
        check("%g", &[fl(1234567.0)], "1.234567e+06");
        check("%.4g", &[fl(1234567.0)], "1.235e+06");
        check("%.4g", &[fl(100.0)], "100");
        check("%.4g", &[fl(10000.0)], "1e+04");
        check("%.4g", &[fl(0.0)], "0");
        check("%f", &[fl(1.0)], "1.000000");
        check("%v%%", &[fl(12.5)], "12.5%");
        check("%d", &[fl(1.5)], "%!d(float64=1.5)");
        check("%s", &[Value::Int(5)], "%!s(int=5)");
        check("%d %d", &[Value::Int(1)], "1 %!d(MISSING)");
        check("%d", &[Value::Int(1), s("x")], "1%!(EXTRA string=x)");
        check("%s", &[Value::Nil], "%!s(<nil>)");
        check("%v", &[Value::Nil], "<nil>");
        check("%s", &[Value::List(vec![s("a"), s("b")])], "[a b]");
        check("%6.2f%%", &[fl(99.5)], " 99.50%");
        check("%+d", &[Value::Int(3)], "+3");
        check("%t", &[Value::Bool(true)], "true");
        check("%", &[], "%!(NOVERB)");
    }

    #[test]
    fn sprint_spacing() {
        let s = |x: &str| Value::String(x.into());
        assert_eq!(sprint(&[s("a"), s("b")]), "ab");
        assert_eq!(sprint(&[Value::Int(1), Value::Int(2)]), "1 2");
        assert_eq!(sprint(&[s("a"), Value::Int(2), s("b")]), "a2b");
        assert_eq!(sprintln(&[s("a"), s("b")]), "a b\n");
    }
}
