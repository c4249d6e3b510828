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
//! - [`alertmanager`]: Alertmanager 0.25's default templates and functions.
//!
//! SKELETON: the engine below only handles texts without actions; the
//! template helper replaces it with the full engine.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;

pub mod alertmanager;
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
    /// A map with string keys (Go map[string]..., ranged in key order) or a
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

/// A parsed set of templates.
#[derive(Clone)]
pub struct Template {
    name: String,
    texts: BTreeMap<String, String>,
    funcs: BTreeMap<String, Func>,
}

impl Template {
    /// An empty template set whose main template is `name`.
    pub fn new(name: &str) -> Self {
        Template { name: name.to_string(), texts: BTreeMap::new(), funcs: BTreeMap::new() }
    }

    /// Adds or replaces functions available to templates parsed afterwards.
    pub fn funcs(&mut self, funcs: impl IntoIterator<Item = (String, Func)>) -> &mut Self {
        self.funcs.extend(funcs);
        self
    }

    /// Parses `text` as the main template (its `{{define}}`s add named templates).
    pub fn parse(&mut self, text: &str) -> Result<&mut Self, Error> {
        if text.contains("{{") {
            return Err(Error(format!("template: {}: actions not supported by the skeleton", self.name)));
        }
        self.texts.insert(self.name.clone(), text.to_string());
        Ok(self)
    }

    /// Executes the main template with `data` as dot.
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        self.execute_named(&self.name, data)
    }

    /// Executes the named template with `data` as dot.
    pub fn execute_named(&self, name: &str, _data: &Value) -> Result<String, Error> {
        self.texts.get(name).cloned().ok_or_else(|| Error(format!("template: no template {name:?}")))
    }
}
