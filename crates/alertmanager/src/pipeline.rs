//! The notification pipeline of one aggregation-group flush, in Alertmanager
//! 0.25's stage order: inhibition, active time intervals, mute time intervals,
//! silences, then a fan-out to every integration of the group's receiver
//! (each: dedup, retry, notification log; see [`crate::notify`]). The flush
//! succeeds when every integration succeeded (or had nothing to send); only
//! then does the group drop its resolved alerts.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::alert::Alert;
use crate::dispatch::AggrGroup;
use crate::manager::{Runtime, Shared};
use crate::notify::{NotifyCtx, notify_integration};
use crate::timeinterval::any_contains;

fn in_any(rt: &Runtime, names: &[String], t: DateTime<Utc>) -> bool {
    names.iter().any(|n| rt.config.time_intervals.get(n).is_some_and(|iv| any_contains(iv, t)))
}

/// Runs the pipeline; returns whether it succeeded.
pub(crate) async fn run(
    shared: &Arc<Shared>,
    rt: &Arc<Runtime>,
    ag: &AggrGroup,
    alerts: &[Alert],
    now_ms: i64,
    deadline: tokio::time::Instant,
) -> bool {
    if alerts.is_empty() {
        return true;
    }
    // Inhibition against every alert the store holds. Listing copies the
    // whole store, once per flush of every group: with no inhibit rules
    // (the common case) that copy was most of a flush's cost (10k alerts in
    // 1k groups, `benchmarks/am_notify.py`), so it is skipped.
    let mut alerts: Vec<Alert> = if rt.config.inhibit_rules.is_empty() {
        alerts.to_vec()
    } else {
        let all = shared.store.list();
        alerts
            .iter()
            .filter(|a| crate::inhibit::mutes(&rt.config.inhibit_rules, &all, &a.labels, now_ms).is_none())
            .cloned()
            .collect()
    };
    if alerts.is_empty() {
        return true;
    }
    let t = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or_default();
    if !ag.opts.active_time_intervals.is_empty() && !in_any(rt, &ag.opts.active_time_intervals, t) {
        tracing::debug!(group = %ag.key, "notifications not sent: outside active time intervals");
        return true;
    }
    if in_any(rt, &ag.opts.mute_time_intervals, t) {
        tracing::debug!(group = %ag.key, "notifications not sent: inside mute time intervals");
        return true;
    }
    alerts.retain(|a| shared.silences.mutes(&a.labels, now_ms).is_empty());
    if alerts.is_empty() {
        return true;
    }
    let receiver = ag.opts.receiver.clone();
    let Some(integrations) = rt.receivers.get(&receiver) else {
        tracing::error!(receiver = %receiver, "receiver not found");
        return false;
    };
    let ctx = NotifyCtx {
        receiver,
        group_key: ag.key.clone(),
        group_labels: ag.labels.clone(),
        external_url: shared.opts.external_url.clone(),
        now_ms,
        templates: Arc::clone(&rt.templates),
    };
    let alerts = Arc::new(alerts);
    let mut set = tokio::task::JoinSet::new();
    for integ in integrations {
        let (integ, ctx, alerts, shared) = (Arc::clone(integ), ctx.clone(), Arc::clone(&alerts), Arc::clone(shared));
        let repeat = ag.opts.repeat_interval;
        set.spawn(async move {
            let timeout = shared.opts.integration_timeout;
            let r =
                notify_integration(&integ, &ctx, &alerts, (&shared.nflog, &shared.metrics), repeat, deadline, timeout)
                    .await;
            if matches!(r, Ok(true)) {
                shared.nflog_changed();
            }
            r
        });
    }
    let mut ok = true;
    while let Some(res) = set.join_next().await {
        match res {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!(num_alerts = alerts.len(), err = %e, "notify for alerts failed");
                ok = false;
            }
            Err(e) => {
                tracing::error!(err = %e, "notification task failed");
                ok = false;
            }
        }
    }
    ok
}
