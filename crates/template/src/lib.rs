//! Go `text/template` for argus: alert labels and annotations (Prometheus'
//! template functions) and notification texts (Alertmanager's).
//!
//! This crate owns parsing and executing Go templates over a dynamic
//! [`Value`], Go's number formatting, and the two function sets. It does not
//! own PromQL (`query` calls back through [`QueryFn`]) or alert state.
//!
//! API contract (the rules and alertmanager crates code against it):
//! - [`Template::new`] + [`Template::parse`] (several texts may be parsed into
//!   one set; `{{define}}` adds named templates), [`Template::execute`] /
//!   [`Template::execute_named`].
//! - [`prometheus::Expander`]: Prometheus' alert template expansion
//!   (`$labels`, `$value`, `$externalLabels`, `$externalURL`, functions).
//! - [`alertmanager`]: Alertmanager 0.25's default templates and functions
//!   ([`alertmanager::Templates`]) and its notification data
//!   ([`alertmanager::data`]).
//!
//! The engine is our own (lexer, parser, executor mirroring Go's
//! `text/template/parse` and `exec.go`): gtmpl, the Rust port, compares a
//! float with an int constant wrongly and prints numbers with Rust's Display
//! rather than Go's `%v`, and has had no release since 2021. Numbers print
//! as Go prints them (`1234567.0` as `1.234567e+06`), comparisons follow
//! Go's kind rules (`gt $value 1` is an error, `gt $value 1.0` is not), and
//! error messages read like Go's (`template: NAME:LINE:COL: executing ...`).
//!
//! Go's static types are inferred from a value's shape where they show:
//! a map whose values are all strings is a `map[string]string` (a label
//! set: under `missingkey=zero` a missing key is ""), and maps with exactly
//! the fields of a known struct (the alert template data, a query sample,
//! Alertmanager's Alert, Pair and Data) print, type and fail as that struct.
//!
//! Verification: `tests/promtool.rs` runs ~370 templates whose expected
//! output promtool 2.42 rendered (`testdata/` regenerates the tables), and
//! `tests/alertmanager.rs` compares the default notification templates,
//! the e-mail HTML and html/template escaping with amtool 0.25's renderings.
//!
//! ```
//! use argus_template::{Template, Value};
//! let mut t = Template::new("t");
//! t.parse(r#"{{ define "x" }}<{{ . }}>{{ end }}{{ range . }}{{ template "x" . }}{{ end }}"#).unwrap();
//! let out = t.execute(&Value::List(vec![Value::Float(1234567.0), Value::Int(3)])).unwrap();
//! assert_eq!(out, "<1.234567e+06><3>");
//! ```
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;

pub mod alertmanager;
mod builtins;
mod exec;
mod gofmt;
mod html;
mod lex;
mod parse;
pub mod prometheus;

/// A template error: parse or execution, with template name and position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);

/// A dynamic value as templates see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Go's nil / missing value.
    #[default]
    Nil,
    /// bool
    Bool(bool),
    /// int (Go's int)
    Int(i64),
    /// float64
    Float(f64),
    /// string
    String(String),
    /// A list (Go slice).
    List(Vec<Value>),
    /// A map with string keys (Go `map[string]...`, ranged in key order) or a
    /// struct (fields by name).
    Map(BTreeMap<String, Value>),
}

/// A template function: receives evaluated arguments, returns a value or an error.
pub type Func = Arc<dyn Fn(&[Value]) -> Result<Value, Error> + Send + Sync>;

/// The result rows of a `query` call inside a template.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySample {
    /// Labels of the sample, including `__name__` when present.
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
}

/// Evaluates a PromQL instant query for the `query` template function.
pub type QueryFn = Arc<dyn Fn(&str) -> Result<Vec<QuerySample>, String> + Send + Sync>;

/// A parsed set of templates: a main template plus named ones
/// (`{{define}}`, `{{block}}`), sharing one function map. Cloning is cheap
/// (trees are shared) and is how a text is parsed against a base set.
#[derive(Clone)]
pub struct Template {
    name: String,
    pub(crate) trees: BTreeMap<String, Arc<parse::Tree>>,
    pub(crate) funcs: BTreeMap<String, Func>,
    /// Alertmanager's data methods (`.Alerts.Firing`, `.SortedPairs`, ...).
    pub(crate) am_methods: bool,
    /// `missingkey=zero`: a missing key of a string map yields "".
    pub(crate) missing_zero: bool,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.name)
            .field("templates", &self.trees.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Template {
    /// An empty template set whose main template is `name`.
    pub fn new(name: &str) -> Self {
        Template {
            name: name.to_string(),
            trees: BTreeMap::new(),
            funcs: BTreeMap::new(),
            am_methods: false,
            missing_zero: false,
        }
    }

    /// The main template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same set with `name` as the main template (Go's `t.New(name)`):
    /// parse the next text into it.
    pub fn with_name(&self, name: &str) -> Self {
        Template { name: name.to_string(), ..self.clone() }
    }

    /// Adds or replaces functions available to templates parsed afterwards.
    pub fn funcs(&mut self, funcs: impl IntoIterator<Item = (String, Func)>) -> &mut Self {
        self.funcs.extend(funcs);
        self
    }

    /// Go's `Option`: `missingkey=default`/`invalid` (a missing map key
    /// prints `<no value>`) or `missingkey=zero` (a missing key of a string
    /// map is ""); `missingkey=error` is not supported.
    pub fn option(&mut self, opt: &str) -> Result<&mut Self, Error> {
        match opt {
            "missingkey=default" | "missingkey=invalid" => self.missing_zero = false,
            "missingkey=zero" => self.missing_zero = true,
            _ => return Err(Error(format!("template: unrecognized option: {opt}"))),
        }
        Ok(self)
    }

    /// Parses `text` as the main template (its `{{define}}`s add named
    /// templates). As in Go, a definition replaces an earlier one of the same
    /// name unless the new one is empty; the error is Go's
    /// `template: NAME:LINE: ...`.
    pub fn parse(&mut self, text: &str) -> Result<&mut Self, Error> {
        let funcs = &self.funcs;
        let has_func = |n: &str| funcs.contains_key(n) || builtins::is_builtin(n);
        let trees = parse::parse(&self.name, text, &has_func).map_err(Error)?;
        for t in trees {
            if t.is_empty() && self.trees.contains_key(&t.name) {
                continue;
            }
            self.trees.insert(t.name.clone(), Arc::new(t));
        }
        Ok(self)
    }

    /// Whether a template of that name is defined.
    pub fn has(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// Executes the main template with `data` as dot.
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        self.execute_named(&self.name, data)
    }

    /// Executes the named template with `data` as dot.
    pub fn execute_named(&self, name: &str, data: &Value) -> Result<String, Error> {
        self.run(name, data, false)
    }

    pub(crate) fn run(&self, name: &str, data: &Value, html: bool) -> Result<String, Error> {
        let Some(tree) = self.trees.get(name) else {
            if name == self.name {
                return Err(Error(format!(
                    "template: {}: {} is an incomplete or empty template",
                    name,
                    gofmt::quote(name)
                )));
            }
            return Err(Error(format!(
                "template: no template {} associated with template {}",
                gofmt::quote(name),
                gofmt::quote(&self.name)
            )));
        };
        let mut ex = exec::Exec { set: self, html, out: String::new(), depth: 0, at: None, scan: Default::default() };
        ex.run(tree, data)?;
        Ok(ex.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` on a thread with a 2 MiB stack, the size of tokio's workers.
    fn on_small_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new().stack_size(2 << 20).spawn(f).unwrap().join().unwrap();
    }

    #[test]
    fn deep_recursion_is_an_error_not_a_stack_overflow() {
        on_small_stack(|| {
            let mut t = Template::new("t");
            t.parse(r#"{{ define "f" }}{{ with . }}{{ if . }}{{ template "f" (print . "x") }}{{ end }}{{ end }}{{ end }}{{ template "f" "x" }}"#).unwrap();
            let err = t.execute(&Value::Nil).unwrap_err();
            assert!(err.0.contains("exceeded maximum template depth (150)"), "{err}");
        });
    }

    #[test]
    fn deep_nesting_is_a_parse_error() {
        on_small_stack(|| {
            for text in [
                format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000)),
                format!("{}x{}", "{{ if 1 }}".repeat(5000), "{{ end }}".repeat(5000)),
            ] {
                let err = Template::new("t").parse(&text).map(|_| ()).unwrap_err();
                assert_eq!(err.0, "template: t:1: max expression depth exceeded");
            }
            // Within the bound, both parse and run.
            let text = format!(
                "{{{{ {}1{} }}}}{}x{}",
                "(".repeat(90),
                ")".repeat(90),
                "{{ if 1 }}".repeat(90),
                "{{ end }}".repeat(90)
            );
            let mut t = Template::new("t");
            t.parse(&text).unwrap();
            assert_eq!(t.execute(&Value::Nil).unwrap(), "1x");
        });
    }

    #[test]
    fn definitions_replace_unless_empty() {
        let mut t = Template::new("a");
        t.parse(r#"{{ define "x" }}one{{ end }}"#).unwrap();
        t.with_name("b").parse(r#"{{ define "x" }}two{{ end }}"#).unwrap();
        assert_eq!(t.execute_named("x", &Value::Nil).unwrap(), "one", "with_name returns a copy");
        let mut u = t.with_name("b");
        u.parse(r#"{{ define "x" }}two{{ end }}{{ define "y" }}   {{ end }}"#).unwrap();
        assert_eq!(u.execute_named("x", &Value::Nil).unwrap(), "two");
        u.parse(r#"{{ define "x" }} {{ end }}"#).unwrap();
        assert_eq!(u.execute_named("x", &Value::Nil).unwrap(), "two");
        assert_eq!(
            u.execute_named("nope", &Value::Nil).unwrap_err().0,
            r#"template: no template "nope" associated with template "b""#
        );
    }

    #[test]
    fn missing_keys() {
        let data = Value::Map(BTreeMap::from([(
            "m".to_string(),
            Value::Map(BTreeMap::from([("a".to_string(), Value::String("x".into()))])),
        )]));
        let mut t = Template::new("t");
        t.parse("{{ .m.a }}|{{ .m.b }}|{{ .nope }}").unwrap();
        assert_eq!(t.execute(&data).unwrap(), "x|<no value>|<no value>");
        t.option("missingkey=zero").unwrap();
        assert_eq!(t.execute(&data).unwrap(), "x||<no value>");
        assert!(t.option("missingkey=error").is_err());
    }
}

#[cfg(test)]
mod send_sync {
    /// The rules and alertmanager crates share template sets across tasks.
    #[test]
    fn template_sets_are_send_and_sync() {
        fn check<T: Send + Sync + Clone>() {}
        check::<crate::Template>();
        check::<crate::alertmanager::Templates>();
        check::<crate::prometheus::Expander>();
    }
}
