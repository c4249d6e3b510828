//! `pagerduty_configs`: the pagerduty integration's settings, defaults and checks (Alertmanager 0.25).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{check_http, check_url, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `pagerduty_configs[]`.
    PagerdutyConfig, send_resolved = true, {
    /// `service_key` (Events API v1).
    service_key: Secret = Secret::default(),
    /// `service_key_file`.
    service_key_file: String = String::new(),
    /// `routing_key` (Events API v2).
    routing_key: Secret = Secret::default(),
    /// `routing_key_file`.
    routing_key_file: String = String::new(),
    /// `url`; defaults to `global.pagerduty_url`.
    url: Option<String> = None,
    /// `client`.
    client: String = tmpl("pagerduty.default.client"),
    /// `client_url`.
    client_url: String = tmpl("pagerduty.default.clientURL"),
    /// `description`.
    description: String = tmpl("pagerduty.default.description"),
    /// `details`; Alertmanager's default keys are added when missing.
    details: BTreeMap<String, String> = BTreeMap::new(),
    /// `images`.
    images: Vec<PagerdutyImage> = Vec::new(),
    /// `links`.
    links: Vec<PagerdutyLink> = Vec::new(),
    /// `source`.
    source: String = String::new(),
    /// `severity`.
    severity: String = "error".to_string(),
    /// `class`.
    class: String = String::new(),
    /// `component`.
    component: String = String::new(),
    /// `group`.
    group: String = String::new(),
});

/// A PagerDuty image.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PagerdutyImage {
    /// `src`.
    pub src: String,
    /// `alt`.
    pub alt: String,
    /// `href`.
    pub href: String,
}

/// A PagerDuty link.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PagerdutyLink {
    /// `href`.
    pub href: String,
    /// `text`.
    pub text: String,
}

impl PagerdutyConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        check_url(&c.url)?;
        if c.routing_key.is_empty()
            && c.service_key.is_empty()
            && c.routing_key_file.is_empty()
            && c.service_key_file.is_empty()
        {
            return Err("missing service or routing key in PagerDuty config".into());
        }
        if !c.routing_key.is_empty() && !c.routing_key_file.is_empty() {
            return Err("at most one of routing_key & routing_key_file must be configured".into());
        }
        if !c.service_key.is_empty() && !c.service_key_file.is_empty() {
            return Err("at most one of service_key & service_key_file must be configured".into());
        }
        for (k, v) in [
            ("firing", r#"{{ template "pagerduty.default.instances" .Alerts.Firing }}"#),
            ("resolved", r#"{{ template "pagerduty.default.instances" .Alerts.Resolved }}"#),
            ("num_firing", "{{ .Alerts.Firing | len }}"),
            ("num_resolved", "{{ .Alerts.Resolved | len }}"),
        ] {
            c.details.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        if c.url.is_none() {
            c.url = Some(g.pagerduty_url.clone());
        }
        Ok(())
    }
}
