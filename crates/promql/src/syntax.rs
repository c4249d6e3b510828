//! A position-reporting syntax and type check with Prometheus 2.42's lexer,
//! grammar and `checkAST` rules, used to word parse errors.
//!
//! `promql-parser` builds the AST the evaluator runs, but its errors carry no
//! position (and a failed grammar parse is only "invalid promql query"). When
//! it rejects a query, [`explain`] re-reads the text the way 2.42's lexer and
//! parser do and returns the first error 2.42 would report, as
//! `line:col: parse error: message`, the column counted in bytes from 1 like
//! Go's `ParseErr`. It builds no AST, only node kinds, types and positions.
//!
//! Ported behaviour (from `promql/parser/lex.go`, `generated_parser.y`,
//! `parse.go` of 2.42): lexer errors at the lexer's start position (so an
//! unclosed parenthesis is reported at the end of input), the first grammar
//! error with yacc's `unexpected <item>[ in <context>][, expected <what>]`
//! wording, errors raised by grammar actions (unknown function, ranges on
//! non-selectors, repeated `offset`/`@`), and, only when the text parsed,
//! `checkAST`'s type rules in its traversal order. Where this module does not
//! find an error the caller keeps `promql-parser`'s message.

/// A 2.42 function: argument types, variadic count, return type.
#[derive(Debug)]
struct Func {
    name: &'static str,
    args: &'static [Ty],
    variadic: i32,
    ret: Ty,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Ty {
    Scalar,
    Vector,
    Matrix,
    Str,
}

impl Ty {
    /// `DocumentedType`.
    fn documented(self) -> &'static str {
        match self {
            Ty::Vector => "instant vector",
            Ty::Matrix => "range vector",
            Ty::Scalar => "scalar",
            Ty::Str => "string",
        }
    }

    /// `ValueType`'s own string (used by the subquery message).
    fn raw(self) -> &'static str {
        match self {
            Ty::Vector => "vector",
            Ty::Matrix => "matrix",
            Ty::Scalar => "scalar",
            Ty::Str => "string",
        }
    }
}

macro_rules! f {
    ($name:literal, [$($a:ident),*], $var:literal, $ret:ident) => {
        Func { name: $name, args: &[$(Ty::$a),*], variadic: $var, ret: Ty::$ret }
    };
}

/// Prometheus 2.42's `Functions` table.
const FUNCTIONS: &[Func] = &[
    f!("abs", [Vector], 0, Vector),
    f!("absent", [Vector], 0, Vector),
    f!("absent_over_time", [Matrix], 0, Vector),
    f!("acos", [Vector], 0, Vector),
    f!("acosh", [Vector], 0, Vector),
    f!("asin", [Vector], 0, Vector),
    f!("asinh", [Vector], 0, Vector),
    f!("atan", [Vector], 0, Vector),
    f!("atanh", [Vector], 0, Vector),
    f!("avg_over_time", [Matrix], 0, Vector),
    f!("ceil", [Vector], 0, Vector),
    f!("changes", [Matrix], 0, Vector),
    f!("clamp", [Vector, Scalar, Scalar], 0, Vector),
    f!("clamp_max", [Vector, Scalar], 0, Vector),
    f!("clamp_min", [Vector, Scalar], 0, Vector),
    f!("cos", [Vector], 0, Vector),
    f!("cosh", [Vector], 0, Vector),
    f!("count_over_time", [Matrix], 0, Vector),
    f!("days_in_month", [Vector], 1, Vector),
    f!("day_of_month", [Vector], 1, Vector),
    f!("day_of_week", [Vector], 1, Vector),
    f!("day_of_year", [Vector], 1, Vector),
    f!("deg", [Vector], 0, Vector),
    f!("delta", [Matrix], 0, Vector),
    f!("deriv", [Matrix], 0, Vector),
    f!("exp", [Vector], 0, Vector),
    f!("floor", [Vector], 0, Vector),
    f!("histogram_count", [Vector], 0, Vector),
    f!("histogram_sum", [Vector], 0, Vector),
    f!("histogram_fraction", [Scalar, Scalar, Vector], 0, Vector),
    f!("histogram_quantile", [Scalar, Vector], 0, Vector),
    f!("holt_winters", [Matrix, Scalar, Scalar], 0, Vector),
    f!("hour", [Vector], 1, Vector),
    f!("idelta", [Matrix], 0, Vector),
    f!("increase", [Matrix], 0, Vector),
    f!("irate", [Matrix], 0, Vector),
    f!("label_replace", [Vector, Str, Str, Str, Str], 0, Vector),
    f!("label_join", [Vector, Str, Str, Str], -1, Vector),
    f!("last_over_time", [Matrix], 0, Vector),
    f!("ln", [Vector], 0, Vector),
    f!("log10", [Vector], 0, Vector),
    f!("log2", [Vector], 0, Vector),
    f!("max_over_time", [Matrix], 0, Vector),
    f!("min_over_time", [Matrix], 0, Vector),
    f!("minute", [Vector], 1, Vector),
    f!("month", [Vector], 1, Vector),
    f!("pi", [], 0, Scalar),
    f!("predict_linear", [Matrix, Scalar], 0, Vector),
    f!("present_over_time", [Matrix], 0, Vector),
    f!("quantile_over_time", [Scalar, Matrix], 0, Vector),
    f!("rad", [Vector], 0, Vector),
    f!("rate", [Matrix], 0, Vector),
    f!("resets", [Matrix], 0, Vector),
    f!("round", [Vector, Scalar], 1, Vector),
    f!("scalar", [Vector], 0, Scalar),
    f!("sgn", [Vector], 0, Vector),
    f!("sin", [Vector], 0, Vector),
    f!("sinh", [Vector], 0, Vector),
    f!("sort", [Vector], 0, Vector),
    f!("sort_desc", [Vector], 0, Vector),
    f!("sqrt", [Vector], 0, Vector),
    f!("stddev_over_time", [Matrix], 0, Vector),
    f!("stdvar_over_time", [Matrix], 0, Vector),
    f!("sum_over_time", [Matrix], 0, Vector),
    f!("tan", [Vector], 0, Vector),
    f!("tanh", [Vector], 0, Vector),
    f!("time", [], 0, Scalar),
    f!("timestamp", [Vector], 0, Vector),
    f!("vector", [Scalar], 0, Vector),
    f!("year", [Vector], 1, Vector),
];

const AGGREGATORS: &[&str] =
    &["sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values", "quantile"];
const KEYWORDS: &[&str] = &["offset", "by", "without", "on", "ignoring", "group_left", "group_right", "bool"];
const WORD_OPERATORS: &[&str] = &["and", "or", "unless", "atan2"];

#[derive(Clone, Copy, PartialEq, Debug)]
enum T {
    Eof,
    Ident,
    MetricIdent,
    Number,
    Duration,
    Str,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    /// `=` (label matching only).
    Eql,
    Colon,
    /// An operator; `val` says which (`+`, `==`, `=~`, `and`, ...).
    Op,
    At,
    Agg,
    Keyword,
    /// `start` / `end`.
    Preprocessor,
}

#[derive(Clone, Debug)]
struct Item {
    t: T,
    pos: usize,
    val: String,
}

impl Item {
    /// Go's `Item.desc()`.
    fn desc(&self) -> String {
        match self.t {
            T::Eof => "end of input".into(),
            T::Ident => format!("identifier {}", go_quote(&self.val)),
            T::MetricIdent => format!("metric identifier {}", go_quote(&self.val)),
            T::Number => format!("number {}", short_quote(&self.val)),
            T::Duration => format!("duration {}", short_quote(&self.val)),
            T::Str => format!("string {}", short_quote(&self.val)),
            T::Keyword => format!("<{}>", self.val.to_lowercase()),
            T::Op => format!("<op:{}>", self.val.to_lowercase()),
            T::Agg => format!("<aggr:{}>", self.val.to_lowercase()),
            _ => go_quote(&self.val),
        }
    }
}

/// Go's `%q` of a string.
fn go_quote(s: &str) -> String {
    argus_model::exposition::go_quote(s.as_bytes())
}

/// Go's `%.10q...` for long values, `%q` otherwise (`Item.String`).
fn short_quote(s: &str) -> String {
    if s.chars().count() > 10 {
        format!("{}...", go_quote(&s.chars().take(10).collect::<String>()))
    } else {
        go_quote(s)
    }
}

/// Go's `%q` of a rune.
fn go_rune(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '\\' => "'\\\\'".into(),
        '\n' => "'\\n'".into(),
        '\t' => "'\\t'".into(),
        c if (c as u32) < 0x20 => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

type Fail = (usize, String);

fn is_alpha(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_alnum(c: char) -> bool {
    is_alpha(c) || c.is_ascii_digit()
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// 2.42's lexer, one item per call.
struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    paren_depth: i32,
    brace_open: bool,
    bracket_open: bool,
    got_colon: bool,
    /// The next item must be a duration (just after `[`).
    want_duration: bool,
    done: bool,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Self {
        Lexer {
            input,
            pos: 0,
            start: 0,
            paren_depth: 0,
            brace_open: false,
            bracket_open: false,
            got_colon: false,
            want_duration: false,
            done: false,
        }
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn emit(&mut self, t: T) -> Item {
        let it = Item { t, pos: self.start, val: self.input[self.start..self.pos].to_string() };
        self.start = self.pos;
        it
    }

    fn err(&mut self, msg: String) -> Fail {
        self.done = true;
        (self.start, msg)
    }

    fn skip_spaces_and_comments(&mut self) {
        loop {
            match self.peek() {
                Some(c) if is_space(c) => {
                    self.pos += 1;
                }
                Some('#') => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.pos += c.len_utf8();
                    }
                }
                _ => break,
            }
            self.start = self.pos;
        }
    }

    fn next_item(&mut self) -> Result<Item, Fail> {
        if self.done {
            return Ok(Item { t: T::Eof, pos: self.input.len(), val: String::new() });
        }
        self.skip_spaces_and_comments();
        if self.want_duration {
            self.want_duration = false;
            return self.lex_duration();
        }
        if self.brace_open {
            return self.lex_inside_braces();
        }
        let Some(r) = self.next_char() else {
            if self.paren_depth != 0 {
                return Err(self.err("unclosed left parenthesis".into()));
            }
            if self.bracket_open {
                return Err(self.err("unclosed left bracket".into()));
            }
            self.done = true;
            return Ok(self.emit(T::Eof));
        };
        let item = match r {
            ',' => self.emit(T::Comma),
            '*' | '/' | '%' | '+' | '-' | '^' => self.emit(T::Op),
            '=' => match self.peek() {
                Some('=') => {
                    self.pos += 1;
                    self.emit(T::Op)
                }
                Some('~') => return Err(self.err("unexpected character after '=': '~'".into())),
                _ => self.emit(T::Eql),
            },
            '!' => match self.next_char() {
                Some('=') => self.emit(T::Op),
                t => {
                    let t = t.map_or("U+FFFFFFFF".to_string(), go_rune);
                    return Err(self.err(format!("unexpected character after '!': {t}")));
                }
            },
            '<' | '>' => {
                self.accept("=");
                self.emit(T::Op)
            }
            c if c.is_ascii_digit() || (c == '.' && self.peek().is_some_and(|d| d.is_ascii_digit())) => {
                self.pos = self.start;
                return self.lex_number_or_duration();
            }
            '"' | '\'' => return self.lex_string(r),
            '`' => return self.lex_raw_string(),
            c if is_alpha(c) || c == ':' => {
                if !self.bracket_open {
                    return Ok(self.lex_keyword_or_identifier());
                }
                if self.got_colon {
                    return Err(self.err(format!("unexpected colon {}", go_rune(c))));
                }
                if c != ':' {
                    return Err(self.err(format!("unexpected character: {}, expected ':'", go_rune(c))));
                }
                self.got_colon = true;
                self.emit(T::Colon)
            }
            '(' => {
                self.paren_depth += 1;
                self.emit(T::LParen)
            }
            ')' => {
                let it = self.emit(T::RParen);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return Err(self.err("unexpected right parenthesis ')'".into()));
                }
                it
            }
            '{' => {
                self.brace_open = true;
                self.emit(T::LBrace)
            }
            '[' => {
                if self.bracket_open {
                    return Err(self.err("unexpected left bracket '['".into()));
                }
                self.got_colon = false;
                let it = self.emit(T::LBracket);
                self.bracket_open = true;
                self.want_duration = true;
                it
            }
            ']' => {
                if !self.bracket_open {
                    return Err(self.err("unexpected right bracket ']'".into()));
                }
                self.bracket_open = false;
                self.emit(T::RBracket)
            }
            '@' => self.emit(T::At),
            c => return Err(self.err(format!("unexpected character: {}", go_rune(c)))),
        };
        Ok(item)
    }

    fn lex_inside_braces(&mut self) -> Result<Item, Fail> {
        let Some(r) = self.next_char() else {
            return Err(self.err("unexpected end of input inside braces".into()));
        };
        Ok(match r {
            c if is_alpha(c) => {
                while self.peek().is_some_and(is_alnum) {
                    self.pos += 1;
                }
                self.emit(T::Ident)
            }
            ',' => self.emit(T::Comma),
            '"' | '\'' => return self.lex_string(r),
            '`' => return self.lex_raw_string(),
            '=' => {
                if self.accept("~") {
                    self.emit(T::Op)
                } else {
                    self.emit(T::Eql)
                }
            }
            '!' => match self.next_char() {
                Some('~') | Some('=') => self.emit(T::Op),
                nr => {
                    let nr = nr.map_or("U+FFFFFFFF".to_string(), go_rune);
                    return Err(self.err(format!("unexpected character after '!' inside braces: {nr}")));
                }
            },
            '{' => return Err(self.err("unexpected left brace '{'".into())),
            '}' => {
                self.brace_open = false;
                self.emit(T::RBrace)
            }
            c => return Err(self.err(format!("unexpected character inside braces: {}", go_rune(c)))),
        })
    }

    fn lex_string(&mut self, quote: char) -> Result<Item, Fail> {
        loop {
            match self.next_char() {
                Some('\\') => {
                    if let Err(msg) = self.lex_escape(quote) {
                        return Err(self.err(msg));
                    }
                }
                None | Some('\n') => return Err(self.err("unterminated quoted string".into())),
                Some(c) if c == quote => break,
                Some(_) => {}
            }
        }
        Ok(self.emit(T::Str))
    }

    fn lex_escape(&mut self, quote: char) -> Result<(), String> {
        let Some(c) = self.next_char() else { return Err("escape sequence not terminated".into()) };
        let (n, base, max): (usize, u32, u32) = match c {
            'a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' => return Ok(()),
            c if c == quote => return Ok(()),
            '0'..='7' => {
                self.pos -= 1;
                (3, 8, 255)
            }
            'x' => (2, 16, 255),
            'u' => (4, 16, 0x10FFFF),
            'U' => (8, 16, 0x10FFFF),
            c => return Err(format!("unknown escape sequence {}", go_unicode(c))),
        };
        let mut x: u32 = 0;
        for _ in 0..n {
            let Some(d) = self.next_char() else { return Err("escape sequence not terminated".into()) };
            let Some(v) = d.to_digit(base) else {
                return Err(format!("illegal character {} in escape sequence", go_unicode(d)));
            };
            x = x * base + v;
        }
        if x > max || (0xD800..0xE000).contains(&x) {
            return Err("escape sequence is an invalid Unicode code point".into());
        }
        Ok(())
    }

    fn lex_raw_string(&mut self) -> Result<Item, Fail> {
        loop {
            match self.next_char() {
                None => return Err(self.err("unterminated raw string".into())),
                Some('`') => break,
                Some(_) => {}
            }
        }
        Ok(self.emit(T::Str))
    }

    /// `scanNumber`: true when what was read is a complete number.
    fn scan_number(&mut self) -> bool {
        let mut digits = "0123456789";
        if self.accept("0") && self.accept("xX") {
            digits = "0123456789abcdefABCDEF";
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789");
        }
        !self.peek().is_some_and(is_alnum)
    }

    /// `acceptRemainingDuration`.
    fn accept_remaining_duration(&mut self) -> bool {
        if !self.accept("smhdwy") {
            return false;
        }
        self.accept("s");
        while self.accept("0123456789") {
            self.accept_run("0123456789");
            if !self.accept("smhdw") {
                return false;
            }
            self.accept("s");
        }
        // `!isAlphaNumeric(l.next())`: the rune is consumed; on success the caller backs up.
        match self.next_char() {
            Some(c) if is_alnum(c) => false,
            Some(c) => {
                self.pos -= c.len_utf8();
                true
            }
            None => true,
        }
    }

    fn lex_number_or_duration(&mut self) -> Result<Item, Fail> {
        if self.scan_number() {
            return Ok(self.emit(T::Number));
        }
        if self.accept_remaining_duration() {
            return Ok(self.emit(T::Duration));
        }
        let text = self.input[self.start..self.pos].to_string();
        Err(self.err(format!("bad number or duration syntax: {}", go_quote(&text))))
    }

    fn lex_duration(&mut self) -> Result<Item, Fail> {
        if self.scan_number() {
            return Err(self.err("missing unit character in duration".into()));
        }
        if !self.accept_remaining_duration() {
            let text = self.input[self.start..self.pos].to_string();
            return Err(self.err(format!("bad duration syntax: {}", go_quote(&text))));
        }
        Ok(self.emit(T::Duration))
    }

    fn lex_keyword_or_identifier(&mut self) -> Item {
        while self.peek().is_some_and(|c| is_alnum(c) || c == ':') {
            self.pos += 1;
        }
        let word = self.input[self.start..self.pos].to_lowercase();
        let t = if WORD_OPERATORS.contains(&word.as_str()) {
            T::Op
        } else if AGGREGATORS.contains(&word.as_str()) {
            T::Agg
        } else if KEYWORDS.contains(&word.as_str()) {
            T::Keyword
        } else if word == "start" || word == "end" {
            T::Preprocessor
        } else if word == "inf" || word == "nan" {
            T::Number
        } else if word.contains(':') {
            T::MetricIdent
        } else {
            T::Ident
        };
        self.emit(t)
    }
}

/// Go's `%#U`.
fn go_unicode(c: char) -> String {
    format!("U+{:04X} {}", c as u32, go_rune(c))
}

/// What `checkAST` needs of a node.
#[derive(Debug)]
enum Kind {
    Number,
    Str,
    /// `has_name`, any matcher that does not match "", the metric name set twice (`name`, `other`).
    Vector {
        nonempty: bool,
        twice: Option<(String, String)>,
        offset: bool,
        at: bool,
    },
    Matrix(Box<Node>),
    /// A subquery and whether it has `offset` / `@` set.
    Subquery(Box<Node>, bool, bool),
    Paren(Box<Node>),
    Unary(Box<Node>),
    Call(&'static Func, Vec<Node>),
    Agg {
        op: String,
        param: Option<Box<Node>>,
        expr: Box<Node>,
    },
    Binary(Box<Binary>),
}

#[derive(Debug)]
struct Binary {
    op: String,
    lhs: Node,
    rhs: Node,
    bool_mod: bool,
    /// `on(...)` / `ignoring(...)` given, and whether it was `on`.
    matching: Option<(bool, Vec<String>)>,
    /// `group_left` / `group_right` labels.
    group: Option<Vec<String>>,
    op_pos: usize,
}

#[derive(Debug)]
struct Node {
    start: usize,
    end: usize,
    kind: Kind,
}

impl Node {
    fn ty(&self) -> Ty {
        match &self.kind {
            Kind::Number => Ty::Scalar,
            Kind::Str => Ty::Str,
            Kind::Vector { .. } => Ty::Vector,
            Kind::Matrix(_) => Ty::Matrix,
            Kind::Subquery(..) => Ty::Matrix,
            Kind::Paren(e) | Kind::Unary(e) => e.ty(),
            Kind::Call(f, _) => f.ret,
            Kind::Agg { .. } => Ty::Vector,
            Kind::Binary(b) => {
                if b.lhs.ty() == Ty::Scalar && b.rhs.ty() == Ty::Scalar {
                    Ty::Scalar
                } else {
                    Ty::Vector
                }
            }
        }
    }
}

struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Item,
    /// Errors of grammar actions, in parse order.
    errors: Vec<Fail>,
}

/// Binary operator precedence (higher binds tighter), `None` if not binary.
fn precedence(it: &Item) -> Option<u8> {
    if it.t != T::Op {
        return None;
    }
    Some(match it.val.to_lowercase().as_str() {
        "or" => 1,
        "and" | "unless" => 2,
        "==" | "!=" | "<=" | "<" | ">=" | ">" => 3,
        "+" | "-" => 4,
        "*" | "/" | "%" | "atan2" => 5,
        "^" => 6,
        _ => return None,
    })
}

/// Unary minus/plus binds like `*` (`%prec MUL`).
const UNARY_PREC: u8 = 5;

impl<'a> Parser<'a> {
    fn advance(&mut self) -> Result<Item, Fail> {
        let next = self.lex.next_item()?;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    fn unexpected(&self, context: &str, expected: &str) -> Fail {
        let mut m = format!("unexpected {}", self.tok.desc());
        if !context.is_empty() {
            m.push_str(" in ");
            m.push_str(context);
        }
        if !expected.is_empty() {
            m.push_str(", expected ");
            m.push_str(expected);
        }
        (self.tok.pos, m)
    }

    fn expr(&mut self, min_prec: u8) -> Result<Node, Fail> {
        let mut lhs = self.unary()?;
        while let Some(prec) = precedence(&self.tok) {
            if prec < min_prec {
                break;
            }
            let op_item = self.advance()?;
            let op = op_item.val.to_lowercase();
            let (bool_mod, matching, group) = self.bin_modifiers()?;
            // `^` is right-associative, the others left.
            let next_min = if op == "^" { prec } else { prec + 1 };
            let rhs = self.expr(next_min)?;
            let (start, end) = (lhs.start, rhs.end);
            lhs = Node {
                start,
                end,
                kind: Kind::Binary(Box::new(Binary { op, lhs, rhs, bool_mod, matching, group, op_pos: op_item.pos })),
            };
        }
        Ok(lhs)
    }

    #[allow(clippy::type_complexity)]
    fn bin_modifiers(&mut self) -> Result<(bool, Option<(bool, Vec<String>)>, Option<Vec<String>>), Fail> {
        let mut bool_mod = false;
        if self.tok.t == T::Keyword && self.tok.val.eq_ignore_ascii_case("bool") {
            bool_mod = true;
            self.advance()?;
        }
        if self.tok.t == T::Keyword && (self.is_kw("on") || self.is_kw("ignoring")) {
            let on = self.is_kw("on");
            self.advance()?;
            let matching = Some((on, self.grouping_labels()?));
            let mut group = None;
            if self.is_kw("group_left") || self.is_kw("group_right") {
                self.advance()?;
                group = Some(if self.tok.t == T::LParen { self.grouping_labels()? } else { Vec::new() });
            }
            return Ok((bool_mod, matching, group));
        }
        Ok((bool_mod, None, None))
    }

    fn is_kw(&self, kw: &str) -> bool {
        self.tok.t == T::Keyword && self.tok.val.eq_ignore_ascii_case(kw)
    }

    fn grouping_labels(&mut self) -> Result<Vec<String>, Fail> {
        if self.tok.t != T::LParen {
            return Err(self.unexpected("grouping opts", "\"(\""));
        }
        self.advance()?;
        let mut labels = Vec::new();
        loop {
            if self.tok.t == T::RParen {
                self.advance()?;
                return Ok(labels);
            }
            // `maybe_label`: identifiers, keywords, aggregators and word operators.
            let is_label = matches!(self.tok.t, T::Ident | T::Keyword | T::Agg | T::Preprocessor)
                || (self.tok.t == T::Op && self.tok.val.chars().all(is_alpha))
                || (self.tok.t == T::Number && self.tok.val.chars().all(is_alpha));
            if !is_label {
                return Err(self.unexpected("grouping opts", "label"));
            }
            labels.push(self.advance()?.val);
            match self.tok.t {
                T::Comma => {
                    self.advance()?;
                }
                T::RParen => {}
                _ => return Err(self.unexpected("grouping opts", "\",\" or \")\"")),
            }
        }
    }

    fn unary(&mut self) -> Result<Node, Fail> {
        if self.tok.t == T::Op && (self.tok.val == "-" || self.tok.val == "+") {
            let op = self.advance()?;
            let inner = self.expr(UNARY_PREC)?;
            let end = inner.end;
            if matches!(inner.kind, Kind::Number) {
                return Ok(Node { start: op.pos, end, kind: Kind::Number });
            }
            return Ok(Node { start: op.pos, end, kind: Kind::Unary(Box::new(inner)) });
        }
        let prim = self.primary()?;
        self.postfix(prim)
    }

    fn postfix(&mut self, mut e: Node) -> Result<Node, Fail> {
        loop {
            match self.tok.t {
                T::LBracket => {
                    let lb = self.advance()?;
                    if self.tok.t != T::Duration {
                        return Err(self.unexpected("subquery selector", "duration"));
                    }
                    self.duration()?;
                    match self.tok.t {
                        T::RBracket => {
                            let rb = self.advance()?;
                            let msg = match &e.kind {
                                Kind::Vector { offset: true, .. } => Some("no offset modifiers allowed before range"),
                                Kind::Vector { at: true, .. } => Some("no @ modifiers allowed before range"),
                                Kind::Vector { .. } => None,
                                _ => Some("ranges only allowed for vector selectors"),
                            };
                            if let Some(m) = msg {
                                self.errors.push((lb.pos, m.into()));
                            }
                            e = Node { start: e.start, end: rb.pos + 1, kind: Kind::Matrix(Box::new(e)) };
                        }
                        T::Colon => {
                            self.advance()?;
                            if self.tok.t == T::Duration {
                                self.duration()?;
                            }
                            if self.tok.t != T::RBracket {
                                return Err(self.unexpected("subquery selector", "\"]\""));
                            }
                            let rb = self.advance()?;
                            e = Node {
                                start: e.start,
                                end: rb.pos + 1,
                                kind: Kind::Subquery(Box::new(e), false, false),
                            };
                        }
                        _ => return Err(self.unexpected("subquery or range", "\":\" or \"]\"")),
                    }
                }
                T::Keyword if self.is_kw("offset") => {
                    self.advance()?;
                    if self.tok.t == T::Op && self.tok.val == "-" {
                        self.advance()?;
                    }
                    if self.tok.t != T::Duration {
                        return Err(self.unexpected("offset", "duration"));
                    }
                    let end = self.tok.pos + self.tok.val.len();
                    self.duration()?;
                    if let Some(m) = set_modifier(&mut e, true) {
                        self.errors.push((e.start, m.into()));
                    }
                    e.end = end;
                }
                T::At => {
                    self.advance()?;
                    let mut end = self.tok.pos + self.tok.val.len();
                    let mut ts = None;
                    match self.tok.t {
                        T::Op if self.tok.val == "-" || self.tok.val == "+" => {
                            let negative = self.advance()?.val == "-";
                            if self.tok.t != T::Number {
                                return Err(self.unexpected("@", "timestamp"));
                            }
                            end = self.tok.pos + self.tok.val.len();
                            ts = self.number()?.map(|v| if negative { -v } else { v });
                        }
                        T::Number => ts = self.number()?,
                        T::Preprocessor => {
                            self.advance()?;
                            if self.tok.t != T::LParen {
                                return Err(self.unexpected("@", "timestamp"));
                            }
                            self.advance()?;
                            if self.tok.t != T::RParen {
                                return Err(self.unexpected("@", "timestamp"));
                            }
                            end = self.tok.pos + 1;
                            self.advance()?;
                        }
                        _ => return Err(self.unexpected("@", "timestamp")),
                    }
                    if let Some(m) = set_modifier(&mut e, false) {
                        self.errors.push((e.start, m.into()));
                    }
                    if let Some(ts) = ts.filter(|t| !t.is_finite() || t.abs() >= i64::MAX as f64) {
                        self.errors.push((e.start, format!("timestamp out of bounds for @ modifier: {}", go_f(ts))));
                    }
                    e.end = end;
                }
                _ => return Ok(e),
            }
        }
    }

    fn duration(&mut self) -> Result<(), Fail> {
        let it = self.advance()?;
        if !valid_duration(&it.val) {
            self.errors.push((it.pos, format!("not a valid duration string: {}", go_quote(&it.val))));
        }
        Ok(())
    }

    /// Reads a number; its value when it parses.
    fn number(&mut self) -> Result<Option<f64>, Fail> {
        let it = self.advance()?;
        let v = parse_go_float(&it.val);
        if v.is_none() {
            self.errors.push((
                it.pos,
                format!("error parsing number: strconv.ParseFloat: parsing {}: invalid syntax", go_quote(&it.val)),
            ));
        }
        Ok(v)
    }

    fn primary(&mut self) -> Result<Node, Fail> {
        let start = self.tok.pos;
        match self.tok.t {
            T::Number => {
                let end = start + self.tok.val.len();
                self.number()?;
                Ok(Node { start, end, kind: Kind::Number })
            }
            T::Str => {
                let it = self.advance()?;
                Ok(Node { start, end: start + it.val.len(), kind: Kind::Str })
            }
            T::LParen => {
                self.advance()?;
                let inner = self.expr(0)?;
                if self.tok.t != T::RParen {
                    return Err(self.unexpected("", ""));
                }
                let rp = self.advance()?;
                Ok(Node { start, end: rp.pos + 1, kind: Kind::Paren(Box::new(inner)) })
            }
            T::LBrace => self.vector_selector(None),
            T::Ident if self.lex_peek_is_lparen() => self.call(),
            T::Agg if self.lex_peek_starts_aggregation() => self.aggregation(),
            T::Ident | T::MetricIdent | T::Agg | T::Preprocessor => {
                let name = self.advance()?;
                self.vector_selector(Some(name))
            }
            T::Keyword if self.is_kw("by") || self.is_kw("without") || self.is_kw("offset") => {
                let name = self.advance()?;
                self.vector_selector(Some(name))
            }
            T::Op if matches!(self.tok.val.to_lowercase().as_str(), "and" | "or" | "unless") => {
                let name = self.advance()?;
                self.vector_selector(Some(name))
            }
            _ => Err(self.unexpected("", "")),
        }
    }

    /// Whether the raw text after the current token starts with `(`.
    fn lex_peek_is_lparen(&self) -> bool {
        self.rest_after_token().starts_with('(')
    }

    fn lex_peek_starts_aggregation(&self) -> bool {
        let rest = self.rest_after_token();
        rest.starts_with('(') || {
            let word: String = rest.chars().take_while(|c| is_alnum(*c)).collect();
            word.eq_ignore_ascii_case("by") || word.eq_ignore_ascii_case("without")
        }
    }

    fn rest_after_token(&self) -> &str {
        let mut rest = &self.lex.input[self.tok.pos + self.tok.val.len()..];
        loop {
            let trimmed = rest.trim_start_matches(is_space);
            if let Some(comment) = trimmed.strip_prefix('#') {
                rest = comment.find('\n').map_or("", |i| &comment[i..]);
            } else {
                return trimmed;
            }
        }
    }

    fn call(&mut self) -> Result<Node, Fail> {
        let name = self.advance()?;
        let func = FUNCTIONS.iter().find(|f| f.name == name.val);
        if func.is_none() {
            self.errors.push((name.pos, format!("unknown function with name {}", go_quote(&name.val))));
        }
        let (args, end) = self.call_body()?;
        let func = func.unwrap_or(&FUNCTIONS[0]);
        Ok(Node { start: name.pos, end, kind: Kind::Call(func, args) })
    }

    /// `( args )`, returning the arguments and the end position.
    fn call_body(&mut self) -> Result<(Vec<Node>, usize), Fail> {
        if self.tok.t != T::LParen {
            return Err(self.unexpected("", ""));
        }
        self.advance()?;
        let mut args = Vec::new();
        if self.tok.t == T::RParen {
            let rp = self.advance()?;
            return Ok((args, rp.pos + 1));
        }
        loop {
            args.push(self.expr(0)?);
            match self.tok.t {
                T::Comma => {
                    let comma = self.advance()?;
                    if self.tok.t == T::RParen {
                        self.errors.push((comma.pos, "trailing commas not allowed in function call args".into()));
                        let rp = self.advance()?;
                        return Ok((args, rp.pos + 1));
                    }
                }
                T::RParen => {
                    let rp = self.advance()?;
                    return Ok((args, rp.pos + 1));
                }
                _ => return Err(self.unexpected("", "")),
            }
        }
    }

    fn aggregation(&mut self) -> Result<Node, Fail> {
        let op = self.advance()?;
        let mut modifier_first = false;
        if self.is_kw("by") || self.is_kw("without") {
            self.advance()?;
            self.grouping_labels()?;
            modifier_first = true;
        }
        if self.tok.t != T::LParen {
            return Err(self.unexpected("aggregation", ""));
        }
        let (mut args, mut end) = self.call_body()?;
        if !modifier_first && (self.is_kw("by") || self.is_kw("without")) {
            self.advance()?;
            let before = self.tok.pos;
            self.grouping_labels()?;
            end = end.max(before);
        }
        let op_name = op.val.to_lowercase();
        let want = if matches!(op_name.as_str(), "topk" | "bottomk" | "quantile" | "count_values") { 2 } else { 1 };
        if args.len() != want {
            self.errors.push((
                op.pos,
                format!(
                    "wrong number of arguments for aggregate expression provided, expected {want}, got {}",
                    args.len()
                ),
            ));
            return Ok(Node { start: op.pos, end, kind: Kind::Number });
        }
        let expr = args.pop().expect("one argument");
        let param = args.pop().map(Box::new);
        Ok(Node { start: op.pos, end, kind: Kind::Agg { op: op_name, param, expr: Box::new(expr) } })
    }

    fn vector_selector(&mut self, name: Option<Item>) -> Result<Node, Fail> {
        let start = name.as_ref().map_or(self.tok.pos, |n| n.pos);
        let mut end = name.as_ref().map_or(start, |n| n.pos + n.val.len());
        let mut nonempty = name.is_some();
        let mut twice = None;
        if self.tok.t == T::LBrace {
            self.advance()?;
            loop {
                if self.tok.t == T::RBrace {
                    end = self.advance()?.pos + 1;
                    break;
                }
                if self.tok.t != T::Ident {
                    return Err(self.unexpected("label matching", "identifier or \"}\""));
                }
                let label = self.advance()?;
                let op = match (self.tok.t, self.tok.val.as_str()) {
                    (T::Eql, _) => "=",
                    (T::Op, "!=") => "!=",
                    (T::Op, "=~") => "=~",
                    (T::Op, "!~") => "!~",
                    _ => return Err(self.unexpected("label matching", "label matching operator")),
                };
                self.advance()?;
                if self.tok.t != T::Str {
                    return Err(self.unexpected("label matching", "string"));
                }
                let value_item = self.advance()?;
                let value = unquote(&value_item.val);
                if op.contains('~') {
                    let anchored = format!("^(?:{value})$");
                    if let Err(e) = regex::Regex::new(&anchored) {
                        self.errors.push((label.pos, format!("error parsing regexp: {}", regex_error(&e, &anchored))));
                    }
                }
                let matches_empty = match op {
                    "=" => value.is_empty(),
                    "!=" => !value.is_empty(),
                    _ => regex::Regex::new(&format!("^(?:{value})$")).map_or(true, |re| {
                        let m = re.is_match("");
                        if op == "=~" { m } else { !m }
                    }),
                };
                if !matches_empty {
                    nonempty = true;
                }
                if let Some(n) = name.as_ref().filter(|_| label.val == "__name__" && twice.is_none()) {
                    twice = Some((n.val.clone(), value.clone()));
                }
                match self.tok.t {
                    T::Comma => {
                        self.advance()?;
                    }
                    T::RBrace => {}
                    _ => return Err(self.unexpected("label matching", "\",\" or \"}\"")),
                }
            }
        }
        Ok(Node { start, end, kind: Kind::Vector { nonempty, twice, offset: false, at: false } })
    }
}

/// Sets `offset` (or `@`) on the selector or subquery under `e`; the
/// grammar action's error message when that is not allowed.
fn set_modifier(e: &mut Node, offset: bool) -> Option<&'static str> {
    let target = match &mut e.kind {
        Kind::Matrix(inner) => &mut inner.kind,
        k => k,
    };
    match target {
        Kind::Vector { offset: o, at: a, .. } | Kind::Subquery(_, o, a) => {
            let flag = if offset { o } else { a };
            if *flag {
                return Some(if offset {
                    "offset may not be set multiple times"
                } else {
                    "@ <timestamp> may not be set multiple times"
                });
            }
            *flag = true;
            None
        }
        _ => Some(if offset {
            "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"
        } else {
            "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery"
        }),
    }
}

/// Prometheus' `model.ParseDuration` format.
fn valid_duration(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let units = ["y", "w", "d", "h", "m", "s", "ms"];
    let mut next_unit = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit_len = if rest.starts_with("ms") { 2 } else { 1.min(rest.len()) };
        let unit = &rest[..unit_len];
        let Some(idx) = units.iter().position(|u| *u == unit) else { return false };
        if idx < next_unit {
            return false;
        }
        next_unit = idx + 1;
        rest = &rest[unit_len..];
    }
    true
}

/// Go's `%f`.
fn go_f(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v:.6}")
    }
}

/// Go's `strconv.ParseFloat` acceptance (plus hex integers and octal, as the lexer reads them).
fn parse_go_float(s: &str) -> Option<f64> {
    let l = s.to_lowercase();
    if l == "inf" {
        return Some(f64::INFINITY);
    }
    if l == "nan" {
        return Some(f64::NAN);
    }
    if let Some(hex) = l.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    if l.ends_with('e') || l.ends_with('+') || l.ends_with('-') {
        return None;
    }
    l.parse::<f64>().ok()
}

/// The value of a string literal (escapes resolved loosely; only used for matcher checks).
fn unquote(lit: &str) -> String {
    if lit.starts_with('`') {
        return lit.trim_matches('`').to_string();
    }
    let inner = &lit[1..lit.len().saturating_sub(1).max(1)];
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

/// Go's `regexp/syntax` wording for the most common errors (`code: `expr``);
/// other errors keep the Rust regex engine's description.
fn regex_error(e: &regex::Error, pattern: &str) -> String {
    let text = e.to_string();
    if text.contains("unclosed group") {
        format!("missing closing ): `{pattern}`")
    } else if text.contains("unopened group") {
        format!("unexpected ): `{pattern}`")
    } else if text.contains("unclosed character class") {
        let class = pattern.rfind('[').map_or(pattern, |i| &pattern[i..]);
        format!("missing closing ]: `{class}`")
    } else if text.contains("repetition operator missing expression") {
        let value = pattern.strip_prefix("^(?:").unwrap_or(pattern);
        let op = value.chars().find(|c| matches!(c, '*' | '+' | '?' | '{')).unwrap_or('*');
        format!("missing argument to repetition operator: `{op}`")
    } else {
        text.lines()
            .rev()
            .find(|l| l.starts_with("error:"))
            .unwrap_or("invalid regexp")
            .trim_start_matches("error: ")
            .to_string()
    }
}

/// `checkAST`: the first type error in 2.42's traversal order.
fn check(n: &Node, errs: &mut Vec<Fail>) -> Ty {
    let ty = n.ty();
    match &n.kind {
        Kind::Agg { op, param, expr } => {
            expect(expr, Ty::Vector, "aggregation expression", errs);
            if let Some(p) = param {
                match op.as_str() {
                    "topk" | "bottomk" | "quantile" => expect(p, Ty::Scalar, "aggregation parameter", errs),
                    "count_values" => expect(p, Ty::Str, "aggregation parameter", errs),
                    _ => {}
                }
            }
        }
        Kind::Binary(b) => {
            let lt = check(&b.lhs, errs);
            let rt = check(&b.rhs, errs);
            let comparison = matches!(b.op.as_str(), "==" | "!=" | "<=" | "<" | ">=" | ">");
            let set = matches!(b.op.as_str(), "and" | "or" | "unless");
            if b.bool_mod && !comparison {
                errs.push((b.op_pos, "bool modifier can only be used on comparison operators".into()));
            }
            if comparison && !b.bool_mod && lt == Ty::Scalar && rt == Ty::Scalar {
                errs.push((b.op_pos, "comparisons between scalars must use BOOL modifier".into()));
            }
            if let (Some((true, on)), Some(include)) = (&b.matching, &b.group) {
                for l1 in on {
                    if include.contains(l1) {
                        errs.push((
                            b.op_pos,
                            format!("label {} must not occur in ON and GROUP clause at once", go_quote(l1)),
                        ));
                    }
                }
            }
            if lt != Ty::Scalar && lt != Ty::Vector {
                errs.push((b.lhs.start, "binary expression must contain only scalar and instant vector types".into()));
            }
            if rt != Ty::Scalar && rt != Ty::Vector {
                errs.push((b.rhs.start, "binary expression must contain only scalar and instant vector types".into()));
            }
            if lt != Ty::Vector || rt != Ty::Vector {
                if b.matching.as_ref().is_some_and(|(_, l)| !l.is_empty()) {
                    errs.push((n.start, "vector matching only allowed between instant vectors".into()));
                }
            } else if set && b.group.is_some() {
                errs.push((n.start, format!("no grouping allowed for {} operation", go_quote(&b.op))));
            }
            if (lt == Ty::Scalar || rt == Ty::Scalar) && set {
                errs.push((
                    n.start,
                    format!("set operator {} not allowed in binary scalar expression", go_quote(&b.op)),
                ));
            }
        }
        Kind::Call(f, args) => {
            let nargs = f.args.len();
            if f.variadic == 0 {
                if nargs != args.len() {
                    errs.push((
                        n.start,
                        format!("expected {nargs} argument(s) in call to {}, got {}", go_quote(f.name), args.len()),
                    ));
                }
            } else {
                let na = nargs - 1;
                if na > args.len() {
                    errs.push((
                        n.start,
                        format!(
                            "expected at least {na} argument(s) in call to {}, got {}",
                            go_quote(f.name),
                            args.len()
                        ),
                    ));
                } else if f.variadic > 0 && na + (f.variadic as usize) < args.len() {
                    errs.push((
                        n.start,
                        format!(
                            "expected at most {} argument(s) in call to {}, got {}",
                            na + f.variadic as usize,
                            go_quote(f.name),
                            args.len()
                        ),
                    ));
                }
            }
            for (i, arg) in args.iter().enumerate() {
                let i = if i >= nargs {
                    if f.variadic == 0 {
                        break;
                    }
                    nargs - 1
                } else {
                    i
                };
                expect(arg, f.args[i], &format!("call to function {}", go_quote(f.name)), errs);
            }
        }
        Kind::Paren(e) => {
            check(e, errs);
        }
        Kind::Unary(e) => {
            let t = check(e, errs);
            if t != Ty::Scalar && t != Ty::Vector {
                errs.push((
                    n.start,
                    format!(
                        "unary expression only allowed on expressions of type scalar or instant vector, got {}",
                        go_quote(t.documented())
                    ),
                ));
            }
        }
        Kind::Subquery(e, ..) => {
            let t = check(e, errs);
            if t != Ty::Vector {
                errs.push((n.start, format!("subquery is only allowed on instant vector, got {} instead", t.raw())));
            }
        }
        Kind::Matrix(vs) => {
            check(vs, errs);
        }
        Kind::Vector { nonempty, twice, .. } => {
            if let Some((name, other)) = twice {
                errs.push((
                    n.start,
                    format!("metric name must not be set twice: {} or {}", go_quote(name), go_quote(other)),
                ));
            } else if !nonempty {
                errs.push((n.start, "vector selector must contain at least one non-empty matcher".into()));
            }
        }
        Kind::Number | Kind::Str => {}
    }
    ty
}

fn expect(n: &Node, want: Ty, context: &str, errs: &mut Vec<Fail>) {
    let t = check(n, errs);
    if t != want {
        errs.push((n.start, format!("expected type {} in {context}, got {}", want.documented(), t.documented())));
    }
}

/// The first error Prometheus 2.42 reports for `query` (`line:col: parse error: msg`),
/// or `None` when this check finds the query valid.
pub(crate) fn explain(query: &str) -> Option<String> {
    let (pos, msg) = first_error(query)?;
    let (line, col) = line_col(query, pos.min(query.len()));
    Some(format!("{line}:{col}: parse error: {msg}"))
}

/// The 2.42 lexer's first error inside a metric's label set (`name{...}`),
/// as `line:col: parse error: msg`, for series notation (`promtool`'s
/// `input_series` and expected labels) that does not parse.
pub(crate) fn metric_lex_error(text: &str) -> Option<String> {
    let mut lex = Lexer::new(text);
    let mut in_braces = false;
    loop {
        match lex.next_item() {
            Err((pos, msg)) => {
                let (line, col) = line_col(text, pos.min(text.len()));
                return Some(format!("{line}:{col}: parse error: {msg}"));
            }
            Ok(it) => match it.t {
                T::LBrace => in_braces = true,
                T::RBrace | T::Eof => return None,
                T::Ident | T::MetricIdent | T::Agg | T::Keyword | T::Preprocessor if !in_braces => {}
                T::Op if !in_braces && it.val.chars().all(is_alpha) => {}
                _ if in_braces => {}
                _ => return None,
            },
        }
    }
}

fn first_error(query: &str) -> Option<Fail> {
    let mut lex = Lexer::new(query);
    let tok = match lex.next_item() {
        Ok(t) => t,
        Err(e) => return Some(e),
    };
    let mut p = Parser { lex, tok, errors: Vec::new() };
    if p.tok.t == T::Eof {
        return Some((p.tok.pos, "no expression found in input".into()));
    }
    let parsed = p.expr(0).and_then(|node| {
        if p.tok.t != T::Eof {
            return Err(p.unexpected("", ""));
        }
        Ok(node)
    });
    let node = match parsed {
        Ok(node) => node,
        Err(e) => {
            p.errors.push(e);
            return p.errors.into_iter().next();
        }
    };
    if let Some(e) = p.errors.into_iter().next() {
        return Some(e);
    }
    let mut errs = Vec::new();
    check(&node, &mut errs);
    errs.into_iter().next()
}

fn line_col(q: &str, pos: usize) -> (usize, usize) {
    let before = &q[..pos];
    let line = before.matches('\n').count() + 1;
    let col = pos - before.rfind('\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_queries_have_no_error() {
        for q in [
            "x",
            "sum by (a) (rate(x[5m]))",
            "sum(rate(x[5m])) by (a)",
            "x + on(a) group_left(b) y",
            "x == bool 1",
            "-x ^ 2",
            "x[5m:1m] offset 1h",
            "x @ start()",
            "x @ 1 offset 5m",
            "topk(3, x)",
            "count_values(\"v\", x)",
            "label_join(x, \"a\", \",\", \"b\", \"c\")",
            "round(x)",
            "x{a=~\"b|c\",}",
            "sum(x) # comment",
            "x offset -5m",
            "Inf + NaN",
            "0x1f",
            "SUM(x)",
            "sum",
            "rate",
        ] {
            assert_eq!(first_error(q), None, "{q}");
        }
    }

    /// Every query of `testdata/parse_errors.tsv` gets exactly the verdict and
    /// message Prometheus 2.42 gave (through the whole parse path, so
    /// `promql-parser` and this check together).
    #[test]
    fn parse_errors_match_prometheus_2_42() {
        let golden = include_str!("../testdata/parse_errors.tsv");
        let mut wrong = Vec::new();
        let mut n = 0;
        for line in golden.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let (q, want) = line.split_once('\t').expect("query<TAB>error");
            n += 1;
            let got = match crate::parser::parse(q) {
                Ok(_) => "OK".to_string(),
                Err(e) => e.to_string(),
            };
            if got != want {
                wrong.push(format!("{q}\n   want: {want}\n    got: {got}"));
            }
        }
        assert!(wrong.is_empty(), "{} of {n} differ from Prometheus 2.42:\n{}", wrong.len(), wrong.join("\n"));
    }

    #[test]
    fn series_notation_lex_errors() {
        assert_eq!(
            metric_lex_error(r#"up{job="prometheus", instance="localhost:9090" 0+0x1440"#).as_deref(),
            Some("1:48: parse error: unexpected character inside braces: '0'")
        );
        assert_eq!(metric_lex_error("up{").as_deref(), Some("1:4: parse error: unexpected end of input inside braces"));
        assert_eq!(metric_lex_error(r#"up{a="b"} 1 2"#), None);
    }

    #[test]
    fn durations_follow_model_parse_duration() {
        assert!(valid_duration("1h30m"));
        assert!(valid_duration("5ms"));
        assert!(!valid_duration("1h1h"));
        assert!(!valid_duration("1m1h"));
        assert!(!valid_duration(""));
    }
}
