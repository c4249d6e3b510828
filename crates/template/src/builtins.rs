//! Go text/template's predefined functions (`text/template/funcs.go`):
//! comparisons with Go's kind rules, index, slice, len, not, print*,
//! html, js, urlquery; plus argument helpers shared by the function sets
//! and the HTML/URL escapers html/template applies.

use crate::{Error, Value, gofmt};

/// A builtin function.
pub(crate) type Builtin = fn(&[Value]) -> Result<Value, Error>;

/// The builtin named `name` (`and`/`or` are handled lazily by the executor).
pub(crate) fn lookup(name: &str) -> Option<Builtin> {
    Some(match name {
        "not" => not,
        "len" => len,
        "index" => index,
        "slice" => slice,
        "print" => |a| Ok(Value::String(gofmt::sprint(a))),
        "println" => |a| Ok(Value::String(gofmt::sprintln(a))),
        "printf" => printf,
        "html" => |a| Ok(Value::String(html_escape_go(&eval_args(a)))),
        "js" => |a| Ok(Value::String(js_escape(&eval_args(a)))),
        "urlquery" => |a| Ok(Value::String(query_escape(&eval_args(a)))),
        "eq" => eq,
        "ne" => ne,
        "lt" => |a| cmp2("lt", a).map(|o| Value::Bool(o == Ord::Lt)),
        "le" => |a| cmp2("le", a).map(|o| Value::Bool(o != Ord::Gt)),
        "gt" => |a| cmp2("gt", a).map(|o| Value::Bool(o == Ord::Gt)),
        "ge" => |a| cmp2("ge", a).map(|o| Value::Bool(o != Ord::Lt)),
        "call" => |_| Err(Error("call of nil".into())),
        _ => return None,
    })
}

/// Whether `name` is a builtin (including the lazy `and`/`or`).
pub(crate) fn is_builtin(name: &str) -> bool {
    name == "and" || name == "or" || lookup(name).is_some()
}

/// Checks the argument count like Go's reflection call does.
pub(crate) fn want_args(name: &str, args: &[Value], n: usize) -> Result<(), Error> {
    if args.len() != n {
        return Err(Error(format!("wrong number of args for {name}: want {n} got {}", args.len())));
    }
    Ok(())
}

/// Marks an argument type error so the executor reports it at the
/// argument, as Go's reflection-based call does; see [`split_arg_error`].
const ARG_ERROR_MARK: char = '\u{0}';

/// Go's "wrong type for value" error for argument `i`.
pub(crate) fn arg_type_error(i: usize, want: &str, got: &Value) -> Error {
    Error(format!(
        "{ARG_ERROR_MARK}{i}{ARG_ERROR_MARK}wrong type for value; expected {want}; got {}",
        gofmt::type_name(got)
    ))
}

/// The argument index and message of an [`arg_type_error`].
pub(crate) fn split_arg_error(msg: &str) -> Option<(usize, &str)> {
    let rest = msg.strip_prefix(ARG_ERROR_MARK)?;
    let (i, m) = rest.split_once(ARG_ERROR_MARK)?;
    Some((i.parse().ok()?, m))
}

/// Argument `i` as a Go `string` parameter.
pub(crate) fn arg_str(args: &[Value], i: usize) -> Result<&str, Error> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(arg_type_error(i, "string", other)),
        None => Err(Error("wrong number of args".into())),
    }
}

fn not(a: &[Value]) -> Result<Value, Error> {
    want_args("not", a, 1)?;
    Ok(Value::Bool(!a.first().is_some_and(crate::exec::is_true)))
}

fn len(a: &[Value]) -> Result<Value, Error> {
    want_args("len", a, 1)?;
    match a.first() {
        Some(Value::String(s)) => Ok(Value::Int(s.len() as i64)),
        Some(Value::List(l)) => Ok(Value::Int(l.len() as i64)),
        Some(Value::Map(m)) => Ok(Value::Int(m.len() as i64)),
        Some(Value::Nil) | None => Err(Error("reflect: call of reflect.Value.Type on zero Value".into())),
        Some(v) => Err(Error(format!("len of type {}", gofmt::type_name(v)))),
    }
}

fn index_of(v: &Value, len: usize) -> Result<usize, Error> {
    match v {
        Value::Int(i) if *i >= 0 && (*i as usize) < len => Ok(*i as usize),
        Value::Int(i) => Err(Error(format!("index out of range: {i}"))),
        Value::Nil => Err(Error("cannot index slice/array with nil".into())),
        other => Err(Error(format!("cannot index slice/array with type {}", gofmt::type_name(other)))),
    }
}

fn index(a: &[Value]) -> Result<Value, Error> {
    let Some((first, idx)) = a.split_first() else {
        return Err(Error("wrong number of args for index: want at least 1 got 0".into()));
    };
    let mut item = first.clone();
    for i in idx {
        item = match &item {
            Value::List(l) => l.get(index_of(i, l.len())?).cloned().unwrap_or_default(),
            Value::String(s) => {
                let k = index_of(i, s.len())?;
                Value::Int(s.as_bytes().get(k).copied().map_or(0, i64::from))
            }
            Value::Map(m) => match i {
                Value::String(k) => m.get(k).cloned().unwrap_or_else(|| {
                    if m.values().all(|v| matches!(v, Value::String(_))) {
                        Value::String(String::new())
                    } else {
                        Value::Nil
                    }
                }),
                other => return Err(Error(format!("value has type {}; should be string", gofmt::type_name(other)))),
            },
            Value::Nil => return Err(Error("index of untyped nil".into())),
            other => return Err(Error(format!("can't index item of type {}", gofmt::type_name(other)))),
        };
    }
    Ok(item)
}

fn slice(a: &[Value]) -> Result<Value, Error> {
    let Some((item, idx)) = a.split_first() else {
        return Err(Error("wrong number of args for slice: want at least 1 got 0".into()));
    };
    let len = match item {
        Value::List(l) => l.len(),
        Value::String(s) => s.len(),
        Value::Nil => return Err(Error("slice of untyped nil".into())),
        other => return Err(Error(format!("can't slice item of type {}", gofmt::type_name(other)))),
    };
    if idx.len() > 3 || (idx.len() == 3 && matches!(item, Value::String(_))) {
        return Err(Error(format!("too many slice indexes: {}", idx.len())));
    }
    let mut bounds = [0usize, len, len];
    for (k, v) in idx.iter().enumerate() {
        let n = match v {
            Value::Int(n) if *n >= 0 && (*n as usize) <= len => *n as usize,
            Value::Int(n) => return Err(Error(format!("index out of range: {n}"))),
            other => return Err(Error(format!("cannot index slice/array with type {}", gofmt::type_name(other)))),
        };
        if let Some(b) = bounds.get_mut(k) {
            *b = n;
        }
    }
    let [lo, hi, _] = bounds;
    if lo > hi {
        return Err(Error(format!("invalid slice index: {lo} > {hi}")));
    }
    Ok(match item {
        Value::List(l) => Value::List(l.get(lo..hi).unwrap_or(&[]).to_vec()),
        Value::String(s) => Value::String(s.get(lo..hi).unwrap_or("").to_string()),
        _ => Value::Nil,
    })
}

fn printf(a: &[Value]) -> Result<Value, Error> {
    let Some((f, rest)) = a.split_first() else {
        return Err(Error("wrong number of args for printf: want at least 1 got 0".into()));
    };
    let Value::String(f) = f else {
        return Err(arg_type_error(0, "string", f));
    };
    Ok(Value::String(gofmt::sprintf(f, rest)))
}

/// Go's `evalArgs`: a single string as is, else `fmt.Sprint`.
fn eval_args(a: &[Value]) -> String {
    if let [Value::String(s)] = a {
        return s.clone();
    }
    // printableValue: a missing value is the string "<no value>".
    let a: Vec<Value> = a
        .iter()
        .map(|v| if matches!(v, Value::Nil) { Value::String("<no value>".into()) } else { v.clone() })
        .collect();
    if let [Value::String(s)] = a.as_slice() {
        return s.clone();
    }
    gofmt::sprint(&a)
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
    Other,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Nil => Kind::Invalid,
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        Value::List(_) | Value::Map(_) => Kind::Other,
    }
}

const BAD_COMPARISON: &str = "incompatible types for comparison";

fn eq(a: &[Value]) -> Result<Value, Error> {
    let Some((a1, rest)) = a.split_first() else {
        return Err(Error("wrong number of args for eq: want at least 1 got 0".into()));
    };
    if rest.is_empty() {
        return Err(Error("missing argument for comparison".into()));
    }
    let k1 = basic_kind(a1);
    for b in rest {
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if k1 != Kind::Invalid && k2 != Kind::Invalid {
                return Err(Error(BAD_COMPARISON.into()));
            }
            false
        } else {
            match (a1, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x), Value::Int(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                (Value::Nil, Value::Nil) => true,
                _ => {
                    return Err(Error(format!(
                        "non-comparable type {}: {}",
                        gofmt::sprint_value(b),
                        gofmt::type_name(b)
                    )));
                }
            }
        };
        if truth {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn ne(a: &[Value]) -> Result<Value, Error> {
    want_args("ne", a, 2)?;
    match eq(a)? {
        Value::Bool(b) => Ok(Value::Bool(!b)),
        _ => Ok(Value::Bool(false)),
    }
}

#[derive(PartialEq, Eq)]
enum Ord {
    Lt,
    Eq,
    Gt,
}

/// Go's lt/le/gt/ge: both operands of one basic kind (int with int, float
/// with float, string with string); bools and mixed kinds are errors.
fn cmp2(name: &str, a: &[Value]) -> Result<Ord, Error> {
    want_args(name, a, 2)?;
    let (Some(x), Some(y)) = (a.first(), a.get(1)) else {
        return Err(Error(BAD_COMPARISON.into()));
    };
    let (k1, k2) = (basic_kind(x), basic_kind(y));
    if matches!(k1, Kind::Invalid | Kind::Other) || matches!(k2, Kind::Invalid | Kind::Other) {
        return Err(Error("invalid type for comparison".into()));
    }
    if k1 != k2 {
        return Err(Error(BAD_COMPARISON.into()));
    }
    let o = match (x, y) {
        (Value::Int(p), Value::Int(q)) => p.cmp(q),
        (Value::String(p), Value::String(q)) => p.cmp(q),
        (Value::Float(p), Value::Float(q)) => {
            // Go: lt is `<`, le is `lt || eq`; NaN is neither.
            if p < q {
                std::cmp::Ordering::Less
            } else if p == q {
                std::cmp::Ordering::Equal
            } else if p > q {
                std::cmp::Ordering::Greater
            } else {
                // NaN: lt false, eq false -> le false, gt true, ge true.
                return Ok(Ord::Gt);
            }
        }
        _ => return Err(Error("invalid type for comparison".into())),
    };
    Ok(match o {
        std::cmp::Ordering::Less => Ord::Lt,
        std::cmp::Ordering::Equal => Ord::Eq,
        std::cmp::Ordering::Greater => Ord::Gt,
    })
}

/// text/template's `html` (`HTMLEscapeString`).
fn html_escape_go(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 || c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
