//! `pushover_configs`: the pushover integration's settings, defaults and checks (Alertmanager 0.25).

use serde::Deserialize;

use super::{check_http, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `pushover_configs[]`.
    PushoverConfig, send_resolved = true, {
    /// `user_key`.
    user_key: Secret = Secret::default(),
    /// `token`.
    token: Secret = Secret::default(),
    /// `title`.
    title: String = tmpl("pushover.default.title"),
    /// `message`.
    message: String = tmpl("pushover.default.message"),
    /// `url`.
    url: String = tmpl("pushover.default.url"),
    /// `url_title`.
    url_title: String = String::new(),
    /// `sound`.
    sound: String = String::new(),
    /// `priority`.
    priority: String = r#"{{ if eq .Status "firing" }}2{{ else }}0{{ end }}"#.to_string(),
    /// `retry` (Go duration, default 1m).
    retry: String = "1m".to_string(),
    /// `expire` (Go duration, default 1h).
    expire: String = "1h".to_string(),
    /// `html`.
    html: bool = false,
});

/// Parses a Go `time.Duration` string (`1m30s`, `1.5h`), for pushover's retry/expire.
pub(crate) fn check_go_duration(s: &str) -> Result<(), String> {
    let orig = s;
    let mut s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return Ok(());
    }
    if s.is_empty() {
        return Err(format!("time: invalid duration {orig:?}"));
    }
    while !s.is_empty() {
        let num_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        let (num, rest) = s.split_at_checked(num_end).unwrap_or((s, ""));
        if num.is_empty() || num == "." {
            return Err(format!("time: invalid duration {orig:?}"));
        }
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let (unit, rest) = rest.split_at_checked(unit_end).unwrap_or((rest, ""));
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {orig:?}"));
        }
        if !["ns", "us", "µs", "μs", "ms", "s", "m", "h"].contains(&unit) {
            return Err(format!("time: unknown unit {unit:?} in duration {orig:?}"));
        }
        s = rest;
    }
    Ok(())
}

impl PushoverConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        check_go_duration(&c.retry)?;
        check_go_duration(&c.expire)?;
        if c.user_key.is_empty() {
            return Err("missing user key in Pushover config".into());
        }
        if c.token.is_empty() {
            return Err("missing token in Pushover config".into());
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
