//! The routing tree: which routes (and so receivers) an alert's label set
//! reaches, with Alertmanager's depth-first, `continue`-aware matching, options
//! inherited from the parent, and the group key format of its dispatcher.

use std::collections::BTreeSet;
use std::time::Duration;

use argus_model::Labels;

use crate::matchers::Matchers;

/// The options a route applies to the alerts it takes; children inherit them.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteOpts {
    /// The receiver to notify.
    pub receiver: String,
    /// Labels to group by (empty with `group_by_all`).
    pub group_by: BTreeSet<String>,
    /// `group_by: ['...']`: group by all labels.
    pub group_by_all: bool,
    /// `group_wait` (default 30s).
    pub group_wait: Duration,
    /// `group_interval` (default 5m).
    pub group_interval: Duration,
    /// `repeat_interval` (default 4h).
    pub repeat_interval: Duration,
    /// Names of intervals during which notifications are muted (not inherited).
    pub mute_time_intervals: Vec<String>,
    /// Names of intervals outside which notifications are muted (not inherited).
    pub active_time_intervals: Vec<String>,
}

impl Default for RouteOpts {
    fn default() -> Self {
        RouteOpts {
            receiver: String::new(),
            group_by: BTreeSet::new(),
            group_by_all: false,
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(300),
            repeat_interval: Duration::from_secs(4 * 3600),
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
        }
    }
}

/// A node of the routing tree.
#[derive(Debug, Clone)]
pub struct Route {
    /// The resolved options (inherited, then overridden by this node).
    pub opts: RouteOpts,
    /// The matchers, sorted as Alertmanager sorts them.
    pub matchers: Matchers,
    /// `continue`: keep matching siblings after this route matched.
    pub continue_matching: bool,
    /// Child routes in file order.
    pub routes: Vec<Route>,
    key: String,
}

impl Route {
    pub(crate) fn new(
        opts: RouteOpts,
        matchers: Matchers,
        continue_matching: bool,
        routes: Vec<Route>,
        key: String,
    ) -> Self {
        Route { opts, matchers, continue_matching, routes, key }
    }

    /// The routes that take an alert with `labels`: depth-first, the deepest
    /// matching nodes, siblings tried in order until one matches without
    /// `continue`; a node whose children all miss takes the alert itself.
    /// Returns an empty list only when this node's own matchers miss.
    pub fn match_labels(&self, labels: &Labels) -> Vec<&Route> {
        if !self.matchers.matches(labels) {
            return Vec::new();
        }
        let mut all = Vec::new();
        for child in &self.routes {
            let matches = child.match_labels(labels);
            let matched = !matches.is_empty();
            all.extend(matches);
            if matched && !child.continue_matching {
                break;
            }
        }
        if all.is_empty() {
            all.push(self);
        }
        all
    }

    /// The route's identity as Alertmanager's `Route.Key()`: the matchers of
    /// every node from the root, e.g. `{}/{severity="page"}`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The labels an alert is grouped on under this route.
    pub fn group_labels(&self, labels: &Labels) -> Labels {
        Labels::from_pairs(
            labels
                .iter()
                .filter(|l| self.opts.group_by_all || self.opts.group_by.iter().any(|g| *g == l.name))
                .map(|l| (l.name.clone(), l.value.clone())),
        )
    }

    /// The aggregation group key Alertmanager's dispatcher uses, e.g.
    /// `{}/{severity="page"}:{alertname="x"}`.
    pub fn group_key(&self, labels: &Labels) -> String {
        format!("{}:{}", self.key, self.group_labels(labels))
    }

    /// Visits this node and all descendants, depth-first in file order.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Route)) {
        f(self);
        for c in &self.routes {
            c.walk(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    use super::*;

    fn cfg(yaml: &str) -> Config {
        Config::load_str(yaml, std::path::Path::new("t.yml")).unwrap()
    }

    fn check(c: &Config, labels: &[(&str, &str)], want: &[&str]) {
        let ls = Labels::from_pairs(labels.iter().copied());
        let got: Vec<&str> = c.route.match_labels(&ls).iter().map(|r| r.opts.receiver.as_str()).collect();
        assert_eq!(got, want, "{labels:?}");
    }

    const TREE: &str = r#"
route:
  receiver: default
  group_by: [alertname]
  routes:
  - matchers: [team="a"]
    receiver: a
    continue: true
    group_by: ['...']
    routes:
    - matchers: [severity="page"]
      receiver: a-pager
      group_wait: 1s
  - match_re: {team: "a|b"}
    receiver: ab
  - matchers: [team=~"c"]
    routes:
    - match: {env: prod}
receivers: [{name: default}, {name: a}, {name: a-pager}, {name: ab}]
"#;

    #[test]
    fn matching() {
        let c = cfg(TREE);
        check(&c, &[], &["default"]);
        check(&c, &[("team", "a")], &["a", "ab"]);
        check(&c, &[("team", "a"), ("severity", "page")], &["a-pager", "ab"]);
        check(&c, &[("team", "b")], &["ab"]);
        // Inherited receiver: the team=c node and its child have none of their own.
        check(&c, &[("team", "c"), ("env", "prod")], &["default"]);
    }

    #[test]
    fn inheritance_and_keys() {
        let c = cfg(TREE);
        let ls = Labels::from_pairs([("team", "a"), ("severity", "page"), ("alertname", "X")]);
        let r = c.route.match_labels(&ls);
        assert_eq!(r[0].key(), r#"{}/{team="a"}/{severity="page"}"#);
        assert!(r[0].opts.group_by_all);
        assert_eq!(r[0].opts.group_wait, Duration::from_secs(1));
        assert_eq!(r[0].opts.group_interval, Duration::from_secs(300));
        assert_eq!(
            r[0].group_key(&ls),
            r#"{}/{team="a"}/{severity="page"}:{alertname="X", severity="page", team="a"}"#
        );
        assert_eq!(r[1].key(), r#"{}/{team=~"^(?:a|b)$"}"#);
        assert_eq!(r[1].group_key(&ls), r#"{}/{team=~"^(?:a|b)$"}:{alertname="X"}"#);
        assert_eq!(c.route.group_key(&Labels::empty()), "{}:{}");
    }
}
