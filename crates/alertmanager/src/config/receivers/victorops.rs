//! `victorops_configs`: the victorops integration's settings, defaults and checks (Alertmanager 0.25).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{check_http, check_url, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `victorops_configs[]`.
    VictorOpsConfig, send_resolved = true, {
    /// `api_key`.
    api_key: Secret = Secret::default(),
    /// `api_key_file`.
    api_key_file: String = String::new(),
    /// `api_url`.
    api_url: Option<String> = None,
    /// `routing_key` (required).
    routing_key: String = String::new(),
    /// `message_type`.
    message_type: String = "CRITICAL".to_string(),
    /// `state_message`.
    state_message: String = tmpl("victorops.default.state_message"),
    /// `entity_display_name`.
    entity_display_name: String = tmpl("victorops.default.entity_display_name"),
    /// `monitoring_tool`.
    monitoring_tool: String = tmpl("victorops.default.monitoring_tool"),
    /// `custom_fields`.
    custom_fields: BTreeMap<String, String> = BTreeMap::new(),
});

const VICTOROPS_RESERVED: [&str; 7] = [
    "routing_key",
    "message_type",
    "state_message",
    "entity_display_name",
    "monitoring_tool",
    "entity_id",
    "entity_state",
];

impl VictorOpsConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        check_url(&c.api_url)?;
        if c.routing_key.is_empty() {
            return Err("missing Routing key in VictorOps config".into());
        }
        if let Some(k) = c.custom_fields.keys().find(|k| VICTOROPS_RESERVED.contains(&k.as_str())) {
            return Err(format!(
                "victorOps config contains custom field {k} which cannot be used as it conflicts with the fixed/static fields"
            ));
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        let url = c.api_url.get_or_insert_with(|| g.victorops_api_url.clone());
        if !url.ends_with('/') {
            url.push('/');
        }
        if c.api_key.is_empty() && c.api_key_file.is_empty() {
            if g.victorops_api_key.is_empty() && g.victorops_api_key_file.is_empty() {
                return Err("no global VictorOps API Key set".into());
            }
            c.api_key = g.victorops_api_key.clone();
            c.api_key_file = g.victorops_api_key_file.clone();
        }
        Ok(())
    }
}
