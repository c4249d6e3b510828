//! The rule manager: loads rule files, schedules each group on its own tokio
//! task aligned like Prometheus (`Group.EvalTimestamp`), carries alert state
//! across reloads, restores `for` state after a restart from
//! `ALERTS_FOR_STATE`, and serves snapshots for the HTTP API.
//!
//! State: the current groups (behind a mutex, swapped whole on reload) and
//! one stop channel per running group task. Evaluation itself runs on the
//! blocking pool because the PromQL engine is synchronous.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use argus_model::alerting::{AlertSink, PostableAlert};
use argus_model::storage::{Appendable, Queryable, SelectHints};
use argus_model::{Labels, MatchOp, Matcher, is_stale_nan};
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::api::{ActiveAlert, GroupStatus, group_status};
use crate::error::{Error, Result};
use crate::group::{Group, GroupOptions};
use crate::metrics::GroupMetrics;
use crate::rule::{Alert, AlertContext, NotifyFn, QueryFn, Rule};
use crate::rulefmt;

/// What the manager needs from the rest of argus.
#[derive(Clone)]
pub struct ManagerOptions {
    /// Runs instant queries for rules and templates.
    pub query: QueryFn,
    /// Where rule outputs go.
    pub appendable: Arc<dyn Appendable>,
    /// Reads `ALERTS_FOR_STATE` back when restoring `for` state.
    pub queryable: Arc<dyn Queryable>,
    /// Receives alerts to send; `None` drops them.
    pub notify: Option<NotifyFn>,
    /// `--rules.alert.resend-delay` (default 1m).
    pub resend_delay: Duration,
    /// `--rules.alert.for-outage-tolerance` (default 1h).
    pub outage_tolerance: Duration,
    /// `--rules.alert.for-grace-period` (default 10m).
    pub for_grace_period: Duration,
}

impl ManagerOptions {
    /// Options with Prometheus' defaults for the durations.
    pub fn new(query: QueryFn, appendable: Arc<dyn Appendable>, queryable: Arc<dyn Queryable>) -> Self {
        ManagerOptions {
            query,
            appendable,
            queryable,
            notify: None,
            resend_delay: Duration::from_secs(60),
            outage_tolerance: Duration::from_secs(3600),
            for_grace_period: Duration::from_secs(600),
        }
    }
}

struct Running {
    handle: tokio::runtime::Handle,
    stops: Vec<watch::Sender<bool>>,
}

/// Loads and runs rule groups. Cheap to share behind an `Arc`; all methods
/// take `&self`.
pub struct Manager {
    opts: ManagerOptions,
    groups: Mutex<Vec<Arc<Group>>>,
    running: Mutex<Option<Running>>,
    metrics: Arc<GroupMetrics>,
    /// Whether the first load happened (later loads never restore `for` state).
    loaded_once: AtomicBool,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Adapts an [`AlertSink`] to a [`NotifyFn`] the way Prometheus' `sendAlerts`
/// does: `startsAt` = when it fired, `endsAt` = resolve time or valid-until,
/// generator URL `external_url + /graph?g0.expr=...&g0.tab=1`, external labels
/// added where the alert lacks them, then `relabel` (alert_relabel_configs;
/// returning `None` drops the alert). `external_labels` is read at every
/// send, so a config reload that changes them applies to the next alerts.
pub fn notify_fn(
    sink: Arc<dyn AlertSink>,
    external_url: String,
    external_labels: Arc<std::sync::RwLock<Labels>>,
    relabel: Option<Arc<dyn Fn(Labels) -> Option<Labels> + Send + Sync>>,
) -> NotifyFn {
    Arc::new(move |expr: &str, alerts: Vec<Alert>| {
        let url = format!("{}/graph?g0.expr={}&g0.tab=1", external_url.trim_end_matches('/'), query_escape(expr));
        let external_labels = external_labels.read().map(|l| l.clone()).unwrap_or_default();
        let out: Vec<PostableAlert> = alerts
            .into_iter()
            .filter_map(|a| {
                let mut b = a.labels.builder();
                for l in &external_labels {
                    if a.labels.get(&l.name).is_none() {
                        b.set(l.name.clone(), l.value.clone());
                    }
                }
                let mut labels = b.build();
                if let Some(r) = &relabel {
                    labels = r(labels)?;
                }
                Some(PostableAlert {
                    labels,
                    annotations: a.annotations.into_iter().collect(),
                    starts_at_ms: a.fired_at.unwrap_or(a.active_at),
                    ends_at_ms: a.resolved_at.or(a.valid_until),
                    generator_url: url.clone(),
                })
            })
            .collect();
        if !out.is_empty() {
            sink.send(out);
        }
    })
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Manager {
    /// A manager with no groups.
    pub fn new(opts: ManagerOptions) -> Manager {
        Manager {
            opts,
            groups: Mutex::new(Vec::new()),
            running: Mutex::new(None),
            metrics: Arc::new(GroupMetrics::default()),
            loaded_once: AtomicBool::new(false),
        }
    }

    /// Loads rule files (glob patterns are expanded here) and replaces the
    /// groups. On any error the old groups keep running and the error lists
    /// every problem (promtool's messages). Groups whose file and name are
    /// unchanged keep their alert state and staleness bookkeeping; removed
    /// groups get staleness markers for what they wrote. Blocking (reads files).
    pub fn update(
        &self,
        default_interval: Duration,
        files: &[PathBuf],
        external_labels: Labels,
        external_url: &str,
    ) -> Result<()> {
        let new = self.load_groups(default_interval, files, external_labels, external_url)?;
        let first = !self.loaded_once.swap(true, Ordering::SeqCst);
        let old = std::mem::replace(&mut *self.groups.lock(), new.clone());
        let mut old_by_key: HashMap<String, Arc<Group>> = old.into_iter().map(|g| (g.key(), g)).collect();
        for g in &new {
            if let Some(o) = old_by_key.remove(&g.key()) {
                g.copy_state(&o);
            } else if !first {
                // Only the first load after start restores `for` state;
                // groups added by a reload start fresh and write ALERTS at once.
                set_all_restored(g);
            }
        }
        let now = now_ms();
        for g in old_by_key.values() {
            g.stop();
            let _idle = g.eval_lock.lock();
            g.mark_stale(now);
        }
        self.restart_tasks(&new);
        Ok(())
    }

    /// Parses the files into groups without touching the running ones.
    pub fn load_groups(
        &self,
        default_interval: Duration,
        files: &[PathBuf],
        external_labels: Labels,
        external_url: &str,
    ) -> Result<Vec<Arc<Group>>> {
        let ctx = AlertContext { external_labels, external_url: external_url.to_string() };
        let gopts = GroupOptions {
            query: self.opts.query.clone(),
            appendable: self.opts.appendable.clone(),
            notify: self.opts.notify.clone(),
            resend_delay_ms: self.opts.resend_delay.as_millis() as i64,
        };
        let mut paths = Vec::new();
        for f in files {
            let pat = f.display().to_string();
            match glob::glob(&pat) {
                Ok(ps) => {
                    let mut m: Vec<PathBuf> = ps.filter_map(|p| p.ok()).collect();
                    if m.is_empty() && !pat.contains(['*', '?', '[']) {
                        m.push(f.clone());
                    }
                    paths.extend(m);
                }
                Err(e) => return Err(Error::Load(vec![format!("{pat}: {e}")])),
            }
        }
        let mut errs = Vec::new();
        let mut groups = Vec::new();
        for p in &paths {
            match rulefmt::parse_file(p) {
                Err(e) => errs.extend(e),
                Ok(rgs) => {
                    for rg in rgs.groups {
                        let interval =
                            if rg.interval_ms != 0 { rg.interval_ms } else { default_interval.as_millis() as i64 };
                        let rules = rg.rules.iter().map(|r| Rule::from_node(r, &ctx)).collect();
                        let limit = usize::try_from(rg.limit).unwrap_or(0);
                        let mut g = Group::new(rg.name, p.display().to_string(), interval, limit, rules, gopts.clone());
                        g.metrics = Some(self.metrics.clone());
                        groups.push(Arc::new(g));
                    }
                }
            }
        }
        if errs.is_empty() { Ok(groups) } else { Err(Error::Load(errs)) }
    }

    fn restart_tasks(&self, groups: &[Arc<Group>]) {
        let mut running = self.running.lock();
        let Some(r) = running.as_mut() else { return };
        for s in r.stops.drain(..) {
            let _ = s.send(true);
        }
        for g in groups {
            let (tx, rx) = watch::channel(false);
            r.stops.push(tx);
            r.handle.spawn(run_group(g.clone(), rx, self.metrics.clone(), self.restore_opts()));
        }
    }

    fn restore_opts(&self) -> RestoreOpts {
        RestoreOpts {
            queryable: self.opts.queryable.clone(),
            outage_tolerance_ms: self.opts.outage_tolerance.as_millis() as i64,
            grace_ms: self.opts.for_grace_period.as_millis() as i64,
        }
    }

    /// Runs every group on its own task until `stop` turns true (or its
    /// sender is dropped); reloads via [`Manager::update`] restart the tasks.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        {
            let mut running = self.running.lock();
            *running = Some(Running { handle: tokio::runtime::Handle::current(), stops: Vec::new() });
        }
        let groups = self.groups.lock().clone();
        self.restart_tasks(&groups);
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                break;
            }
        }
        if let Some(r) = self.running.lock().take() {
            for s in r.stops {
                let _ = s.send(true);
            }
        }
    }

    /// The current groups.
    pub fn groups(&self) -> Vec<Arc<Group>> {
        self.groups.lock().clone()
    }

    /// `data.groups` of `/api/v1/rules`.
    pub fn rule_groups(&self) -> Vec<GroupStatus> {
        self.groups.lock().iter().map(|g| group_status(g)).collect()
    }

    /// `data.groups` of `/api/v1/rules?type=alert|record`: with `Some(t)` only
    /// rules whose [`crate::RuleStatusJson::type_filter`] is `t` are kept
    /// (groups stay, possibly with no rules, as in 2.42); `None` keeps all.
    pub fn rule_groups_filtered(&self, type_filter: Option<&str>) -> Vec<GroupStatus> {
        let mut gs = self.rule_groups();
        if let Some(t) = type_filter {
            for g in &mut gs {
                g.rules.retain(|r| r.type_filter() == t);
            }
        }
        gs
    }

    /// `data.alerts` of `/api/v1/alerts`: pending and firing alerts of all rules.
    pub fn alerts(&self) -> Vec<ActiveAlert> {
        let mut out = Vec::new();
        for g in self.groups.lock().iter() {
            for r in g.rules() {
                if let Rule::Alerting(ar) = r {
                    out.extend(ar.active_alerts().iter().map(ActiveAlert::from_alert));
                }
            }
        }
        out
    }

    /// Restores `for` state of `g`'s alerting rules from `ALERTS_FOR_STATE`
    /// at `ts` (Unix ms) and turns on writing `ALERTS`; [`Manager::run`] does
    /// this after the first evaluation following the first load. Blocking.
    pub fn restore_for_state(&self, g: &Group, ts: i64) {
        restore_for_state(g, ts, &self.restore_opts());
    }

    /// Registers `argus_rule_*` metrics.
    pub fn register_metrics(&self, reg: &mut prometheus_client::registry::Registry) {
        self.metrics.register(reg);
    }
}

fn set_all_restored(g: &Group) {
    for r in g.rules() {
        if let Rule::Alerting(ar) = r {
            ar.set_restored(true);
        }
    }
}

#[derive(Clone)]
struct RestoreOpts {
    queryable: Arc<dyn Queryable>,
    outage_tolerance_ms: i64,
    grace_ms: i64,
}

async fn run_group(g: Arc<Group>, mut stop: watch::Receiver<bool>, metrics: Arc<GroupMetrics>, ro: RestoreOpts) {
    let interval = g.interval_ms().max(1);
    let mut eval_ts = g.eval_timestamp(now_ms()) + interval;
    let should_restore =
        g.rules().iter().any(|r| matches!(r, Rule::Alerting(a) if !a.restored.load(Ordering::Relaxed)));
    let mut first = true;
    loop {
        let wait = (eval_ts - now_ms()).max(0) as u64;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let missed = (now_ms() - eval_ts) / interval;
        if missed > 0 && !first {
            metrics.missed(&g.key(), missed as u64);
            metrics.iteration(&g.key());
            for _ in 1..missed {
                metrics.iteration(&g.key());
            }
            eval_ts += missed * interval;
        }
        metrics.iteration(&g.key());
        let gg = g.clone();
        let ts = eval_ts;
        let ro2 = ro.clone();
        let restore = first && should_restore;
        let res = tokio::task::spawn_blocking(move || {
            let ran = gg.eval_scheduled(ts);
            if ran && restore {
                restore_for_state(&gg, now_ms(), &ro2);
            }
            ran
        })
        .await;
        if matches!(res, Ok(false)) {
            return;
        }
        if let Err(e) = res {
            tracing::error!(group = %g.name(), err = %e, "rule group evaluation panicked");
        }
        first = false;
        eval_ts += interval;
    }
}

/// Prometheus' `Group.RestoreForState`: moves `activeAt` of pending alerts
/// back to what `ALERTS_FOR_STATE` recorded before a restart, within the
/// outage tolerance, granting at least the grace period before firing.
fn restore_for_state(g: &Group, ts: i64, ro: &RestoreOpts) {
    let q = match ro.queryable.querier(ts - ro.outage_tolerance_ms, ts) {
        Ok(q) => q,
        Err(e) => {
            tracing::error!(err = %e, "failed to get querier for restoring alert state");
            return;
        }
    };
    for r in g.rules() {
        let Rule::Alerting(ar) = r else { continue };
        let hold = ar.hold_ms;
        if hold < ro.grace_ms {
            ar.set_restored(true);
            continue;
        }
        let mut active = ar.active.lock();
        for a in active.values_mut() {
            let mut b = a.labels.builder();
            b.set("__name__", "ALERTS_FOR_STATE");
            b.set("alertname", ar.name.clone());
            let want = b.build();
            let matchers: Vec<Matcher> = want
                .iter()
                .filter_map(|l| Matcher::new(MatchOp::Equal, l.name.as_str(), l.value.as_str()).ok())
                .collect();
            let hints = SelectHints { start: ts - ro.outage_tolerance_ms, end: ts, ..Default::default() };
            let Ok(set) = q.select(&matchers, &hints) else { continue };
            let Some(series) = set.filter_map(|s| s.ok()).find(|s| s.labels.len() == matchers.len()) else {
                continue;
            };
            let Some(last) = series.samples.last() else { continue };
            if is_stale_nan(last.v) {
                continue;
            }
            let down_at = last.t.div_euclid(1000) * 1000;
            let mut restored_active_at = (last.v as i64) * 1000;
            let remaining = hold - (down_at - restored_active_at);
            if remaining <= 0 {
            } else if remaining < ro.grace_ms {
                restored_active_at = ts + ro.grace_ms - hold;
            } else {
                restored_active_at += ts - down_at;
            }
            a.active_at = restored_active_at;
        }
        drop(active);
        ar.set_restored(true);
    }
}
