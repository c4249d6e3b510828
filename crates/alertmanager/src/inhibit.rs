//! Inhibition: an alert is muted when an inhibit rule's target matchers match it
//! and some firing alert matches the rule's source matchers and agrees with it on
//! every `equal` label.
//!
//! As in Alertmanager 0.25, a label missing on both sides counts as equal (both
//! are `""`), and an alert that matches both the source and the target side of a
//! rule cannot be inhibited by another alert that also matches both sides.

use argus_model::Labels;

use crate::alert::Alert;
use crate::matchers::Matchers;

/// One inhibit rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InhibitRule {
    /// Matchers an inhibiting (source) alert must satisfy.
    pub source_matchers: Matchers,
    /// Matchers an inhibited (target) alert must satisfy.
    pub target_matchers: Matchers,
    /// Labels whose values must be equal on source and target.
    pub equal: Vec<String>,
}

impl InhibitRule {
    /// The first alert of `alerts` (not resolved at `now_ms`) that inhibits `target`
    /// under this rule, by index.
    pub fn inhibited_by(&self, alerts: &[Alert], target: &Labels, now_ms: i64) -> Option<usize> {
        if !self.target_matchers.matches(target) {
            return None;
        }
        let two_sided = self.source_matchers.matches(target);
        alerts.iter().position(|a| {
            !a.resolved_at(now_ms)
                && self.source_matchers.matches(&a.labels)
                && self.equal.iter().all(|n| a.labels.get(n).unwrap_or("") == target.get(n).unwrap_or(""))
                && !(two_sided && self.target_matchers.matches(&a.labels))
        })
    }
}

/// Whether any rule mutes `target` given the current `alerts`; returns the index
/// of the inhibiting alert, as Alertmanager's `Inhibitor.Mutes` records it.
pub fn mutes(rules: &[InhibitRule], alerts: &[Alert], target: &Labels, now_ms: i64) -> Option<usize> {
    rules.iter().find_map(|r| r.inhibited_by(alerts, target, now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matchers::parse_matchers;

    fn rule(src: &str, tgt: &str, equal: &[&str]) -> InhibitRule {
        InhibitRule {
            source_matchers: Matchers(parse_matchers(src).unwrap()),
            target_matchers: Matchers(parse_matchers(tgt).unwrap()),
            equal: equal.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn alert(pairs: &[(&str, &str)]) -> Alert {
        Alert::new(Labels::from_pairs(pairs.iter().copied()), 0)
    }

    fn check(rules: &[InhibitRule], alerts: &[Alert], target: &[(&str, &str)], want: Option<usize>) {
        let t = Labels::from_pairs(target.iter().copied());
        assert_eq!(mutes(rules, alerts, &t, 1000), want, "{target:?}");
    }

    #[test]
    fn inhibition_table() {
        let r = [rule(r#"severity="critical""#, r#"severity="warning""#, &["alertname", "instance"])];
        let crit = alert(&[("alertname", "A"), ("severity", "critical"), ("instance", "i1")]);
        check(
            &r,
            std::slice::from_ref(&crit),
            &[("alertname", "A"), ("severity", "warning"), ("instance", "i1")],
            Some(0),
        );
        check(
            &r,
            std::slice::from_ref(&crit),
            &[("alertname", "A"), ("severity", "warning"), ("instance", "i2")],
            None,
        );
        check(&r, std::slice::from_ref(&crit), &[("alertname", "A"), ("severity", "info"), ("instance", "i1")], None);
        // Missing on both sides is equal.
        let crit_no_inst = alert(&[("alertname", "A"), ("severity", "critical")]);
        check(&r, std::slice::from_ref(&crit_no_inst), &[("alertname", "A"), ("severity", "warning")], Some(0));
        check(
            &r,
            std::slice::from_ref(&crit_no_inst),
            &[("alertname", "A"), ("severity", "warning"), ("instance", "i1")],
            None,
        );
        // A resolved source inhibits nothing.
        let mut resolved = crit.clone();
        resolved.ends_at_ms = Some(500);
        check(&r, &[resolved], &[("alertname", "A"), ("severity", "warning"), ("instance", "i1")], None);
        // Empty equal list: any source inhibits any target.
        let r2 = [rule(r#"alertname="ServiceDown""#, r#"alertname=~"Slow.*|HighErrorRate""#, &[])];
        check(&r2, &[alert(&[("alertname", "ServiceDown")])], &[("alertname", "SlowQueries")], Some(0));
        check(&r2, &[alert(&[("alertname", "ServiceDown")])], &[("alertname", "SlowQueriesX"), ("a", "b")], Some(0));
        check(&r2, &[alert(&[("alertname", "ServiceDown")])], &[("alertname", "Other")], None);
    }

    #[test]
    fn two_sided_match_does_not_inhibit_itself() {
        // Source and target both match `team="x"`: such alerts cannot mute each other.
        let r = [rule(r#"team="x""#, r#"team="x""#, &[])];
        let a = alert(&[("team", "x"), ("alertname", "A")]);
        check(&r, std::slice::from_ref(&a), &[("team", "x"), ("alertname", "B")], None);
    }
}
