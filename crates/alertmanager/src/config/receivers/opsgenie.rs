//! `opsgenie_configs`: the opsgenie integration's settings, defaults and checks (Alertmanager 0.25).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{check_http, check_url, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `opsgenie_configs[]`.
    OpsGenieConfig, send_resolved = true, {
    /// `api_key` (secret); defaults to `global.opsgenie_api_key`.
    api_key: Secret = Secret::default(),
    /// `api_key_file`.
    api_key_file: String = String::new(),
    /// `api_url`; defaults to `global.opsgenie_api_url`.
    api_url: Option<String> = None,
    /// `message`.
    message: String = tmpl("opsgenie.default.message"),
    /// `description`.
    description: String = tmpl("opsgenie.default.description"),
    /// `source`.
    source: String = tmpl("opsgenie.default.source"),
    /// `details`.
    details: BTreeMap<String, String> = BTreeMap::new(),
    /// `entity`.
    entity: String = String::new(),
    /// `responders`.
    responders: Vec<OpsGenieResponder> = Vec::new(),
    /// `actions`.
    actions: String = String::new(),
    /// `tags`.
    tags: String = String::new(),
    /// `note`.
    note: String = String::new(),
    /// `priority`.
    priority: String = String::new(),
    /// `update_alerts`.
    update_alerts: bool = false,
});

/// An Opsgenie responder.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsGenieResponder {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `username`.
    pub username: String,
    /// `type`: team, teams, user, escalation or schedule.
    #[serde(rename = "type")]
    pub kind: String,
}

impl OpsGenieConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        check_url(&c.api_url)?;
        if !c.api_key.is_empty() && !c.api_key_file.is_empty() {
            return Err("at most one of api_key & api_key_file must be configured".into());
        }
        for r in &c.responders {
            let shown = format!("{{{} {} {} {}}}", r.id, r.name, r.username, r.kind);
            if r.id.is_empty() && r.username.is_empty() && r.name.is_empty() {
                return Err(format!(
                    "opsGenieConfig responder {shown} has to have at least one of id, username or name specified"
                ));
            }
            if !r.kind.contains("{{") {
                let kind = r.kind.to_lowercase();
                if !["team", "teams", "user", "escalation", "schedule"].contains(&kind.as_str()) {
                    return Err(format!(
                        "opsGenieConfig responder {shown} type does not match valid options ^(team|teams|user|escalation|schedule)$"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        let url = c.api_url.get_or_insert_with(|| g.opsgenie_api_url.clone());
        if !url.ends_with('/') {
            url.push('/');
        }
        if c.api_key.is_empty() && c.api_key_file.is_empty() {
            if g.opsgenie_api_key.is_empty() && g.opsgenie_api_key_file.is_empty() {
                return Err("no global OpsGenie API Key set either inline or in a file".into());
            }
            c.api_key = g.opsgenie_api_key.clone();
            c.api_key_file = g.opsgenie_api_key_file.clone();
        }
        Ok(())
    }
}
