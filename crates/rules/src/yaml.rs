//! A YAML node tree that keeps line and column of every node.
//!
//! Prometheus reports rule-file errors with the position of the offending
//! node (`7:15: group "x", rule 1, ...`) and go-yaml's strict decoding errors
//! (`line 3: field foo not found in type rulefmt.RuleGroup`); serde-based YAML
//! crates drop positions, so the rule and test files are read into this tree
//! (built from `yaml-rust2`'s event parser) and decoded by hand.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in the source, 1-based like go-yaml's (0:0 = absent node).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub col: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A scalar with its text, whether it was plain (unquoted), and position.
    Scalar { value: String, plain: bool, pos: Pos },
    /// A sequence.
    Seq { items: Vec<Node>, pos: Pos },
    /// A mapping in source order.
    Map { entries: Vec<(Node, Node)>, pos: Pos },
}

impl Node {
    pub fn pos(&self) -> Pos {
        match self {
            Node::Scalar { pos, .. } | Node::Seq { pos, .. } | Node::Map { pos, .. } => *pos,
        }
    }

    /// True for an empty document, `~` or `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { value, plain: true, .. } if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// Go-yaml's name of the node kind in type errors (`!!seq`, `!!map`, `!!str`...).
    pub fn tag(&self) -> &'static str {
        match self {
            Node::Seq { .. } => "!!seq",
            Node::Map { .. } => "!!map",
            Node::Scalar { value, plain, .. } => {
                if !plain {
                    "!!str"
                } else if value.parse::<i64>().is_ok() {
                    "!!int"
                } else if value.parse::<f64>().is_ok() {
                    "!!float"
                } else if matches!(value.as_str(), "true" | "false" | "True" | "False") {
                    "!!bool"
                } else {
                    "!!str"
                }
            }
        }
    }

    /// The node's text as go-yaml shows it in type errors (`` `abc` ``).
    pub fn shown(&self) -> String {
        match self {
            Node::Scalar { value, .. } => {
                let v: String = value.chars().take(40).collect();
                format!("`{v}`")
            }
            _ => String::new(),
        }
    }
}

/// Parses `text` into its first document; `Ok(None)` for an empty stream.
pub fn parse(text: &str) -> Result<Option<Node>, String> {
    let mut b = Builder::default();
    let mut p = Parser::new_from_str(text);
    p.load(&mut b, false).map_err(|e| {
        // yaml-rust2 prefixes libyaml's context ("while parsing a node, ");
        // go-yaml prints only the problem.
        let info = e.info();
        let problem = match info.split_once(", ") {
            Some((ctx, p)) if ctx.starts_with("while ") => p,
            _ => info,
        };
        format!("yaml: line {}: {problem}", e.marker().line())
    })?;
    if let Some(e) = b.err {
        return Err(e);
    }
    Ok(b.doc)
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    doc: Option<Node>,
    done: bool,
    err: Option<String>,
}

enum Frame {
    Seq(Vec<Node>, Pos, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Pos, usize),
}

fn pos(m: Marker) -> Pos {
    Pos { line: m.line(), col: m.col() + 1 }
}

impl Builder {
    fn push_node(&mut self, n: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, n.clone());
        }
        match self.stack.last_mut() {
            Some(Frame::Seq(items, _, _)) => items.push(n),
            Some(Frame::Map(entries, key, _, _)) => match key.take() {
                Some(k) => entries.push((k, n)),
                None => *key = Some(n),
            },
            None => {
                if !self.done {
                    self.doc = Some(n);
                    self.done = true;
                }
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, style, anchor, _) => {
                let plain = style == TScalarStyle::Plain;
                self.push_node(Node::Scalar { value, plain, pos: pos(mark) }, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(Vec::new(), pos(mark), anchor)),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map(Vec::new(), None, pos(mark), anchor)),
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items, p, a)) = self.stack.pop() {
                    self.push_node(Node::Seq { items, pos: p }, a);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(entries, _, p, a)) = self.stack.pop() {
                    // go-yaml places a block mapping at its first key.
                    let p = match entries.first() {
                        Some((k, _)) if (k.pos().line, k.pos().col) < (p.line, p.col) => k.pos(),
                        _ => p,
                    };
                    self.push_node(Node::Map { entries, pos: p }, a);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(n) => self.push_node(n, 0),
                None => self.err = Some(format!("yaml: unknown anchor {id} referenced")),
            },
            _ => {}
        }
    }
}

/// Collects go-yaml style "unmarshal errors" (`line N: ...`) while decoding.
#[derive(Debug, Default)]
pub struct Decoder {
    pub errors: Vec<String>,
}

impl Decoder {
    /// Records a type error like go-yaml: `line 3: cannot unmarshal !!seq into string`.
    pub fn type_err(&mut self, n: &Node, go_type: &str) {
        let shown = n.shown();
        let shown = if shown.is_empty() { String::new() } else { format!(" {shown}") };
        self.errors.push(format!("line {}: cannot unmarshal {}{} into {}", n.pos().line, n.tag(), shown, go_type));
    }

    /// Iterates the entries of a mapping, reporting unknown keys like go-yaml's
    /// strict mode (`field foo not found in type rulefmt.RuleGroup`).
    pub fn fields<'a>(&mut self, n: &'a Node, go_type: &str, known: &[&str]) -> Vec<(&'a str, &'a Node)> {
        let mut out = Vec::new();
        match n {
            Node::Map { entries, .. } => {
                let mut seen: Vec<(&str, usize)> = Vec::new();
                for (k, v) in entries {
                    let Node::Scalar { value: key, .. } = k else {
                        self.type_err(k, "string");
                        continue;
                    };
                    if let Some((_, line)) = seen.iter().find(|(s, _)| *s == key.as_str()) {
                        self.errors.push(format!(
                            "line {}: mapping key {:?} already defined at line {line}",
                            k.pos().line,
                            key
                        ));
                        continue;
                    }
                    seen.push((key, k.pos().line));
                    if !known.contains(&key.as_str()) {
                        self.errors.push(format!("line {}: field {} not found in type {}", k.pos().line, key, go_type));
                        continue;
                    }
                    out.push((key.as_str(), v));
                }
            }
            _ if n.is_null() => {}
            _ => self.type_err(n, go_type),
        }
        out
    }

    /// A string scalar (null gives "").
    pub fn string(&mut self, n: &Node) -> String {
        match n {
            _ if n.is_null() => String::new(),
            Node::Scalar { value, .. } => value.clone(),
            _ => {
                self.type_err(n, "string");
                String::new()
            }
        }
    }

    /// A sequence's items (null gives none).
    pub fn seq<'a>(&mut self, n: &'a Node, go_type: &str) -> &'a [Node] {
        match n {
            Node::Seq { items, .. } => items,
            _ if n.is_null() => &[],
            _ => {
                self.type_err(n, go_type);
                &[]
            }
        }
    }

    /// A `map[string]string`, keys in source order (later duplicates win).
    pub fn string_map(&mut self, n: &Node) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        match n {
            Node::Map { entries, .. } => {
                for (k, v) in entries {
                    let k = self.string(k);
                    let v = self.string(v);
                    if let Some(e) = out.iter_mut().find(|(x, _)| *x == k) {
                        e.1 = v;
                    } else {
                        out.push((k, v));
                    }
                }
            }
            _ if n.is_null() => {}
            _ => self.type_err(n, "map[string]string"),
        }
        out
    }

    /// An int.
    pub fn int(&mut self, n: &Node) -> i64 {
        match n {
            _ if n.is_null() => 0,
            Node::Scalar { value, plain: true, .. } if value.parse::<i64>().is_ok() => value.parse().unwrap_or(0),
            _ => {
                self.type_err(n, "int");
                0
            }
        }
    }

    /// A float64.
    pub fn float(&mut self, n: &Node) -> f64 {
        if let Node::Scalar { value, plain: true, .. } = n {
            let v = match value.as_str() {
                ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" => Some(f64::INFINITY),
                "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
                ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
                s => s.parse::<f64>().ok(),
            };
            if let Some(v) = v {
                return v;
            }
        }
        if n.is_null() {
            return 0.0;
        }
        self.type_err(n, "float64");
        0.0
    }

    /// The go-yaml error text, `None` when nothing went wrong.
    pub fn finish(&self) -> Option<String> {
        (!self.errors.is_empty()).then(|| format!("yaml: unmarshal errors:\n  {}", self.errors.join("\n  ")))
    }
}

/// Parses a Prometheus `model.Duration` (`1h30m`, `0`), Prometheus' error text otherwise.
pub fn duration(s: &str) -> Result<i64, String> {
    argus_model::parse_duration(s).ok_or_else(|| format!("not a valid duration string: {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let n = parse("groups:\n- name: g\n  rules: []\n").unwrap().unwrap();
        let Node::Map { entries, .. } = n else { panic!() };
        let Node::Seq { items, .. } = &entries[0].1 else { panic!() };
        assert_eq!(items[0].pos(), Pos { line: 2, col: 3 });
    }

    #[test]
    fn strict_fields() {
        let n = parse("a: 1\nb: 2\n").unwrap().unwrap();
        let mut d = Decoder::default();
        let f = d.fields(&n, "T", &["a"]);
        assert_eq!(f.len(), 1);
        assert_eq!(d.finish().unwrap(), "yaml: unmarshal errors:\n  line 2: field b not found in type T");
    }
}
