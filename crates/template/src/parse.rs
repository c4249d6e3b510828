//! The parser of Go's text/template (`text/template/parse/parse.go`): builds
//! one tree per template (the main text and each `{{define}}`/`{{block}}`)
//! and checks, as Go does at parse time, that functions exist, variables are
//! declared and `{{break}}`/`{{continue}}` sit inside `{{range}}`.

use std::fmt;
use std::sync::Arc;

use crate::Value;
use crate::lex::{Item, Kind, lex};

/// A parsed template: its nodes, and the text positions refer to.
#[derive(Debug)]
pub(crate) struct Tree {
    /// The template's name (`define` name, or the main name).
    pub name: String,
    /// The name of the text it was parsed from, for error locations.
    pub parse_name: String,
    /// The parsed text, for line/column of positions.
    pub text: Arc<str>,
    pub root: Vec<Node>,
}

impl Tree {
    /// Go's `IsEmptyTree`: only whitespace text.
    pub fn is_empty(&self) -> bool {
        self.root.iter().all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()))
    }

    /// `name:line:col` of a byte position (column 0-based, as Go prints it).
    pub fn location(&self, pos: usize) -> String {
        let before = self.text.get(..pos).unwrap_or(&self.text);
        let line = 1 + before.matches('\n').count();
        let col = match before.rfind('\n') {
            Some(i) => pos - (i + 1),
            None => pos,
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }
}

#[derive(Debug)]
pub(crate) enum Node {
    Text(String),
    Action(Pipe),
    If(Branch),
    With(Branch),
    Range(Branch),
    Template { pos: usize, name: String, pipe: Option<Pipe> },
    Break,
    Continue,
}

/// The shared shape of if, with and range.
#[derive(Debug)]
pub(crate) struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Vec<Node>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<String>,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

#[derive(Debug)]
pub(crate) enum Arg {
    Ident { pos: usize, name: String },
    Dot { pos: usize },
    Nil { pos: usize },
    Var { pos: usize, idents: Vec<String> },
    Field { pos: usize, idents: Vec<String> },
    Chain { pos: usize, node: Box<Arg>, fields: Vec<String> },
    Bool { pos: usize, val: bool },
    Number { pos: usize, text: String, val: Value },
    String { pos: usize, quoted: String, val: String },
    Pipe(Box<Pipe>),
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Ident { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Var { pos, .. }
            | Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::String { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Ident { name, .. } => write!(f, "{name}"),
            Arg::Dot { .. } => write!(f, "."),
            Arg::Nil { .. } => write!(f, "nil"),
            Arg::Var { idents, .. } => write!(f, "{}", idents.join(".")),
            Arg::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Chain { node, fields, .. } => {
                if matches!(**node, Arg::Pipe(_)) {
                    write!(f, "({node})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Bool { val, .. } => write!(f, "{val}"),
            Arg::Number { text, .. } => write!(f, "{text}"),
            Arg::String { quoted, .. } => write!(f, "{quoted}"),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                write!(f, " ")?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            write!(f, "{}", self.decl.join(", "))?;
            write!(f, "{}", if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                write!(f, " | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Parses `text` (named `name`) into trees: the main one first, then each
/// definition. `has_func` answers whether a function name exists.
pub(crate) fn parse(name: &str, text: &str, has_func: &dyn Fn(&str) -> bool) -> Result<Vec<Tree>, String> {
    let text: Arc<str> = Arc::from(text);
    let mut p = Parser {
        items: lex(&text),
        i: 0,
        name: name.to_string(),
        text: text.clone(),
        vars: vec!["$".into()],
        range_depth: 0,
        depth: 0,
        has_func,
        defs: Vec::new(),
    };
    let root = p.parse_top()?;
    let last_line = p.line_of(p.items.last().map_or(0, |t| t.pos));
    let mut trees = vec![Tree { name: name.to_string(), parse_name: name.to_string(), text: text.clone(), root }];
    for (n, root) in p.defs {
        let t = Tree { name: n.clone(), parse_name: name.to_string(), text: text.clone(), root };
        // Go's (*Tree).add: a second non-empty definition in one parse is an error.
        if let Some(old) = trees.iter_mut().find(|t| t.name == n) {
            if old.is_empty() {
                *old = t;
                continue;
            }
            if !t.is_empty() {
                return Err(format!(
                    "template: {name}:{last_line}: template: multiple definition of template {}",
                    crate::gofmt::quote(&n)
                ));
            }
            continue;
        }
        trees.push(t);
    }
    Ok(trees)
}

struct Parser<'a> {
    items: Vec<Item>,
    i: usize,
    name: String,
    text: Arc<str>,
    vars: Vec<String>,
    range_depth: usize,
    /// Nesting of control structures and parentheses, bounded so deeply
    /// nested input errors instead of exhausting the stack.
    depth: usize,
    has_func: &'a dyn Fn(&str) -> bool,
    defs: Vec<(String, Vec<Node>)>,
}

type PResult<T> = Result<T, String>;

/// Bound on [`Parser::depth`] (Go's parser bounds parentheses at 10000 on
/// growable goroutine stacks).
const MAX_PARSE_DEPTH: usize = 100;

impl Parser<'_> {
    fn line_of(&self, pos: usize) -> usize {
        1 + self.text.get(..pos).unwrap_or(&self.text).matches('\n').count()
    }

    /// Go's `t.errorf`: `template: NAME:LINE: msg`, at the last token read.
    fn err(&self, msg: impl fmt::Display) -> String {
        let pos = self.items.get(self.i.saturating_sub(1)).map_or(0, |t| t.pos);
        format!("template: {}:{}: {}", self.name, self.line_of(pos), msg)
    }

    fn eof(&self) -> Item {
        Item { kind: Kind::Eof, pos: self.text.len(), val: String::new() }
    }

    fn peek(&self) -> Item {
        self.items.get(self.i).cloned().unwrap_or_else(|| self.eof())
    }

    fn next(&mut self) -> PResult<Item> {
        let it = self.peek();
        self.i += 1;
        if it.kind == Kind::Error {
            return Err(self.err(&it.val));
        }
        Ok(it)
    }

    fn backup(&mut self) {
        self.i = self.i.saturating_sub(1);
    }

    fn next_non_space(&mut self) -> PResult<Item> {
        loop {
            let it = self.next()?;
            if it.kind != Kind::Space {
                return Ok(it);
            }
        }
    }

    fn peek_non_space(&mut self) -> PResult<Item> {
        let it = self.next_non_space()?;
        self.backup();
        Ok(it)
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Item> {
        let it = self.next_non_space()?;
        if it.kind != kind {
            return Err(self.unexpected(&it, context));
        }
        Ok(it)
    }

    fn unexpected(&self, it: &Item, context: &str) -> String {
        if it.kind == Kind::Error {
            return self.err(&it.val);
        }
        self.err(format!("unexpected {it} in {context}"))
    }

    fn parse_top(&mut self) -> PResult<Vec<Node>> {
        let mut root = Vec::new();
        while self.peek().kind != Kind::Eof {
            if self.peek().kind == Kind::LeftDelim {
                let save = self.i;
                self.next()?;
                if self.next_non_space()?.kind == Kind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.i = save;
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.push(n),
                Parsed::End => return Err(self.err("unexpected {{end}}")),
                Parsed::Else => return Err(self.err("unexpected {{else}}")),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let name_tok = self.next_non_space()?;
        let name = match name_tok.kind {
            Kind::String | Kind::RawString => unquote(&name_tok.val).map_err(|e| self.err(e))?,
            _ => return Err(self.unexpected(&name_tok, context)),
        };
        self.expect(Kind::RightDelim, context)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        if !matches!(end, Parsed::End) {
            return Err(self.err(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add_def(name, list)
    }

    /// Go's `(*Tree).add`: within one parse, a second non-empty definition
    /// of a name is an error; an empty one never replaces a definition.
    fn add_def(&mut self, name: String, list: Vec<Node>) -> PResult<()> {
        let empty = |l: &[Node]| l.iter().all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()));
        if let Some(i) = self.defs.iter().position(|(n, _)| *n == name) {
            let old_empty = self.defs.get(i).is_some_and(|(_, l)| empty(l));
            if !old_empty && !empty(&list) {
                return Err(
                    self.err(format!("template: multiple definition of template {}", crate::gofmt::quote(&name)))
                );
            }
            if old_empty && let Some(slot) = self.defs.get_mut(i) {
                slot.1 = list;
            }
            return Ok(());
        }
        self.defs.push((name, list));
        Ok(())
    }

    /// Nodes up to `{{end}}` or `{{else}}` (which is returned).
    fn item_list(&mut self) -> PResult<(Vec<Node>, Parsed)> {
        let mut list = Vec::new();
        while self.peek_non_space()?.kind != Kind::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.push(n),
                other => return Ok((list, other)),
            }
        }
        Err(self.err("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let it = self.next_non_space()?;
        match it.kind {
            Kind::Text => Ok(Parsed::Node(Node::Text(it.val))),
            Kind::LeftDelim => self.action(),
            _ => Err(self.unexpected(&it, "input")),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let it = self.next_non_space()?;
        match it.kind {
            Kind::Block => self.block_control().map(Parsed::Node),
            Kind::Break | Kind::Continue => {
                let word = if it.kind == Kind::Break { "break" } else { "continue" };
                let tok = self.next_non_space()?;
                if tok.kind != Kind::RightDelim {
                    return Err(self.unexpected(&tok, &format!("{{{{{word}}}}}")));
                }
                if self.range_depth == 0 {
                    return Err(self.err(format!("{{{{{word}}}}} outside {{{{range}}}}")));
                }
                Ok(Parsed::Node(if it.kind == Kind::Break { Node::Break } else { Node::Continue }))
            }
            Kind::Else => {
                // "{{else if" leaves the `if` for the enclosing if to see.
                if self.peek_non_space()?.kind == Kind::If {
                    return Ok(Parsed::Else);
                }
                self.expect(Kind::RightDelim, "else")?;
                Ok(Parsed::Else)
            }
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                Ok(Parsed::End)
            }
            Kind::If => self.control("if").map(|b| Parsed::Node(Node::If(b))),
            Kind::Range => self.control("range").map(|b| Parsed::Node(Node::Range(b))),
            Kind::With => self.control("with").map(|b| Parsed::Node(Node::With(b))),
            Kind::Template => self.template_control().map(Parsed::Node),
            _ => {
                self.backup();
                let pipe = self.pipeline("command", Kind::RightDelim)?;
                Ok(Parsed::Node(Node::Action(pipe)))
            }
        }
    }

    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_PARSE_DEPTH {
            return Err(self.err("max expression depth exceeded"));
        }
        self.depth += 1;
        Ok(())
    }

    fn control(&mut self, context: &str) -> PResult<Branch> {
        self.enter()?;
        let r = self.control_body(context);
        self.depth -= 1;
        r
    }

    fn control_body(&mut self, context: &str) -> PResult<Branch> {
        let nvars = self.vars.len();
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = Vec::new();
        if let Parsed::Else = next {
            if context == "if" && self.peek_non_space()?.kind == Kind::If {
                self.next_non_space()?;
                let b = self.control("if")?;
                else_list.push(Node::If(b));
            } else {
                let (l, end) = self.item_list()?;
                if !matches!(end, Parsed::End) {
                    return Err(self.err("expected end; found {{else}}"));
                }
                else_list = l;
            }
        }
        self.vars.truncate(nvars);
        Ok(Branch { pipe, list, else_list })
    }

    /// The quoted name of a template or block clause, and its position
    /// (Go's TemplateNode position).
    fn template_name(&mut self, context: &str) -> PResult<(String, usize)> {
        let tok = self.next_non_space()?;
        match tok.kind {
            Kind::String | Kind::RawString => unquote(&tok.val).map(|n| (n, tok.pos)).map_err(|e| self.err(e)),
            _ => Err(self.unexpected(&tok, context)),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let (name, pos) = self.template_name(context)?;
        let pipe = if self.next_non_space()?.kind != Kind::RightDelim {
            self.backup();
            Some(self.pipeline(context, Kind::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template { pos, name, pipe })
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let (name, pos) = self.template_name(context)?;
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if !matches!(end, Parsed::End) {
            return Err(self.err(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add_def(name.clone(), list)?;
        Ok(Node::Template { pos, name, pipe: Some(pipe) })
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipe> {
        let first = self.peek_non_space()?;
        let mut pipe = Pipe { pos: first.pos, is_assign: false, decl: Vec::new(), cmds: Vec::new() };
        // Declarations: `$x :=`, `$x =`, `$i, $e :=` (range).
        loop {
            let v = self.peek_non_space()?;
            if v.kind != Kind::Variable {
                break;
            }
            let save = self.i;
            self.next_non_space()?;
            let next = self.peek_non_space()?;
            match next.kind {
                Kind::Assign | Kind::Declare => {
                    pipe.is_assign = next.kind == Kind::Assign;
                    self.next_non_space()?;
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                }
                Kind::Char if next.val == "," => {
                    self.next_non_space()?;
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        let k = self.peek_non_space()?.kind;
                        if matches!(k, Kind::Variable | Kind::RightDelim | Kind::RightParen) {
                            continue;
                        }
                        return Err(self.err("range can only initialize variables"));
                    }
                    return Err(self.err(format!("too many declarations in {context}")));
                }
                _ => self.i = save,
            }
            break;
        }
        loop {
            let tok = self.next_non_space()?;
            if tok.kind == end {
                if pipe.cmds.is_empty() {
                    return Err(self.err(format!("missing value for {context}")));
                }
                for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
                    if matches!(
                        c.args.first(),
                        Some(
                            Arg::Bool { .. }
                                | Arg::Dot { .. }
                                | Arg::Nil { .. }
                                | Arg::Number { .. }
                                | Arg::String { .. }
                        )
                    ) {
                        return Err(self.err(format!("non executable command in pipeline stage {}", i + 1)));
                    }
                }
                return Ok(pipe);
            }
            match tok.kind {
                Kind::Bool
                | Kind::CharConstant
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return Err(self.unexpected(&tok, context)),
            }
        }
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space()?.pos;
        let mut cmd = Command { pos, args: Vec::new() };
        loop {
            self.peek_non_space()?;
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let tok = self.next()?;
            match tok.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return Err(self.unexpected(&tok, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.err("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        // Go gives the chained node the position of its first `.field`.
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            let f = self.next()?;
            fields.push(f.val.trim_start_matches('.').to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field { pos: chain_pos, idents }
            }
            Arg::Var { mut idents, .. } => {
                idents.extend(fields);
                Arg::Var { pos: chain_pos, idents }
            }
            Arg::Bool { .. } | Arg::String { .. } | Arg::Number { .. } | Arg::Nil { .. } | Arg::Dot { .. } => {
                return Err(self.err(format!("unexpected . after term {}", crate::gofmt::quote(&node.to_string()))));
            }
            other => Arg::Chain { pos: chain_pos, node: Box::new(other), fields },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let tok = self.next_non_space()?;
        let pos = tok.pos;
        Ok(Some(match tok.kind {
            Kind::Identifier => {
                if !(self.has_func)(&tok.val) {
                    return Err(self.err(format!("function {} not defined", crate::gofmt::quote(&tok.val))));
                }
                Arg::Ident { pos, name: tok.val }
            }
            Kind::Dot => Arg::Dot { pos },
            Kind::Nil => Arg::Nil { pos },
            Kind::Variable => {
                let idents: Vec<String> = tok.val.split('.').map(str::to_string).collect();
                let first = idents.first().cloned().unwrap_or_default();
                if !self.vars.contains(&first) {
                    return Err(self.err(format!("undefined variable {}", crate::gofmt::quote(&first))));
                }
                Arg::Var { pos, idents }
            }
            Kind::Field => {
                Arg::Field { pos, idents: tok.val.split('.').filter(|s| !s.is_empty()).map(str::to_string).collect() }
            }
            Kind::Bool => Arg::Bool { pos, val: tok.val == "true" },
            Kind::CharConstant | Kind::Number => {
                let val = parse_number(&tok.val, tok.kind).map_err(|e| self.err(e))?;
                Arg::Number { pos, text: tok.val, val }
            }
            Kind::LeftParen => {
                self.enter()?;
                let p = self.pipeline("parenthesized pipeline", Kind::RightParen);
                self.depth -= 1;
                Arg::Pipe(Box::new(p?))
            }
            Kind::String | Kind::RawString => {
                let val = unquote(&tok.val).map_err(|e| self.err(e))?;
                Arg::String { pos, quoted: tok.val, val }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

enum Parsed {
    Node(Node),
    End,
    Else,
}

/// Go's `strconv.Unquote` for "..." , `...` and '...'.
pub(crate) fn unquote(s: &str) -> Result<String, String> {
    let bad = || "invalid syntax".to_string();
    if let Some(raw) = s.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        return Ok(raw.replace('\r', ""));
    }
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
        .ok_or_else(bad)?;
    let mut out = String::new();
    let mut cs = inner.chars();
    while let Some(c) = cs.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = cs.next().ok_or_else(bad)?;
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' | '\'' | '"' => out.push(e),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = cs.by_ref().take(n).collect();
                let v = u32::from_str_radix(&hex, 16).map_err(|_| bad())?;
                if hex.len() != n {
                    return Err(bad());
                }
                if e == 'x' {
                    // A byte; valid UTF-8 only for ASCII in practice.
                    out.push(char::from_u32(v).ok_or_else(bad)?);
                } else {
                    out.push(char::from_u32(v).ok_or_else(bad)?);
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = cs.next().and_then(|c| c.to_digit(8)).ok_or_else(bad)?;
                    v = v * 8 + d;
                }
                out.push(char::from_u32(v).ok_or_else(bad)?);
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// Go's NumberNode + `idealConstant`: an int unless the text looks like a float.
fn parse_number(text: &str, kind: Kind) -> Result<Value, String> {
    if kind == Kind::CharConstant {
        let s = unquote(text)?;
        let mut cs = s.chars();
        return match (cs.next(), cs.next()) {
            (Some(c), None) => Ok(Value::Int(c as i64)),
            _ => Err(format!("malformed character constant: {text}")),
        };
    }
    let illegal = || format!("illegal number syntax: {}", crate::gofmt::quote(text));
    if text.ends_with('i') {
        return Err(illegal());
    }
    let clean = text.replace('_', "");
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        if h.contains('.') || h.contains('p') { None } else { i64::from_str_radix(h, 16).ok() }
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|c| c.is_ascii_digit()) {
        i64::from_str_radix(&lower, 8).ok()
    } else if lower.bytes().all(|c| c.is_ascii_digit()) && !lower.is_empty() {
        lower.parse::<i64>().ok()
    } else {
        None
    };
    let looks_float = !lower.starts_with("0x") && text.contains(['.', 'e', 'E', 'p', 'P']);
    if let Some(i) = int
        && !looks_float
    {
        return Ok(Value::Int(if neg { -i } else { i }));
    }
    if !looks_float {
        if lower.bytes().all(|c| c.is_ascii_digit()) && !lower.is_empty() {
            return Err(format!("integer overflow: {}", crate::gofmt::quote(text)));
        }
        return Err(illegal());
    }
    let f: f64 = lower.parse().map_err(|_| illegal())?;
    Ok(Value::Float(if neg { -f } else { f }))
}
