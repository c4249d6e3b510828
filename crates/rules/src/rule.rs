//! Recording and alerting rules and their evaluation (Prometheus 2.42's
//! `rules/recording.go` and `rules/alerting.go`).
//!
//! A rule evaluates its expression through a [`QueryFn`] at one timestamp
//! and returns the samples to write. Alerting rules keep their active alerts
//! (pending, firing, and resolved ones for 15 minutes so they are re-sent as
//! resolved) behind a mutex, since the API reads them while the group runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use argus_model::{Labels, LabelsBuilder, METRIC_NAME};
use argus_promql::VectorSample;
use parking_lot::Mutex;

use crate::error::{Error, Result};

/// Runs an instant query at a time (Unix ms); scalars come back as one
/// sample with an empty label set (Prometheus' `EngineQueryFunc`).
pub type QueryFn = Arc<dyn Fn(&str, i64) -> std::result::Result<Vec<VectorSample>, argus_promql::Error> + Send + Sync>;

/// Hands the alerts that need sending (expression, alerts) to the notifier.
pub type NotifyFn = Arc<dyn Fn(&str, Vec<Alert>) + Send + Sync>;

/// How long resolved alerts are kept (and re-sent) after they resolved.
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// The evaluation health of a rule, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    /// Not evaluated yet.
    #[default]
    Unknown,
    /// The last evaluation succeeded.
    Good,
    /// The last evaluation failed.
    Bad,
}

impl Health {
    /// `unknown`, `ok` or `err`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Good => "ok",
            Health::Bad => "err",
        }
    }
}

/// The state of an alert (or of an alerting rule: its most severe alert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum AlertState {
    /// Not active (resolved).
    #[default]
    Inactive,
    /// Active, waiting for `for` to pass.
    Pending,
    /// Firing.
    Firing,
}

impl AlertState {
    /// `inactive`, `pending` or `firing`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert of an alerting rule. Times are Unix ms; `None` is Go's zero time.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// State.
    pub state: AlertState,
    /// Identifying labels (sample labels without `__name__`, rule labels, `alertname`).
    pub labels: Labels,
    /// Expanded annotations, sorted by name.
    pub annotations: Vec<(String, String)>,
    /// The value of the sample that produced it, at the last evaluation.
    pub value: f64,
    /// When it became pending.
    pub active_at: i64,
    /// When it started firing.
    pub fired_at: Option<i64>,
    /// When it resolved.
    pub resolved_at: Option<i64>,
    /// When it was last sent.
    pub last_sent_at: Option<i64>,
    /// When it ends unless re-sent.
    pub valid_until: Option<i64>,
    /// Since when it is kept firing after its expression stopped returning it.
    pub keep_firing_since: Option<i64>,
}

impl Alert {
    fn needs_sending(&self, ts: i64, resend_delay_ms: i64) -> bool {
        if self.state == AlertState::Pending {
            return false;
        }
        if let Some(r) = self.resolved_at
            && self.last_sent_at.is_none_or(|l| r > l)
        {
            return true;
        }
        self.last_sent_at.is_none_or(|l| l + resend_delay_ms < ts)
    }
}

/// Evaluation bookkeeping shared by both rule kinds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleStatus {
    /// Health of the last evaluation.
    pub health: Health,
    /// Error of the last evaluation.
    pub last_error: Option<String>,
    /// When the last evaluation started (Unix ms, wall clock).
    pub last_evaluation: Option<i64>,
    /// How long it took, seconds.
    pub evaluation_time: f64,
}

/// Settings an alerting rule's templates and notifications see.
#[derive(Clone, Default)]
pub struct AlertContext {
    /// External labels (`$externalLabels`).
    pub external_labels: Labels,
    /// External URL (`$externalURL`).
    pub external_url: String,
}

/// A recording rule: `record`, `expr`, `labels`.
#[derive(Debug)]
pub struct RecordingRule {
    pub(crate) name: String,
    pub(crate) expr: String,
    /// `expr` as 2.42 prints it (API `query`).
    pub(crate) query: String,
    pub(crate) labels: Labels,
    pub(crate) status: Mutex<RuleStatus>,
}

/// An alerting rule with its active alerts.
pub struct AlertingRule {
    pub(crate) name: String,
    pub(crate) expr: String,
    /// `expr` as 2.42 prints it (API `query`, generator URL).
    pub(crate) query: String,
    pub(crate) hold_ms: i64,
    pub(crate) keep_firing_for_ms: i64,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) annotations: Vec<(String, String)>,
    pub(crate) ctx: AlertContext,
    pub(crate) status: Mutex<RuleStatus>,
    pub(crate) active: Mutex<HashMap<Labels, Alert>>,
    /// Whether `ALERTS`/`ALERTS_FOR_STATE` are written (after for-state restore).
    pub(crate) restored: std::sync::atomic::AtomicBool,
}

/// A rule of either kind.
pub enum Rule {
    /// A recording rule.
    Recording(RecordingRule),
    /// An alerting rule.
    Alerting(AlertingRule),
}

impl Rule {
    /// Builds a rule from its validated file form.
    pub fn from_node(r: &crate::rulefmt::RuleNode, ctx: &AlertContext) -> Rule {
        let query = argus_promql::reprint(&r.expr).unwrap_or_else(|_| r.expr.clone());
        if r.alert.is_empty() {
            Rule::Recording(RecordingRule {
                name: r.record.clone(),
                expr: r.expr.clone(),
                query,
                labels: Labels::from_pairs(r.labels.iter().cloned()),
                status: Mutex::default(),
            })
        } else {
            let mut labels = r.labels.clone();
            labels.sort();
            let mut annotations = r.annotations.clone();
            annotations.sort();
            Rule::Alerting(AlertingRule {
                name: r.alert.clone(),
                expr: r.expr.clone(),
                query,
                hold_ms: r.for_ms,
                keep_firing_for_ms: r.keep_firing_for_ms,
                labels,
                annotations,
                ctx: ctx.clone(),
                status: Mutex::default(),
                active: Mutex::default(),
                restored: std::sync::atomic::AtomicBool::new(false),
            })
        }
    }

    /// The rule's name (`record` or `alert`).
    pub fn name(&self) -> &str {
        match self {
            Rule::Recording(r) => &r.name,
            Rule::Alerting(r) => &r.name,
        }
    }

    /// The rule's expression as Prometheus 2.42 prints it.
    pub fn query(&self) -> &str {
        match self {
            Rule::Recording(r) => &r.query,
            Rule::Alerting(r) => &r.query,
        }
    }

    /// A copy of the evaluation status.
    pub fn status(&self) -> RuleStatus {
        self.status_lock().lock().clone()
    }

    pub(crate) fn status_lock(&self) -> &Mutex<RuleStatus> {
        match self {
            Rule::Recording(r) => &r.status,
            Rule::Alerting(r) => &r.status,
        }
    }

    /// The labels as written (for alerting rules: unexpanded).
    pub fn labels(&self) -> Vec<(String, String)> {
        match self {
            Rule::Recording(r) => r.labels.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect(),
            Rule::Alerting(r) => r.labels.clone(),
        }
    }

    /// Evaluates the rule at `ts`, returning the samples to append.
    pub fn eval(&self, ts: i64, query: &QueryFn, limit: usize) -> Result<Vec<VectorSample>> {
        match self {
            Rule::Recording(r) => r.eval(ts, query, limit),
            Rule::Alerting(r) => r.eval(ts, query, limit),
        }
    }
}

fn contains_same_labelset(v: &[VectorSample]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(v.len());
    v.iter().any(|s| !seen.insert(&s.labels))
}

impl RecordingRule {
    fn eval(&self, ts: i64, query: &QueryFn, limit: usize) -> Result<Vec<VectorSample>> {
        let mut v = query(&self.expr, ts)?;
        for s in &mut v {
            let mut b = s.labels.builder();
            b.set(METRIC_NAME, self.name.clone());
            for l in &self.labels {
                b.set(l.name.clone(), l.value.clone());
            }
            s.labels = b.build();
        }
        if contains_same_labelset(&v) {
            return Err(Error::Eval(
                "vector contains metrics with the same labelset after applying rule labels".into(),
            ));
        }
        if limit > 0 && v.len() > limit {
            return Err(Error::Eval(format!("exceeded limit of {limit} with {} series", v.len())));
        }
        Ok(v)
    }
}

fn label_map(ls: &Labels) -> BTreeMap<String, String> {
    ls.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect()
}

/// Turns a [`QueryFn`] into the template engine's `query` at a fixed time.
pub(crate) fn template_query(query: &QueryFn, ts: i64) -> argus_template::QueryFn {
    let q = query.clone();
    Arc::new(move |expr: &str| {
        q(expr, ts).map_err(|e| e.to_string()).map(|v| {
            v.into_iter().map(|s| argus_template::QuerySample { labels: label_map(&s.labels), value: s.v }).collect()
        })
    })
}

impl AlertingRule {
    fn expander(&self, s: &VectorSample, ts: i64, query: &QueryFn) -> argus_template::prometheus::Expander {
        argus_template::prometheus::Expander {
            labels: label_map(&s.labels),
            external_labels: label_map(&self.ctx.external_labels),
            external_url: self.ctx.external_url.clone(),
            value: s.v,
            timestamp_ms: ts,
            query: Some(template_query(query, ts)),
        }
    }

    fn eval(&self, ts: i64, query: &QueryFn, limit: usize) -> Result<Vec<VectorSample>> {
        let res = query(&self.expr, ts)?;
        let tmpl_name = format!("__alert_{}", self.name);
        let mut fresh: HashMap<Labels, Alert> = HashMap::with_capacity(res.len());
        for s in &res {
            let ex = self.expander(s, ts, query);
            let expand = |text: &str| match ex.expand(&tmpl_name, text) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(alert = %self.name, err = %e, "expanding alert template failed");
                    format!("<error expanding template: {e}>")
                }
            };
            let mut b = s.labels.builder();
            b.del(METRIC_NAME);
            for (k, v) in &self.labels {
                b.set(k.clone(), expand(v));
            }
            b.set("alertname", self.name.clone());
            let annotations: Vec<(String, String)> =
                self.annotations.iter().map(|(k, v)| (k.clone(), expand(v))).collect();
            let lbs = b.build();
            if fresh.contains_key(&lbs) {
                return Err(Error::Eval(
                    "vector contains metrics with the same labelset after applying alert labels".into(),
                ));
            }
            fresh.insert(
                lbs.clone(),
                Alert {
                    state: AlertState::Pending,
                    labels: lbs,
                    annotations,
                    value: s.v,
                    active_at: ts,
                    fired_at: None,
                    resolved_at: None,
                    last_sent_at: None,
                    valid_until: None,
                    keep_firing_since: None,
                },
            );
        }
        let mut active = self.active.lock();
        let result_keys: std::collections::HashSet<Labels> = fresh.keys().cloned().collect();
        for (h, a) in fresh {
            if let Some(old) = active.get_mut(&h)
                && old.state != AlertState::Inactive
            {
                old.value = a.value;
                old.annotations = a.annotations;
                continue;
            }
            active.insert(h, a);
        }
        let restored = self.restored.load(std::sync::atomic::Ordering::Relaxed);
        let mut vec = Vec::new();
        let mut num_active = 0usize;
        let mut remove = Vec::new();
        for (fp, a) in active.iter_mut() {
            if !result_keys.contains(fp) {
                let mut keep_firing = false;
                if a.state == AlertState::Firing && self.keep_firing_for_ms > 0 {
                    let since = *a.keep_firing_since.get_or_insert(ts);
                    keep_firing = ts - since < self.keep_firing_for_ms;
                }
                if a.state == AlertState::Pending || a.resolved_at.is_some_and(|r| ts - r > RESOLVED_RETENTION_MS) {
                    remove.push(fp.clone());
                }
                if a.state != AlertState::Inactive && !keep_firing {
                    a.state = AlertState::Inactive;
                    a.resolved_at = Some(ts);
                }
                if !keep_firing {
                    continue;
                }
            } else {
                a.keep_firing_since = None;
            }
            num_active += 1;
            if a.state == AlertState::Pending && ts - a.active_at >= self.hold_ms {
                a.state = AlertState::Firing;
                a.fired_at = Some(ts);
            }
            if restored {
                vec.push(self.series("ALERTS", a, ts, 1.0, true));
                vec.push(self.series("ALERTS_FOR_STATE", a, ts, a.active_at.div_euclid(1000) as f64, false));
            }
        }
        for fp in remove {
            active.remove(&fp);
        }
        if limit > 0 && num_active > limit {
            active.clear();
            return Err(Error::Eval(format!("exceeded limit of {limit} with {num_active} alerts")));
        }
        // Keep the output in label order so storage appends are deterministic.
        vec.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(vec)
    }

    fn series(&self, metric: &str, a: &Alert, ts: i64, v: f64, with_state: bool) -> VectorSample {
        let mut b = LabelsBuilder::new();
        for (k, val) in &self.labels {
            b.set(k.clone(), val.clone());
        }
        for l in &a.labels {
            b.set(l.name.clone(), l.value.clone());
        }
        b.set(METRIC_NAME, metric);
        b.set("alertname", self.name.clone());
        if with_state {
            b.set("alertstate", a.state.as_str());
        }
        VectorSample { labels: b.build(), t: ts, v }
    }

    /// Alerts that are pending or firing, sorted by labels.
    pub fn active_alerts(&self) -> Vec<Alert> {
        let mut v: Vec<Alert> =
            self.active.lock().values().filter(|a| a.state != AlertState::Inactive).cloned().collect();
        v.sort_by(|a, b| a.labels.cmp(&b.labels));
        v
    }

    /// The most severe state of the rule's alerts.
    pub fn state(&self) -> AlertState {
        self.active.lock().values().map(|a| a.state).max().unwrap_or_default()
    }

    /// The alerts that need (re)sending at `ts`, marked as sent (Prometheus' `sendAlerts`).
    pub(crate) fn alerts_to_send(&self, ts: i64, resend_delay_ms: i64, interval_ms: i64) -> Vec<Alert> {
        let mut out = Vec::new();
        for a in self.active.lock().values_mut() {
            if a.needs_sending(ts, resend_delay_ms) {
                a.last_sent_at = Some(ts);
                a.valid_until = Some(ts + 4 * resend_delay_ms.max(interval_ms));
                out.push(a.clone());
            }
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// Sets whether the `ALERTS` series are written.
    pub fn set_restored(&self, v: bool) {
        self.restored.store(v, std::sync::atomic::Ordering::Relaxed);
    }

    /// The `for` duration in ms.
    pub fn hold_ms(&self) -> i64 {
        self.hold_ms
    }

    /// The annotations as written.
    pub fn annotations(&self) -> &[(String, String)] {
        &self.annotations
    }
}
