//! The tokenizer shared by both text formats, a hand-written copy of the two
//! golex state machines in Prometheus 2.42 (`promlex.l`, `openmetricslex.l`).
//!
//! It reproduces the generated lexers' quirks on purpose, because parse error
//! messages quote the token the lexer produced and where it stopped: no
//! backtracking after a partial match, NUL bytes skipped inside label values,
//! help text and comments, and (text format only) a virtual `\n` after the
//! last byte, as `NewPromParser` appends one.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

/// A token, named as Prometheus names it in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Invalid,
    Eof,
    Linebreak,
    Whitespace,
    Help,
    Type,
    Unit,
    EofWord,
    Text,
    Comment,
    MName,
    BraceOpen,
    BraceClose,
    LName,
    LValue,
    Comma,
    Equal,
    Timestamp,
    Value,
}

impl Tok {
    /// The name Prometheus' `token.String()` prints.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tok::Invalid => "INVALID",
            Tok::Eof => "EOF",
            Tok::Linebreak => "LINEBREAK",
            Tok::Whitespace => "WHITESPACE",
            Tok::Help => "HELP",
            Tok::Type => "TYPE",
            Tok::Unit => "UNIT",
            Tok::EofWord => "EOFWORD",
            Tok::Text => "TEXT",
            Tok::Comment => "COMMENT",
            Tok::MName => "MNAME",
            Tok::BraceOpen => "BOPEN",
            Tok::BraceClose => "BCLOSE",
            Tok::LName => "LNAME",
            Tok::LValue => "LVALUE",
            Tok::Comma => "COMMA",
            Tok::Equal => "EQUAL",
            Tok::Timestamp => "TIMESTAMP",
            Tok::Value => "VALUE",
        }
    }
}

/// Lexer start conditions, as in the `.l` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Init,
    Comment,
    Meta1,
    Meta2,
    Labels,
    LValue,
    Value,
    Timestamp,
    Exemplar,
    EValue,
    ETimestamp,
}

#[inline]
pub(crate) fn is_m(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':'
}

#[inline]
pub(crate) fn is_l(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

#[inline]
pub(crate) fn is_ld(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[inline]
pub(crate) fn is_md(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Cursor over the input; `i` is the next unread byte, `start` the first byte
/// of the current token.
pub(crate) struct Lexer<'a> {
    pub(crate) b: &'a [u8],
    /// Length including the virtual trailing newline of the text format.
    pub(crate) blen: usize,
    pub(crate) i: usize,
    pub(crate) start: usize,
    pub(crate) state: State,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(b: &'a [u8], virtual_newline: bool) -> Self {
        Lexer { b, blen: b.len() + usize::from(virtual_newline), i: 0, start: 0, state: State::Init }
    }

    /// The byte at `i`, the virtual newline at `b.len()`, or 0 past the end
    /// (golex's end-of-input character).
    #[inline]
    pub(crate) fn at(&self, i: usize) -> u8 {
        match self.b.get(i) {
            Some(&c) => c,
            None if i < self.blen => b'\n',
            None => 0,
        }
    }

    #[inline]
    fn cur(&self) -> u8 {
        self.at(self.i)
    }

    /// golex's `%yyn`: advance one byte, skipping NULs where upstream does.
    #[inline]
    fn next(&mut self) -> u8 {
        self.i += 1;
        if self.i >= self.blen {
            return 0;
        }
        let mut c = self.at(self.i);
        while c == 0 && matches!(self.state, State::LValue | State::Meta2 | State::Comment) {
            self.i += 1;
            if self.i >= self.blen {
                return 0;
            }
            c = self.at(self.i);
        }
        c
    }

    /// The bytes of the current token (never including the virtual newline).
    #[inline]
    pub(crate) fn buf(&self) -> &'a [u8] {
        let end = self.i.min(self.b.len());
        self.b.get(self.start.min(end)..end).unwrap_or_default()
    }

    fn whitespace(&mut self) -> Tok {
        let mut c = self.cur();
        while is_ws(c) {
            c = self.next();
        }
        Tok::Whitespace
    }

    /// Consumes the rest of a name whose first byte is current.
    #[inline]
    fn name(&mut self, more: fn(u8) -> bool) {
        let mut c = self.next();
        while more(c) {
            c = self.next();
        }
    }

    /// Consumes a quoted string starting at the current `"`; `\n` is allowed
    /// inside only in the text format.
    fn quoted(&mut self, allow_newline: bool) -> bool {
        // NULs are skipped like ordinary bytes inside series label values but
        // end the input inside exemplar label values, as with `next`.
        let nul_ends = self.state != State::LValue;
        loop {
            // Fast path: jump over bytes that cannot end or escape the string.
            let rest = self.b.get(self.i + 1..).unwrap_or_default();
            let plain = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c == b'\n' || (c == 0 && nul_ends))
                .unwrap_or(rest.len());
            self.i += plain;
            match self.next() {
                b'\\' => {
                    let c = self.next();
                    if c == b'\n' || c == 0 {
                        return false;
                    }
                }
                b'"' => {
                    self.next();
                    return true;
                }
                0 => return false,
                b'\n' if !allow_newline => return false,
                _ => {}
            }
        }
    }

    /// Matches the rest of a keyword after its first byte.
    fn keyword(&mut self, rest: &[u8]) -> bool {
        rest.iter().all(|&k| self.next() == k)
    }

    fn consume_comment(&mut self) -> Tok {
        let mut c = self.cur();
        loop {
            match c {
                0 => return Tok::Eof,
                b'\n' => {
                    self.state = State::Init;
                    return Tok::Comment;
                }
                _ => c = self.next(),
            }
        }
    }

    /// Consumes `[^ \n]+` (golex classes never contain NUL); the current byte
    /// is the first candidate.
    fn non_space_run(&mut self, mut c: u8) -> bool {
        if c == b' ' || c == b'\n' || c == 0 {
            return false;
        }
        while c != b' ' && c != b'\n' && c != 0 {
            c = self.next();
        }
        true
    }

    /// The next token of the Prometheus text format 0.0.4 (`promlex.l`).
    pub(crate) fn lex_prom(&mut self) -> Tok {
        if self.i >= self.blen {
            return Tok::Eof;
        }
        let mut c = self.cur();
        self.start = self.i;
        loop {
            match self.state {
                State::Init => match c {
                    0 => {
                        self.next();
                        return Tok::Eof;
                    }
                    b'\n' => {
                        self.next();
                        return Tok::Linebreak;
                    }
                    b' ' | b'\t' => return self.whitespace(),
                    b'#' => {
                        c = self.next();
                        if !is_ws(c) {
                            return self.consume_comment();
                        }
                        while is_ws(c) {
                            c = self.next();
                        }
                        self.state = State::Comment;
                    }
                    c if is_m(c) => {
                        self.name(is_md);
                        self.state = State::Value;
                        return Tok::MName;
                    }
                    _ => return Tok::Invalid,
                },
                State::Comment => {
                    let kw = match c {
                        b'H' => Some((&b"ELP"[..], Tok::Help)),
                        b'T' => Some((&b"YPE"[..], Tok::Type)),
                        _ => None,
                    };
                    if let Some((rest, tok)) = kw
                        && self.keyword(rest)
                    {
                        let mut c = self.next();
                        if is_ws(c) {
                            while is_ws(c) {
                                c = self.next();
                            }
                            self.state = State::Meta1;
                            return tok;
                        }
                    }
                    // Upstream's workaround: anything else after `# ` is a comment.
                    return self.consume_comment();
                }
                State::Meta1 => {
                    if is_m(c) {
                        self.name(is_md);
                        self.state = State::Meta2;
                        return Tok::MName;
                    }
                    if is_ws(c) {
                        return self.whitespace();
                    }
                    return Tok::Invalid;
                }
                State::Meta2 => {
                    // Longest match of `[ \t]+` and `[^\n]*`; a tie goes to
                    // whitespace, which is listed first.
                    let mut all_ws = true;
                    let mut any = false;
                    while c != b'\n' && c != 0 {
                        any = true;
                        all_ws &= is_ws(c);
                        c = self.next();
                    }
                    if any && all_ws {
                        return Tok::Whitespace;
                    }
                    self.state = State::Init;
                    return Tok::Text;
                }
                State::Value => match c {
                    b'{' => {
                        self.next();
                        self.state = State::Labels;
                        return Tok::BraceOpen;
                    }
                    b' ' | b'\t' => return self.whitespace(),
                    b'\n' | 0 => return Tok::Invalid,
                    _ => {
                        while !matches!(c, b'{' | b' ' | b'\t' | b'\n' | 0) {
                            c = self.next();
                        }
                        self.state = State::Timestamp;
                        return Tok::Value;
                    }
                },
                State::Labels => match c {
                    c if is_l(c) => {
                        self.name(is_ld);
                        return Tok::LName;
                    }
                    b'}' => {
                        self.next();
                        self.state = State::Value;
                        return Tok::BraceClose;
                    }
                    b'=' => {
                        self.next();
                        self.state = State::LValue;
                        return Tok::Equal;
                    }
                    b',' => {
                        self.next();
                        return Tok::Comma;
                    }
                    b' ' | b'\t' => return self.whitespace(),
                    _ => return Tok::Invalid,
                },
                State::LValue => match c {
                    b'"' => {
                        if self.quoted(true) {
                            self.state = State::Labels;
                            return Tok::LValue;
                        }
                        return Tok::Invalid;
                    }
                    b' ' | b'\t' => return self.whitespace(),
                    _ => return Tok::Invalid,
                },
                State::Timestamp => match c {
                    c if c.is_ascii_digit() => {
                        let mut c = self.next();
                        while c.is_ascii_digit() {
                            c = self.next();
                        }
                        return Tok::Timestamp;
                    }
                    b'\n' => {
                        self.next();
                        self.state = State::Init;
                        return Tok::Linebreak;
                    }
                    b' ' | b'\t' => return self.whitespace(),
                    _ => return Tok::Invalid,
                },
                State::Exemplar | State::EValue | State::ETimestamp => return Tok::Invalid,
            }
        }
    }

    /// The next token of OpenMetrics 1.0 text (`openmetricslex.l`).
    pub(crate) fn lex_om(&mut self) -> Tok {
        if self.i >= self.blen {
            return Tok::Eof;
        }
        let mut c = self.cur();
        self.start = self.i;
        loop {
            match self.state {
                State::Init => match c {
                    b'#' => {
                        if self.next() != b' ' {
                            return Tok::Invalid;
                        }
                        c = self.next();
                        self.state = State::Comment;
                    }
                    c if is_m(c) => {
                        self.name(is_md);
                        self.state = State::Value;
                        return Tok::MName;
                    }
                    _ => return Tok::Invalid,
                },
                State::Comment => {
                    let (rest, tok) = match c {
                        b'H' => (&b"ELP "[..], Tok::Help),
                        b'T' => (&b"YPE "[..], Tok::Type),
                        b'U' => (&b"NIT "[..], Tok::Unit),
                        b'E' => {
                            if !self.keyword(b"OF") {
                                return Tok::Invalid;
                            }
                            if self.next() == b'\n' {
                                self.next();
                            }
                            self.state = State::Init;
                            return Tok::EofWord;
                        }
                        _ => return Tok::Invalid,
                    };
                    if !self.keyword(rest) {
                        return Tok::Invalid;
                    }
                    self.next();
                    self.state = State::Meta1;
                    return tok;
                }
                State::Meta1 => {
                    if is_m(c) {
                        self.name(is_md);
                        self.state = State::Meta2;
                        return Tok::MName;
                    }
                    return Tok::Invalid;
                }
                State::Meta2 => {
                    if c != b' ' {
                        return Tok::Invalid;
                    }
                    loop {
                        match self.next() {
                            b'\n' => {
                                self.next();
                                self.state = State::Init;
                                return Tok::Text;
                            }
                            0 => return Tok::Invalid,
                            _ => {}
                        }
                    }
                }
                State::Value => match c {
                    b'{' => {
                        self.next();
                        self.state = State::Labels;
                        return Tok::BraceOpen;
                    }
                    b' ' => {
                        let c = self.next();
                        if self.non_space_run(c) {
                            self.state = State::Timestamp;
                            return Tok::Value;
                        }
                        return Tok::Invalid;
                    }
                    _ => return Tok::Invalid,
                },
                State::Labels | State::Exemplar => {
                    let exemplar = self.state == State::Exemplar;
                    match c {
                        c if is_l(c) => {
                            self.name(is_ld);
                            return Tok::LName;
                        }
                        b'}' => {
                            self.next();
                            self.state = if exemplar { State::EValue } else { State::Value };
                            return Tok::BraceClose;
                        }
                        b'=' => {
                            self.next();
                            // Upstream moves to the exemplar *value* state here; its
                            // quoted-string rule then leads back to the label state.
                            self.state = if exemplar { State::EValue } else { State::LValue };
                            return Tok::Equal;
                        }
                        b',' => {
                            self.next();
                            return Tok::Comma;
                        }
                        _ => return Tok::Invalid,
                    }
                }
                State::LValue => {
                    if c == b'"' && self.quoted(false) {
                        self.state = State::Labels;
                        return Tok::LValue;
                    }
                    return Tok::Invalid;
                }
                State::EValue => match c {
                    b'"' => {
                        if self.quoted(false) {
                            self.state = State::Exemplar;
                            return Tok::LValue;
                        }
                        return Tok::Invalid;
                    }
                    b' ' => {
                        let c = self.next();
                        if self.non_space_run(c) {
                            self.state = State::ETimestamp;
                            return Tok::Value;
                        }
                        return Tok::Invalid;
                    }
                    _ => return Tok::Invalid,
                },
                State::Timestamp => match c {
                    b' ' => {
                        let c = self.next();
                        if c == b'#' {
                            // ` # {` opens an exemplar; golex does not back up to
                            // the shorter timestamp match ` #` once it saw ` # `.
                            let c = self.next();
                            if c == b' ' {
                                if self.next() == b'{' {
                                    self.next();
                                    self.state = State::Exemplar;
                                    return Tok::Comment;
                                }
                                return Tok::Invalid;
                            }
                            self.non_space_run(c);
                            return Tok::Timestamp;
                        }
                        if self.non_space_run(c) {
                            return Tok::Timestamp;
                        }
                        return Tok::Invalid;
                    }
                    b'\n' => {
                        self.next();
                        self.state = State::Init;
                        return Tok::Linebreak;
                    }
                    _ => return Tok::Invalid,
                },
                State::ETimestamp => match c {
                    b' ' => {
                        let c = self.next();
                        if self.non_space_run(c) {
                            return Tok::Timestamp;
                        }
                        return Tok::Invalid;
                    }
                    b'\n' => {
                        self.next();
                        self.state = State::Init;
                        return Tok::Linebreak;
                    }
                    _ => return Tok::Invalid,
                },
            }
        }
    }
}
