//! What a notification says: Alertmanager's template data (`template.Data`)
//! for one flush, both as the webhook's JSON message and as the template
//! engine's [`Value`], and Go's JSON quirks the webhook payload keeps.

use std::collections::BTreeMap;

use argus_model::Labels;
use argus_template::Value;
use argus_template::alertmanager::{self, AlertData};
use serde::Serialize;

use crate::alert::Alert;
use crate::timefmt::format_opt;

/// One alert as templates and the webhook see it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DataAlert {
    pub status: &'static str,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    pub fingerprint: String,
}

/// Alertmanager's `template.Data`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Data {
    pub receiver: String,
    pub status: &'static str,
    pub alerts: Vec<DataAlert>,
    #[serde(rename = "groupLabels")]
    pub group_labels: BTreeMap<String, String>,
    #[serde(rename = "commonLabels")]
    pub common_labels: BTreeMap<String, String>,
    #[serde(rename = "commonAnnotations")]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    pub external_url: String,
}

fn label_map(l: &Labels) -> BTreeMap<String, String> {
    l.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect()
}

/// Go's `regexp.QuoteMeta`, which Alertmanager applies to the receiver name.
pub(crate) fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn common(maps: &[BTreeMap<String, String>]) -> BTreeMap<String, String> {
    let Some((first, rest)) = maps.split_first() else { return BTreeMap::new() };
    first
        .iter()
        .filter(|(k, v)| rest.iter().all(|m| m.get(*k) == Some(*v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl Data {
    /// The data of a notification to `receiver` about `alerts` at `now_ms`.
    pub(crate) fn new(
        receiver: &str,
        group_labels: &Labels,
        alerts: &[Alert],
        external_url: &str,
        now_ms: i64,
    ) -> Data {
        let alerts: Vec<DataAlert> = alerts
            .iter()
            .map(|a| DataAlert {
                status: a.status_at(now_ms),
                labels: label_map(&a.labels),
                annotations: a.annotations.clone(),
                starts_at: format_opt(Some(a.starts_at_ms)),
                ends_at: format_opt(a.ends_at_ms),
                generator_url: a.generator_url.clone(),
                fingerprint: a.fingerprint().to_string(),
            })
            .collect();
        let labels: Vec<_> = alerts.iter().map(|a| a.labels.clone()).collect();
        let annotations: Vec<_> = alerts.iter().map(|a| a.annotations.clone()).collect();
        Data {
            receiver: quote_meta(receiver),
            status: if alerts.iter().any(|a| a.status == "firing") { "firing" } else { "resolved" },
            common_labels: common(&labels),
            common_annotations: common(&annotations),
            group_labels: label_map(group_labels),
            alerts,
            external_url: external_url.to_string(),
        }
    }

    /// The data as the template engine's dot: Go's field names, and times as
    /// Go prints a `time.Time` (`{{ .StartsAt }}` is
    /// `2026-12-02 15:04:05.123 +0000 UTC`, not the JSON's RFC 3339), built by
    /// the template crate's `alertmanager::data` so templates see exactly what
    /// `amtool template render` and Alertmanager's notifiers see.
    pub(crate) fn to_value(&self) -> Value {
        let alerts: Vec<AlertData> = self
            .alerts
            .iter()
            .map(|a| AlertData {
                status: a.status.to_string(),
                labels: a.labels.clone(),
                annotations: a.annotations.clone(),
                starts_at: a.starts_at.clone(),
                ends_at: a.ends_at.clone(),
                generator_url: a.generator_url.clone(),
                fingerprint: a.fingerprint.clone(),
            })
            .collect();
        // `data` quotes the receiver itself; ours is already quoted for the
        // webhook JSON, so hand it the raw name.
        let mut v = alertmanager::data(
            "",
            self.status,
            &alerts,
            &self.group_labels,
            &self.common_labels,
            &self.common_annotations,
            &self.external_url,
        );
        if let Value::Map(m) = &mut v {
            m.insert("Receiver".to_string(), Value::String(self.receiver.clone()));
        }
        v
    }
}

/// Serialises like Go's `json.Encoder`: `<`, `>` and `&` escaped as `\u003c`,
/// `\u003e`, `\u0026` (they can only occur inside strings), plus a trailing
/// newline.
pub(crate) fn go_json<T: Serialize>(v: &T) -> Result<Vec<u8>, serde_json::Error> {
    let s = serde_json::to_string(v)?;
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('\n');
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_labels_and_status() {
        let mut a = Alert::new(Labels::from_pairs([("alertname", "A"), ("job", "x")]), 1000);
        a.annotations.insert("summary".into(), "s".into());
        let mut b = Alert::new(Labels::from_pairs([("alertname", "A"), ("job", "y")]), 1000);
        b.ends_at_ms = Some(2000);
        let d = Data::new("team.a", &Labels::from_pairs([("alertname", "A")]), &[a, b], "http://am", 5000);
        assert_eq!(d.receiver, "team\\.a");
        assert_eq!(d.status, "firing");
        assert_eq!(d.common_labels, BTreeMap::from([("alertname".to_string(), "A".to_string())]));
        assert!(d.common_annotations.is_empty());
        assert_eq!(d.alerts[0].ends_at, crate::timefmt::ZERO_TIME);
        assert_eq!(d.alerts[1].status, "resolved");
        assert_eq!(go_json(&"<a&b>").unwrap(), b"\"\\u003ca\\u0026b\\u003e\"\n");
    }
}
