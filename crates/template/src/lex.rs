//! The lexer of Go's text/template (`text/template/parse/lex.go`): text,
//! `{{ }}` actions with trim markers, comments, and the tokens inside
//! actions. The whole input is lexed up front; a lexing error ends the item
//! list with an [`Kind::Error`] item, which the parser reports.

/// Token kinds, in Go's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Error,
    Bool,
    Char,
    CharConstant,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl Kind {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Kind::Block
                | Kind::Break
                | Kind::Continue
                | Kind::Dot
                | Kind::Define
                | Kind::Else
                | Kind::End
                | Kind::If
                | Kind::Nil
                | Kind::Range
                | Kind::Template
                | Kind::With
        )
    }
}

/// One token: kind, byte offset in the input, text.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub kind: Kind,
    pub pos: usize,
    pub val: String,
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            Kind::Eof => write!(f, "EOF"),
            Kind::Error => write!(f, "{}", self.val),
            k if k.is_keyword() => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let short: String = self.val.chars().take(10).collect();
                write!(f, "{}...", crate::gofmt::quote(&short))
            }
            _ => write!(f, "{}", crate::gofmt::quote(&self.val)),
        }
    }
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    items: Vec<Item>,
    paren_depth: i32,
}

/// Lexes a template text into items, ending with Eof or Error.
pub(crate) fn lex(input: &str) -> Vec<Item> {
    let mut l = Lexer { input, pos: 0, start: 0, items: Vec::new(), paren_depth: 0 };
    if let Err(msg) = l.run() {
        l.items.push(Item { kind: Kind::Error, pos: l.start, val: msg });
    } else {
        l.items.push(Item { kind: Kind::Eof, pos: input.len(), val: String::new() });
    }
    l.items
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn emit(&mut self, kind: Kind) {
        let val = self.input.get(self.start..self.pos).unwrap_or("").to_string();
        self.items.push(Item { kind, pos: self.start, val });
        self.start = self.pos;
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

    fn skip_leading_space(&mut self) {
        let trimmed = self.rest().trim_start_matches(is_space);
        self.pos = self.input.len() - trimmed.len();
        self.start = self.pos;
    }

    /// Whether the input at pos is a right delimiter, possibly trim-marked;
    /// returns the marker length (0 or 2) when it is.
    fn at_right_delim(&self) -> Option<usize> {
        let r = self.rest();
        if r.starts_with(RIGHT) {
            return Some(0);
        }
        let mut cs = r.chars();
        if cs.next().is_some_and(is_space)
            && cs.as_str().starts_with('-')
            && cs.as_str().get(1..).is_some_and(|s| s.starts_with(RIGHT))
        {
            // Space chars are all one byte.
            return Some(2);
        }
        None
    }

    fn run(&mut self) -> Result<(), String> {
        loop {
            // Text up to the next left delimiter.
            let Some(off) = self.rest().find(LEFT) else {
                self.pos = self.input.len();
                if self.pos > self.start {
                    self.emit(Kind::Text);
                }
                return Ok(());
            };
            self.pos += off;
            let after = self.input.get(self.pos + LEFT.len()..).unwrap_or("");
            let trim = after.starts_with('-') && after.get(1..).and_then(|s| s.chars().next()).is_some_and(is_space);
            if self.pos > self.start {
                let text = self.input.get(self.start..self.pos).unwrap_or("");
                let text = if trim { text.trim_end_matches(is_space) } else { text };
                if !text.is_empty() {
                    self.items.push(Item { kind: Kind::Text, pos: self.start, val: text.to_string() });
                }
            }
            self.start = self.pos;
            self.pos += LEFT.len() + if trim { 2 } else { 0 };
            if self.rest().starts_with("/*") {
                self.lex_comment()?;
                continue;
            }
            // Emit the delimiter without the trim marker.
            self.items.push(Item { kind: Kind::LeftDelim, pos: self.start, val: LEFT.to_string() });
            self.start = self.pos;
            self.paren_depth = 0;
            self.lex_inside_action()?;
        }
    }

    fn lex_comment(&mut self) -> Result<(), String> {
        let Some(end) = self.rest().find("*/") else {
            return Err("unclosed comment".into());
        };
        self.pos += end + 2;
        match self.at_right_delim() {
            Some(marker) => {
                self.pos += marker + RIGHT.len();
                self.start = self.pos;
                if marker > 0 {
                    self.skip_leading_space();
                }
                Ok(())
            }
            None => Err("comment ends before closing delimiter".into()),
        }
    }

    fn lex_inside_action(&mut self) -> Result<(), String> {
        loop {
            if let Some(marker) = self.at_right_delim() {
                if self.paren_depth > 0 {
                    return Err("unclosed left paren".into());
                }
                self.pos += marker;
                self.start = self.pos;
                self.pos += RIGHT.len();
                self.emit(Kind::RightDelim);
                if marker > 0 {
                    self.skip_leading_space();
                }
                return Ok(());
            }
            let Some(c) = self.next() else {
                return Err("unclosed action".into());
            };
            match c {
                c if is_space(c) => {
                    while self.peek().is_some_and(is_space) {
                        self.next();
                    }
                    // A trim-marked right delimiter starts with a space: leave it.
                    let before = self.pos - 1;
                    let tail = self.input.get(before..).unwrap_or("");
                    if tail.get(1..).is_some_and(|t| t.starts_with("-}}")) {
                        self.pos = before;
                    }
                    if self.pos > self.start {
                        self.emit(Kind::Space);
                    }
                }
                '=' => self.emit(Kind::Assign),
                ':' => {
                    if self.next() != Some('=') {
                        return Err("expected :=".into());
                    }
                    self.emit(Kind::Declare);
                }
                '|' => self.emit(Kind::Pipe),
                '"' => {
                    loop {
                        match self.next() {
                            Some('\\') => {
                                if matches!(self.next(), None | Some('\n')) {
                                    return Err("unterminated quoted string".into());
                                }
                            }
                            None | Some('\n') => return Err("unterminated quoted string".into()),
                            Some('"') => break,
                            Some(_) => {}
                        }
                    }
                    self.emit(Kind::String);
                }
                '`' => {
                    loop {
                        match self.next() {
                            None => return Err("unterminated raw quoted string".into()),
                            Some('`') => break,
                            Some(_) => {}
                        }
                    }
                    self.emit(Kind::RawString);
                }
                '\'' => {
                    loop {
                        match self.next() {
                            Some('\\') => {
                                if matches!(self.next(), None | Some('\n')) {
                                    return Err("unterminated character constant".into());
                                }
                            }
                            None | Some('\n') => return Err("unterminated character constant".into()),
                            Some('\'') => break,
                            Some(_) => {}
                        }
                    }
                    self.emit(Kind::CharConstant);
                }
                '$' => self.lex_field_or_variable(Kind::Variable)?,
                '.' => {
                    if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.pos -= 1;
                        self.lex_number()?;
                    } else {
                        self.lex_field_or_variable(Kind::Field)?;
                    }
                }
                '+' | '-' | '0'..='9' => {
                    self.pos -= 1;
                    self.lex_number()?;
                }
                c if is_alnum(c) => {
                    while self.peek().is_some_and(is_alnum) {
                        self.next();
                    }
                    if !self.at_terminator() {
                        return Err(self.bad_char());
                    }
                    let word = self.input.get(self.start..self.pos).unwrap_or("");
                    let kind = match word {
                        "block" => Kind::Block,
                        "break" => Kind::Break,
                        "continue" => Kind::Continue,
                        "define" => Kind::Define,
                        "else" => Kind::Else,
                        "end" => Kind::End,
                        "if" => Kind::If,
                        "nil" => Kind::Nil,
                        "range" => Kind::Range,
                        "template" => Kind::Template,
                        "with" => Kind::With,
                        "true" | "false" => Kind::Bool,
                        _ => Kind::Identifier,
                    };
                    self.emit(kind);
                }
                '(' => {
                    self.paren_depth += 1;
                    self.emit(Kind::LeftParen);
                }
                ')' => {
                    // An unbalanced `)` is the parser's to report.
                    self.paren_depth -= 1;
                    self.emit(Kind::RightParen);
                }
                c if c.is_ascii() && !c.is_ascii_control() => self.emit(Kind::Char),
                c => {
                    return Err(format!(
                        "unrecognized character in action: U+{:04X} {}",
                        c as u32,
                        crate::gofmt::quote(&c.to_string()).replace('"', "'")
                    ));
                }
            }
        }
    }

    fn bad_char(&self) -> String {
        let c = self.peek().unwrap_or('\0');
        format!("bad character U+{:04X} '{}'", c as u32, c)
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(_) => self.rest().starts_with(RIGHT),
        }
    }

    fn lex_field_or_variable(&mut self, kind: Kind) -> Result<(), String> {
        if self.at_terminator() {
            self.emit(if kind == Kind::Variable { Kind::Variable } else { Kind::Dot });
            return Ok(());
        }
        while self.peek().is_some_and(is_alnum) {
            self.next();
        }
        if !self.at_terminator() {
            return Err(self.bad_char());
        }
        self.emit(kind);
        Ok(())
    }

    fn lex_number(&mut self) -> Result<(), String> {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            let text = self.input.get(self.start..self.pos).unwrap_or("");
            return Err(format!("bad number syntax: {}", crate::gofmt::quote(text)));
        }
        self.emit(Kind::Number);
        Ok(())
    }
}
