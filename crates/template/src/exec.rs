//! Executes parsed trees over a [`Value`] (`text/template/exec.go`):
//! pipelines, variables, field chains, function calls (with `and`/`or`
//! short-circuiting), if/with/range/template, and printing values as Go does.
//! Optionally escapes action output for HTML text (Alertmanager's HTML mode)
//! and knows Alertmanager's data methods (`.Alerts.Firing`, `.SortedPairs`).

use std::borrow::Cow;

use crate::parse::{Arg, Branch, Command, Node, Pipe, Tree};
use crate::{Error, Template, Value, builtins, gofmt};

/// Nesting (template calls, if/with/range, parenthesized pipelines) before
/// giving up. Go allows 100000 template calls on its growable goroutine
/// stacks; a thread stack of 2 MiB holds a few hundred levels of this
/// recursive executor in a debug build, so the limit is far lower.
pub(crate) const MAX_DEPTH: usize = 150;

pub(crate) struct Exec<'a> {
    pub set: &'a Template,
    pub html: bool,
    pub out: String,
    pub depth: usize,
    /// The node being evaluated, for error context (Go's `state.at`).
    pub at: Option<At<'a>>,
    /// HTML element state of `out`, for escaping in HTML mode.
    pub scan: crate::html::Scan,
}

/// A node an error can point at.
#[derive(Clone, Copy)]
pub(crate) enum At<'a> {
    Arg(&'a Arg),
    Cmd(&'a Command),
    Pipe(&'a Pipe),
    Template(usize, &'a str, Option<&'a Pipe>),
    /// A function name used as an argument (a niladic call).
    Ident(usize, &'a str),
}

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::Arg(a) => a.pos(),
            At::Cmd(c) => c.pos,
            At::Pipe(p) => p.pos,
            At::Template(pos, ..) | At::Ident(pos, _) => *pos,
        }
    }

    fn context(&self) -> String {
        match self {
            At::Arg(a) => a.to_string(),
            At::Cmd(c) => c.to_string(),
            At::Pipe(p) => p.to_string(),
            At::Template(_, name, None) => format!("{{{{template {}}}}}", gofmt::quote(name)),
            At::Template(_, name, Some(p)) => format!("{{{{template {} {p}}}}}", gofmt::quote(name)),
            At::Ident(_, name) => name.to_string(),
        }
    }
}

/// A value during execution: borrowed from the data where possible, so
/// field chains, `{{template}}` calls and `range` do not copy the data.
type V<'a> = Cow<'a, Value>;

fn owned<'a>(v: Value) -> V<'a> {
    Cow::Owned(v)
}

struct State<'a> {
    tree: &'a Tree,
    vars: Vec<(String, V<'a>)>,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, Error>;

impl<'a> Exec<'a> {
    /// Runs the tree with `data` as dot and `$`.
    pub fn run(&mut self, tree: &'a Tree, data: &'a Value) -> R<()> {
        let mut st = State { tree, vars: vec![("$".into(), Cow::Borrowed(data))] };
        self.walk_list(&mut st, &Cow::Borrowed(data), &tree.root)?;
        Ok(())
    }

    /// An execution error at the current node, in Go's words:
    /// `template: NAME:LINE:COL: executing "NAME" at <NODE>: msg`.
    fn fail(&self, st: &State<'_>, msg: impl std::fmt::Display) -> Error {
        let Some(at) = self.at else {
            return Error(format!("template: {}: {}", st.tree.name, msg));
        };
        Error(format!(
            "template: {}: executing {} at <{}>: {}",
            st.tree.location(at.pos()),
            gofmt::quote(&st.tree.name),
            at.context(),
            msg
        ))
    }

    fn at(&mut self, at: At<'a>) {
        self.at = Some(at);
    }

    fn walk_list(&mut self, st: &mut State<'a>, dot: &V<'a>, list: &'a [Node]) -> R<Flow> {
        for n in list {
            match self.walk(st, dot, n)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, st: &mut State<'a>, dot: &V<'a>, node: &'a Node) -> R<Flow> {
        match node {
            Node::Text(t) => self.out.push_str(t),
            Node::Action(pipe) => {
                self.at(At::Pipe(pipe));
                let v = self.eval_pipeline(st, dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print(&v, pipe);
                }
            }
            Node::If(b) | Node::With(b) => {
                self.enter(st)?;
                let r = self.walk_if_with(st, dot, node, b);
                self.depth -= 1;
                return r;
            }
            Node::Range(b) => {
                self.enter(st)?;
                let mark = st.vars.len();
                let flow = self.walk_range(st, dot, b);
                st.vars.truncate(mark);
                self.depth -= 1;
                return flow;
            }
            Node::Template { pos, name, pipe } => {
                self.at(At::Template(*pos, name, pipe.as_ref()));
                let Some(tree) = self.set.trees.get(name) else {
                    return Err(self.fail(st, format!("template {} not defined", gofmt::quote(name))));
                };
                self.enter(st)?;
                let d = match pipe {
                    Some(p) => self.eval_pipeline(st, dot, p)?,
                    None => owned(Value::Nil),
                };
                let mut inner = State { tree, vars: vec![("$".into(), d.clone())] };
                let r = self.walk_list(&mut inner, &d, &tree.root);
                self.depth -= 1;
                r?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_with(&mut self, st: &mut State<'a>, dot: &V<'a>, node: &'a Node, b: &'a Branch) -> R<Flow> {
        let mark = st.vars.len();
        let v = self.eval_pipeline(st, dot, &b.pipe)?;
        let flow = if is_true(&v) {
            let d = if matches!(node, Node::With(_)) { v } else { dot.clone() };
            self.walk_list(st, &d, &b.list)?
        } else {
            self.walk_list(st, dot, &b.else_list)?
        };
        st.vars.truncate(mark);
        Ok(flow)
    }

    /// One level deeper; errors beyond [`MAX_DEPTH`] instead of exhausting
    /// the stack.
    fn enter(&mut self, st: &State<'_>) -> R<()> {
        if self.depth >= MAX_DEPTH {
            return Err(self.fail(st, format!("exceeded maximum template depth ({MAX_DEPTH})")));
        }
        self.depth += 1;
        Ok(())
    }

    fn walk_range(&mut self, st: &mut State<'a>, dot: &V<'a>, b: &'a Branch) -> R<Flow> {
        let v = self.eval_pipeline(st, dot, &b.pipe)?;
        let mark = st.vars.len();
        if let Value::Map(m) = &*v
            && gofmt::go_struct(m).is_some()
        {
            return Err(self.fail(st, format!("range can't iterate over {}", gofmt::sprint_value(&v))));
        }
        let items: Vec<(Value, V<'a>)> = match v {
            Cow::Borrowed(Value::List(l)) => {
                l.iter().enumerate().map(|(i, e)| (Value::Int(i as i64), Cow::Borrowed(e))).collect()
            }
            Cow::Owned(Value::List(l)) => {
                l.into_iter().enumerate().map(|(i, e)| (Value::Int(i as i64), owned(e))).collect()
            }
            Cow::Borrowed(Value::Map(m)) => {
                m.iter().map(|(k, e)| (Value::String(k.clone()), Cow::Borrowed(e))).collect()
            }
            Cow::Owned(Value::Map(m)) => m.into_iter().map(|(k, e)| (Value::String(k), owned(e))).collect(),
            Cow::Borrowed(Value::Nil) | Cow::Owned(Value::Nil) => Vec::new(),
            other => return Err(self.fail(st, format!("range can't iterate over {}", gofmt::sprint_value(&other)))),
        };
        if items.is_empty() {
            return self.walk_list(st, dot, &b.else_list);
        }
        for (k, e) in items {
            let n = st.vars.len();
            // The pipeline pushed its declarations: the last is the element,
            // the one before it the index or key.
            if b.pipe.is_assign {
                if let Some(name) = b.pipe.decl.last() {
                    let _ = set_var(st, name, e.clone());
                }
                if b.pipe.decl.len() > 1
                    && let Some(name) = b.pipe.decl.first()
                {
                    let _ = set_var(st, name, owned(k.clone()));
                }
            } else if !b.pipe.decl.is_empty() {
                if let Some(slot) = st.vars.get_mut(n.wrapping_sub(1)) {
                    slot.1 = e.clone();
                }
                if b.pipe.decl.len() > 1
                    && let Some(slot) = st.vars.get_mut(n.wrapping_sub(2))
                {
                    slot.1 = owned(k.clone());
                }
            }
            let flow = self.walk_list(st, &e, &b.list)?;
            st.vars.truncate(n.max(mark));
            if let Flow::Break = flow {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    fn print(&mut self, v: &Value, pipe: &Pipe) {
        let s = match v {
            Value::Nil => "<no value>".to_string(),
            v => gofmt::sprint_value(v),
        };
        if self.html && !ends_in_safe_html(pipe) {
            let escaped = crate::html::escape(&mut self.scan, &self.out, v, &s);
            self.out.push_str(&escaped);
        } else {
            self.out.push_str(&s);
        }
    }

    fn eval_pipeline(&mut self, st: &mut State<'a>, dot: &V<'a>, pipe: &'a Pipe) -> R<V<'a>> {
        self.at(At::Pipe(pipe));
        let mut value: Option<V<'a>> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(st, dot, cmd, value)?);
        }
        let value = value.unwrap_or(owned(Value::Nil));
        for name in &pipe.decl {
            if pipe.is_assign {
                if !set_var(st, name, value.clone()) {
                    return Err(self.fail(st, format!("undefined variable: {name}")));
                }
            } else {
                st.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn eval_command(&mut self, st: &mut State<'a>, dot: &V<'a>, cmd: &'a Command, fin: Option<V<'a>>) -> R<V<'a>> {
        let Some(first) = cmd.args.first() else {
            self.at(At::Cmd(cmd));
            return Err(self.fail(st, "empty command"));
        };
        let args = cmd.args.get(1..).unwrap_or(&[]);
        match first {
            Arg::Field { idents, .. } => {
                self.at(At::Arg(first));
                return self.eval_field_chain(st, dot, dot.clone(), first, idents, args, fin);
            }
            Arg::Chain { node, fields, .. } => return self.eval_chain(st, dot, first, node, fields, args, fin),
            Arg::Ident { name, .. } => {
                self.at(At::Arg(first));
                return self.eval_function(st, dot, name, cmd, args, fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(st, first, args, &fin)?;
                self.enter(st)?;
                let r = self.eval_pipeline(st, dot, p);
                self.depth -= 1;
                return r;
            }
            Arg::Var { idents, .. } => return self.eval_variable(st, dot, first, idents, args, fin),
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(st, first, args, &fin)?;
        match first {
            Arg::Bool { val, .. } => Ok(owned(Value::Bool(*val))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Number { val, .. } => Ok(owned(val.clone())),
            Arg::String { val, .. } => Ok(owned(Value::String(val.clone()))),
            Arg::Nil { .. } => Err(self.fail(st, "nil is not a command")),
            other => Err(self.fail(st, format!("can't evaluate command {other}"))),
        }
    }

    fn not_a_function(&mut self, st: &State<'_>, node: &'a Arg, args: &[Arg], fin: &Option<V<'a>>) -> R<()> {
        if !args.is_empty() || fin.is_some() {
            self.at(At::Arg(node));
            return Err(self.fail(st, format!("can't give argument to non-function {node}")));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_chain(
        &mut self,
        st: &mut State<'a>,
        dot: &V<'a>,
        chain: &'a Arg,
        node: &'a Arg,
        fields: &'a [String],
        args: &'a [Arg],
        fin: Option<V<'a>>,
    ) -> R<V<'a>> {
        self.at(At::Arg(chain));
        if matches!(node, Arg::Nil { .. }) {
            return Err(self.fail(st, format!("indirection through explicit nil in {chain}")));
        }
        let recv = self.eval_arg(st, dot, node)?;
        self.eval_field_chain(st, dot, recv, chain, fields, args, fin)
    }

    fn eval_variable(
        &mut self,
        st: &mut State<'a>,
        dot: &V<'a>,
        node: &'a Arg,
        idents: &'a [String],
        args: &'a [Arg],
        fin: Option<V<'a>>,
    ) -> R<V<'a>> {
        self.at(At::Arg(node));
        let name = idents.first().map_or("$", String::as_str);
        let Some(v) = st.vars.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone()) else {
            return Err(self.fail(st, format!("undefined variable: {name}")));
        };
        if idents.len() == 1 {
            self.not_a_function(st, node, args, &fin)?;
            return Ok(v);
        }
        self.eval_field_chain(st, dot, v, node, idents.get(1..).unwrap_or(&[]), args, fin)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        st: &mut State<'a>,
        dot: &V<'a>,
        mut recv: V<'a>,
        node: &'a Arg,
        idents: &'a [String],
        args: &'a [Arg],
        fin: Option<V<'a>>,
    ) -> R<V<'a>> {
        let n = idents.len();
        for (i, name) in idents.iter().enumerate() {
            if i + 1 < n {
                recv = self.eval_field(st, dot, name, node, &[], None, recv)?;
            } else {
                return self.eval_field(st, dot, name, node, args, fin, recv);
            }
        }
        Ok(recv)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        st: &mut State<'a>,
        dot: &V<'a>,
        name: &str,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<V<'a>>,
        recv: V<'a>,
    ) -> R<V<'a>> {
        if self.set.am_methods
            && let Some(m) = crate::alertmanager::method(&recv, name)
        {
            let mut argv = Vec::new();
            for a in args {
                argv.push(self.eval_arg(st, dot, a)?.into_owned());
            }
            if let Some(f) = fin {
                argv.push(f.into_owned());
            }
            self.at(At::Arg(node));
            return m(&recv, &argv).map(owned).map_err(|e| self.fail(st, format!("error calling {name}: {}", e.0)));
        }
        let has_args = !args.is_empty() || fin.is_some();
        // Go reports field errors at whatever node was evaluated last.
        let missing = match &*recv {
            Value::Nil => return Ok(owned(Value::Nil)),
            Value::Map(m) if gofmt::go_struct(m).is_some() => {
                if !m.contains_key(name) {
                    return Err(
                        self.fail(st, format!("can't evaluate field {name} in type {}", gofmt::type_name(&recv)))
                    );
                }
                if has_args {
                    return Err(self.fail(st, format!("{name} has arguments but cannot be invoked as function")));
                }
                None
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.fail(st, format!("{name} is not a method but has arguments")));
                }
                match m.contains_key(name) {
                    true => None,
                    false if self.set.missing_zero => Some(zero_of_elem(m)),
                    false => Some(Value::Nil),
                }
            }
            other => {
                return Err(self.fail(st, format!("can't evaluate field {name} in type {}", gofmt::type_name(other))));
            }
        };
        if let Some(v) = missing {
            return Ok(owned(v));
        }
        Ok(match recv {
            Cow::Borrowed(Value::Map(m)) => m.get(name).map_or(owned(Value::Nil), Cow::Borrowed),
            Cow::Owned(Value::Map(mut m)) => owned(m.remove(name).unwrap_or_default()),
            _ => owned(Value::Nil),
        })
    }

    fn eval_function(
        &mut self,
        st: &mut State<'a>,
        dot: &V<'a>,
        name: &str,
        cmd: &'a Command,
        args: &'a [Arg],
        fin: Option<V<'a>>,
    ) -> R<V<'a>> {
        // and/or evaluate lazily and return the deciding argument (Go 1.18+).
        if (name == "and" || name == "or") && !self.set.funcs.contains_key(name) {
            if args.is_empty() && fin.is_none() {
                return Err(self.fail(st, format!("wrong number of args for {name}: want at least 1 got 0")));
            }
            let mut last = owned(Value::Nil);
            for a in args {
                last = self.eval_arg(st, dot, a)?;
                let t = is_true(&last);
                if (name == "and" && !t) || (name == "or" && t) {
                    return Ok(last);
                }
            }
            if let Some(f) = fin {
                last = f;
            }
            return Ok(last);
        }
        let func = self.set.funcs.get(name).cloned();
        let builtin = builtins::lookup(name);
        if func.is_none() && builtin.is_none() {
            return Err(self.fail(st, format!("{} is not a defined function", gofmt::quote(name))));
        }
        let ident_at = self.at;
        let mut argv = Vec::with_capacity(args.len() + 1);
        for a in args {
            argv.push(self.eval_arg(st, dot, a)?.into_owned());
        }
        if let Some(f) = fin {
            argv.push(f.into_owned());
        }
        let result = match (&func, builtin) {
            (Some(f), _) => f(&argv),
            (None, Some(b)) => b(&argv),
            (None, None) => Ok(Value::Nil),
        };
        result.map(owned).map_err(|e| {
            if let Some((i, msg)) = builtins::split_arg_error(&e.0) {
                // Go checks argument types before the call; the context is
                // the last node evaluated for the arguments, and a constant
                // of the wrong type is reported as such.
                if let Some(a @ (Arg::Number { .. } | Arg::Bool { .. } | Arg::String { .. } | Arg::Nil { .. })) =
                    args.get(i)
                {
                    self.at(At::Arg(a));
                    let want = msg.split("expected ").nth(1).and_then(|r| r.split(';').next()).unwrap_or("");
                    return match a {
                        Arg::Nil { .. } => self.fail(st, format!("cannot assign nil to {want}")),
                        _ if want == "string" => self.fail(st, format!("expected string; found {a}")),
                        _ => self.fail(st, format!("can't handle {a} for arg of type {want}")),
                    };
                }
                return self.fail(st, msg);
            }
            if e.0.starts_with("wrong number of args") {
                self.at = ident_at;
                return self.fail(st, e.0);
            }
            self.at(At::Cmd(cmd));
            self.fail(st, format!("error calling {name}: {}", e.0))
        })
    }

    fn eval_arg(&mut self, st: &mut State<'a>, dot: &V<'a>, arg: &'a Arg) -> R<V<'a>> {
        self.at(At::Arg(arg));
        match arg {
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Ok(owned(Value::Nil)),
            Arg::Field { idents, .. } => self.eval_field_chain(st, dot, dot.clone(), arg, idents, &[], None),
            Arg::Var { idents, .. } => self.eval_variable(st, dot, arg, idents, &[], None),
            Arg::Pipe(p) => {
                self.enter(st)?;
                let r = self.eval_pipeline(st, dot, p);
                self.depth -= 1;
                r
            }
            Arg::Ident { name, pos } => self.eval_niladic(st, name, *pos),
            Arg::Chain { node, fields, .. } => self.eval_chain(st, dot, arg, node, fields, &[], None),
            Arg::Bool { val, .. } => Ok(owned(Value::Bool(*val))),
            Arg::Number { val, .. } => Ok(owned(val.clone())),
            Arg::String { val, .. } => Ok(owned(Value::String(val.clone()))),
        }
    }

    /// A function named as an argument: called with no arguments.
    fn eval_niladic(&mut self, st: &mut State<'a>, name: &'a str, pos: usize) -> R<V<'a>> {
        self.at(At::Ident(pos, name));
        if name == "and" || name == "or" {
            return Err(self.fail(st, format!("wrong number of args for {name}: want at least 1 got 0")));
        }
        let result = if let Some(f) = self.set.funcs.get(name) {
            f(&[])
        } else if let Some(f) = builtins::lookup(name) {
            f(&[])
        } else {
            return Err(self.fail(st, format!("{} is not a defined function", gofmt::quote(name))));
        };
        result.map(owned).map_err(|e| match builtins::split_arg_error(&e.0) {
            Some((_, msg)) => self.fail(st, msg),
            None if e.0.starts_with("wrong") => self.fail(st, e.0),
            None => self.fail(st, format!("error calling {name}: {}", e.0)),
        })
    }
}

/// Assigns to the innermost variable `name`; false when there is none.
fn set_var<'a>(st: &mut State<'a>, name: &str, v: V<'a>) -> bool {
    match st.vars.iter_mut().rev().find(|(n, _)| n == name) {
        Some(slot) => {
            slot.1 = v;
            true
        }
        None => false,
    }
}

/// The zero value of a map's element type under `missingkey=zero`: maps of
/// strings (label sets) give "", others nil.
fn zero_of_elem(m: &std::collections::BTreeMap<String, Value>) -> Value {
    if m.values().all(|v| matches!(v, Value::String(_))) { Value::String(String::new()) } else { Value::Nil }
}

/// Go's `isTrue`.
pub(crate) fn is_true(v: &Value) -> bool {
    match v {
        Value::Nil => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::List(l) => !l.is_empty(),
        Value::Map(m) => !m.is_empty(),
    }
}

fn ends_in_safe_html(pipe: &Pipe) -> bool {
    matches!(pipe.cmds.last().and_then(|c| c.args.first()), Some(Arg::Ident { name, .. }) if name == "safeHtml")
}
