//! `sns_configs`: the sns integration's settings, defaults and checks (Alertmanager 0.25).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{check_http, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `sns_configs[]`.
    SnsConfig, send_resolved = true, {
    /// `api_url`.
    api_url: String = String::new(),
    /// `sigv4`.
    sigv4: SigV4 = SigV4::default(),
    /// `topic_arn`.
    topic_arn: String = String::new(),
    /// `phone_number`.
    phone_number: String = String::new(),
    /// `target_arn`.
    target_arn: String = String::new(),
    /// `subject`.
    subject: String = tmpl("sns.default.subject"),
    /// `message`.
    message: String = tmpl("sns.default.message"),
    /// `attributes`.
    attributes: Option<BTreeMap<String, String>> = None,
});

/// AWS Signature Version 4 settings of the SNS integration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigV4 {
    /// `region`.
    pub region: String,
    /// `access_key`.
    pub access_key: String,
    /// `secret_key`.
    pub secret_key: Secret,
    /// `profile`.
    pub profile: String,
    /// `role_arn`.
    pub role_arn: String,
}

impl SnsConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        let (t, p, a) = (c.target_arn.is_empty(), c.topic_arn.is_empty(), c.phone_number.is_empty());
        // Alertmanager 0.25 writes this check as a chained `!=`, which also
        // accepts all three being set; we keep its exact truth table.
        if (t != p) != a {
            return Err("must provide either a Target ARN, Topic ARN, or Phone Number for SNS config".into());
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        Ok(())
    }
}
