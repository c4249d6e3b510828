//! The rule-file format (Prometheus' `rulefmt`): parsing and validation.
//!
//! [`parse_file`] reads a rule file into [`RuleGroups`] and validates it the
//! way Prometheus 2.42 does at load time and `promtool check rules` does,
//! returning every problem with promtool's exact wording and positions
//! (`7:15: group "x", rule 1, "name": could not parse expression: ...`).
//! It is the "raw" form of rules: the evaluator builds [`crate::Group`]s from it.

use std::path::Path;

use argus_model::{is_valid_label_name, is_valid_metric_name};

use crate::yaml::{self, Decoder, Node, Pos};

/// All groups of one rule file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleGroups {
    /// The groups in file order.
    pub groups: Vec<RuleGroup>,
}

/// One `groups[]` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleGroup {
    /// `name`.
    pub name: String,
    /// `interval` in ms (0 = the global evaluation interval).
    pub interval_ms: i64,
    /// `limit` (0 = none).
    pub limit: i64,
    /// The rules in file order.
    pub rules: Vec<RuleNode>,
    /// Where the group's mapping starts.
    pub pos: Pos,
}

/// One rule as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleNode {
    /// `record` (empty for alerting rules).
    pub record: String,
    /// `alert` (empty for recording rules).
    pub alert: String,
    /// `expr`.
    pub expr: String,
    /// `for` in ms.
    pub for_ms: i64,
    /// `keep_firing_for` in ms.
    pub keep_firing_for_ms: i64,
    /// `labels` in file order.
    pub labels: Vec<(String, String)>,
    /// `annotations` in file order.
    pub annotations: Vec<(String, String)>,
    record_pos: Pos,
    alert_pos: Pos,
    expr_pos: Pos,
}

impl RuleNode {
    /// The rule's name: `alert` or `record`.
    pub fn name(&self) -> &str {
        if self.alert.is_empty() { &self.record } else { &self.alert }
    }
}

/// Reads and validates a rule file. Errors are prefixed with the file name
/// as promtool prints them (`file: 7:15: group ...`).
pub fn parse_file(path: &Path) -> Result<RuleGroups, Vec<String>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{name}: {}", go_io_error(path, &e))])?;
    parse(&text).map_err(|errs| errs.into_iter().map(|e| format!("{name}: {e}")).collect())
}

/// Go's `open FILE: no such file or directory` wording for read errors.
pub(crate) fn go_io_error(path: &Path, e: &std::io::Error) -> String {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    format!("open {}: {what}", path.display())
}

/// Parses and validates rule-file text.
pub fn parse(text: &str) -> Result<RuleGroups, Vec<String>> {
    let root = match yaml::parse(text) {
        // Prometheus decodes twice (strictly into the structs, then into
        // nodes) and reports a syntax error from both.
        Err(e) => return Err(vec![e.clone(), e]),
        Ok(None) => return Ok(RuleGroups::default()),
        Ok(Some(n)) => n,
    };
    let mut d = Decoder::default();
    let mut dur_err = None;
    let mut rgs = RuleGroups::default();
    for (k, v) in d.fields(&root, "rulefmt.RuleGroups", &["groups"]) {
        if k == "groups" {
            for g in d.seq(v, "[]rulefmt.RuleGroup") {
                rgs.groups.push(decode_group(&mut d, g, &mut dur_err));
            }
        }
    }
    // A duration's own unmarshaler aborts go-yaml's decoding, so its error
    // replaces any type errors collected so far.
    if let Some(e) = dur_err {
        return Err(vec![e]);
    }
    if let Some(e) = d.finish() {
        // The second, node-level decode fails the same way when the
        // document is not a mapping.
        if !matches!(root, Node::Map { .. }) {
            let again = e.replace("rulefmt.RuleGroups", "rulefmt.ruleGroups");
            return Err(vec![e, again]);
        }
        return Err(vec![e]);
    }
    let errs = validate(&rgs);
    if errs.is_empty() { Ok(rgs) } else { Err(errs) }
}

fn duration_field(d: &mut Decoder, v: &Node, dur_err: &mut Option<String>) -> i64 {
    let s = d.string(v);
    if s.is_empty() {
        return 0;
    }
    match yaml::duration(&s) {
        Ok(ms) => ms,
        Err(e) => {
            dur_err.get_or_insert(e);
            0
        }
    }
}

fn decode_group(d: &mut Decoder, n: &Node, dur_err: &mut Option<String>) -> RuleGroup {
    let mut g = RuleGroup { pos: n.pos(), ..Default::default() };
    for (k, v) in d.fields(n, "rulefmt.RuleGroup", &["name", "interval", "limit", "rules"]) {
        match k {
            "name" => g.name = d.string(v),
            "interval" => g.interval_ms = duration_field(d, v, dur_err),
            "limit" => g.limit = d.int(v),
            _ => {
                for r in d.seq(v, "[]rulefmt.RuleNode") {
                    g.rules.push(decode_rule(d, r, dur_err));
                }
            }
        }
    }
    g
}

const RULE_FIELDS: &[&str] = &["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"];

fn decode_rule(d: &mut Decoder, n: &Node, dur_err: &mut Option<String>) -> RuleNode {
    let mut r = RuleNode::default();
    for (k, v) in d.fields(n, "rulefmt.RuleNode", RULE_FIELDS) {
        match k {
            "record" => (r.record, r.record_pos) = (d.string(v), v.pos()),
            "alert" => (r.alert, r.alert_pos) = (d.string(v), v.pos()),
            "expr" => (r.expr, r.expr_pos) = (d.string(v), v.pos()),
            "for" => r.for_ms = duration_field(d, v, dur_err),
            "keep_firing_for" => r.keep_firing_for_ms = duration_field(d, v, dur_err),
            "labels" => r.labels = d.string_map(v),
            _ => r.annotations = d.string_map(v),
        }
    }
    // go-yaml gives an empty scalar no position, so `alert: ""` reports 0:0.
    if r.record.is_empty() {
        r.record_pos = Pos::default();
    }
    if r.alert.is_empty() {
        r.alert_pos = Pos::default();
    }
    r
}

/// Validates decoded groups like `RuleGroups.Validate` (2.42).
pub fn validate(rgs: &RuleGroups) -> Vec<String> {
    let mut errs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for g in &rgs.groups {
        if g.name.is_empty() {
            errs.push(format!("{}: Groupname must not be empty", g.pos));
        }
        if !seen.insert(g.name.as_str()) {
            errs.push(format!("{}: groupname: \"{}\" is repeated in the same file", g.pos, g.name));
        }
        for (i, r) in g.rules.iter().enumerate() {
            for (pos, e) in validate_rule(r) {
                let prefix = format!("group {}, rule {}, {}", go_quote(&g.name), i + 1, go_quote(r.name()));
                errs.push(match pos {
                    Some(p) => format!("{p}: {prefix}: {e}"),
                    None => format!("{prefix}: {e}"),
                });
            }
        }
    }
    errs
}

/// Go's `%q` of a string.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn validate_rule(r: &RuleNode) -> Vec<(Option<String>, String)> {
    let mut errs: Vec<(Option<String>, String)> = Vec::new();
    let at = |p: Pos| Some(p.to_string());
    if !r.record.is_empty() && !r.alert.is_empty() {
        errs.push((
            Some(format!("{}: {}", r.record_pos, r.alert_pos)),
            "only one of 'record' and 'alert' must be set".into(),
        ));
    }
    if r.record.is_empty() && r.alert.is_empty() {
        errs.push((at(r.record_pos), "one of 'record' or 'alert' must be set".into()));
    }
    if r.expr.is_empty() {
        errs.push((at(r.expr_pos), "field 'expr' must be set in rule".into()));
    } else if let Err(e) = argus_promql::validate(&r.expr) {
        errs.push((at(r.expr_pos), format!("could not parse expression: {e}")));
    }
    if !r.record.is_empty() {
        if !r.annotations.is_empty() {
            errs.push((at(r.record_pos), "invalid field 'annotations' in recording rule".into()));
        }
        if r.for_ms != 0 {
            errs.push((at(r.record_pos), "invalid field 'for' in recording rule".into()));
        }
        if r.keep_firing_for_ms != 0 {
            errs.push((at(r.record_pos), "invalid field 'keep_firing_for' in recording rule".into()));
        }
        if !is_valid_metric_name(&r.record) {
            errs.push((at(r.record_pos), format!("invalid recording rule name: {}", r.record)));
        }
    }
    let mut labels = r.labels.clone();
    labels.sort();
    for (k, _) in &labels {
        if !is_valid_label_name(k) || k == "__name__" {
            errs.push((None, format!("invalid label name: {k}")));
        }
    }
    let mut ann = r.annotations.clone();
    ann.sort();
    for (k, _) in &ann {
        if !is_valid_label_name(k) {
            errs.push((None, format!("invalid annotation name: {k}")));
        }
    }
    if !r.alert.is_empty() {
        let tmpl = format!("__alert_{}", r.alert);
        for (what, set) in [("label", &labels), ("annotation", &ann)] {
            for (k, v) in set.iter() {
                if let Err(e) = argus_template::prometheus::Expander::check(&tmpl, v) {
                    errs.push((None, format!("{what} {}: {e}", go_quote(k))));
                }
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, want: &[&str]) {
        let got = match parse(text) {
            Ok(_) => vec![],
            Err(e) => e,
        };
        assert_eq!(got, want, "for {text}");
    }

    #[test]
    fn promtool_messages() {
        check(
            "groups:\n- name: g\n  rules:\n  - record: \"bad name\"\n    expr: up\n",
            &["4:13: group \"g\", rule 1, \"bad name\": invalid recording rule name: bad name"],
        );
        check(
            "groups:\n- name: g\n  rules:\n  - alert: A\n    record: b\n    expr: up\n",
            &["5:13: 4:12: group \"g\", rule 1, \"A\": only one of 'record' and 'alert' must be set"],
        );
        check(
            "groups:\n- name: g\n  rules:\n  - expr: up\n",
            &["0:0: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set"],
        );
        check(
            "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    for: 5m\n",
            &["4:13: group \"g\", rule 1, \"r\": invalid field 'for' in recording rule"],
        );
        check(
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n- name: g\n  rules: []\n",
            &["6:3: groupname: \"g\" is repeated in the same file"],
        );
        check(
            "groups:\n- name: g\n  foo: 1\n  rules:\n  - alert: A\n    expr: up\n    bar: 2\n",
            &[
                "yaml: unmarshal errors:\n  line 3: field foo not found in type rulefmt.RuleGroup\n  line 7: field bar not found in type rulefmt.RuleNode",
            ],
        );
        check("groups:\n- name: g\n  interval: 5x\n  rules: []\n", &["not a valid duration string: \"5x\""]);
        check(
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    labels:\n      \"0bad\": x\n",
            &["group \"g\", rule 1, \"A\": invalid label name: 0bad"],
        );
        check("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    keep_firing_for: 5m\n", &[]);
        check("", &[]);
    }
}
