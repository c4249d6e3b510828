//! alertmanager.yml: the raw YAML form ([`RawConfig`], only decoded) and the
//! validated, resolved [`Config`] (routing tree, inhibit rules, receivers with
//! global defaults applied, named time intervals).
//!
//! Validation follows Alertmanager 0.25's `config.Load`: first the checks its
//! YAML decoder runs per node (label names, durations, regexes, integration
//! fields), then the whole-config checks (global exclusions, unique receiver
//! names, root route, undefined receivers and time intervals), with its wording.

mod decode;
mod env;
mod global;
mod http;
mod receivers;
mod secret;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use argus_model::{MatchOp, is_valid_label_name};
use serde::Deserialize;

pub use decode::parse_raw;
pub use env::LoadOptions;
pub use global::Global;
pub use http::{Authorization, BasicAuth, HttpClientConfig, OAuth2, TlsConfig};
pub use receivers::*;
pub use secret::Secret;

use crate::error::{Error, Result};
use crate::inhibit::InhibitRule;
use crate::matchers::{Matchers, new_matcher, parse_matchers};
use crate::route::{Route, RouteOpts};
use crate::timeinterval::{RawTimeInterval, TimeInterval};

/// The text of [`Config::builtin_default`] (uses the argus-only `log_configs`).
pub const DEFAULT_CONFIG_YAML: &str = "route:
  receiver: log
  group_by: [alertname]
receivers:
- name: log
  log_configs: [{}]
";

/// The top level of alertmanager.yml as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `global`.
    pub global: Option<Global>,
    /// `route`.
    pub route: Option<RawRoute>,
    /// `inhibit_rules`.
    pub inhibit_rules: Option<Vec<RawInhibitRule>>,
    /// `receivers`.
    pub receivers: Option<Vec<Receiver>>,
    /// `templates` (globs).
    pub templates: Option<Vec<String>>,
    /// Deprecated `mute_time_intervals`.
    pub mute_time_intervals: Option<Vec<RawNamedInterval>>,
    /// `time_intervals`.
    pub time_intervals: Option<Vec<RawNamedInterval>>,
    /// The document was empty (or only comments), which Alertmanager words apart.
    #[serde(skip)]
    pub(crate) empty_document: bool,
}

/// A route node as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRoute {
    /// `receiver`.
    pub receiver: Option<String>,
    /// `group_by`, possibly `['...']`.
    pub group_by: Option<Vec<String>>,
    /// Deprecated `match`.
    #[serde(rename = "match")]
    pub match_eq: Option<BTreeMap<String, Option<String>>>,
    /// Deprecated `match_re`.
    pub match_re: Option<BTreeMap<String, Option<String>>>,
    /// `matchers` in the new syntax.
    pub matchers: Option<Vec<String>>,
    /// `mute_time_intervals`.
    pub mute_time_intervals: Option<Vec<String>>,
    /// `active_time_intervals`.
    pub active_time_intervals: Option<Vec<String>>,
    /// `continue`.
    #[serde(rename = "continue", deserialize_with = "crate::de::opt_bool11")]
    pub continue_matching: Option<bool>,
    /// `routes`.
    pub routes: Option<Vec<RawRoute>>,
    /// `group_wait`.
    pub group_wait: Option<String>,
    /// `group_interval`.
    pub group_interval: Option<String>,
    /// `repeat_interval`.
    pub repeat_interval: Option<String>,
}

/// An inhibit rule as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawInhibitRule {
    /// Deprecated `source_match`.
    pub source_match: Option<BTreeMap<String, Option<String>>>,
    /// Deprecated `source_match_re`.
    pub source_match_re: Option<BTreeMap<String, Option<String>>>,
    /// `source_matchers`.
    pub source_matchers: Option<Vec<String>>,
    /// Deprecated `target_match`.
    pub target_match: Option<BTreeMap<String, Option<String>>>,
    /// Deprecated `target_match_re`.
    pub target_match_re: Option<BTreeMap<String, Option<String>>>,
    /// `target_matchers`.
    pub target_matchers: Option<Vec<String>>,
    /// `equal`.
    pub equal: Option<Vec<String>>,
}

/// A named list of time intervals as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawNamedInterval {
    /// `name`.
    pub name: String,
    /// `time_intervals`.
    pub time_intervals: Option<Vec<RawTimeInterval>>,
}

/// A validated configuration, ready to route and inhibit alerts.
#[derive(Debug, Clone)]
pub struct Config {
    /// `global` with defaults.
    pub global: Global,
    /// The routing tree.
    pub route: Route,
    /// The inhibit rules in file order.
    pub inhibit_rules: Vec<InhibitRule>,
    /// The receivers in file order, with global defaults applied.
    pub receivers: Vec<Receiver>,
    /// Template globs, relative ones joined to the config file's directory.
    pub templates: Vec<String>,
    /// Named time intervals (`time_intervals` and the deprecated `mute_time_intervals`).
    pub time_intervals: BTreeMap<String, Vec<TimeInterval>>,
}

impl Config {
    /// Reads and validates `path`. Relative template globs are resolved against
    /// the file's directory. Errors carry the path, and the line and column for
    /// YAML-level problems.
    pub fn load_file(path: impl AsRef<Path>) -> Result<Config> {
        Config::load_file_with(path, &LoadOptions::default())
    }

    /// [`Config::load_file`] with options (`${VAR}` expansion). Blocking (reads the file).
    pub fn load_file_with(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Config> {
        let path = path.as_ref();
        let mut text =
            std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        if opts.expand_env {
            text = env::expand(&text, path, |k| std::env::var(k).ok())?;
        }
        let mut cfg = Config::load_str(&text, path)?;
        let dir = path.parent().unwrap_or(Path::new(""));
        for t in &mut cfg.templates {
            if !t.is_empty() && !Path::new(t.as_str()).is_absolute() {
                *t = dir.join(t.as_str()).to_string_lossy().into_owned();
            }
        }
        Ok(cfg)
    }

    /// Validates YAML text; `path` is only used in error messages.
    pub fn load_str(text: &str, path: &Path) -> Result<Config> {
        decode::load(text, path)
    }

    /// Whether notifications of `route` are muted at `t`: inside one of its
    /// `mute_time_intervals`, or outside all of its `active_time_intervals` (when
    /// it has any). Names are checked at load time, so unknown ones never occur.
    pub fn is_muted(&self, route: &Route, t: chrono::DateTime<chrono::Utc>) -> bool {
        let inside = |names: &[String]| {
            names.iter().any(|n| self.time_intervals.get(n).is_some_and(|iv| crate::timeinterval::any_contains(iv, t)))
        };
        inside(&route.opts.mute_time_intervals)
            || (!route.opts.active_time_intervals.is_empty() && !inside(&route.opts.active_time_intervals))
    }

    /// The configuration argus runs when no alertmanager.yml is given: every
    /// alert, grouped by `alertname`, goes to the `log` receiver, which writes
    /// notifications to the process log ([`DEFAULT_CONFIG_YAML`]).
    pub fn builtin_default() -> Config {
        Config::load_str(DEFAULT_CONFIG_YAML, Path::new("<built-in default>"))
            .expect("invariant: the built-in default alertmanager config is valid")
    }

    /// The receiver called `name`.
    pub fn receiver(&self, name: &str) -> Option<&Receiver> {
        self.receivers.iter().find(|r| r.name == name)
    }
}

fn check_label_names<'a>(names: impl IntoIterator<Item = &'a String>) -> std::result::Result<(), String> {
    for k in names {
        if !is_valid_label_name(k) {
            return Err(format!("invalid label name {k:?}"));
        }
    }
    Ok(())
}

/// Builds matchers from legacy `match`/`match_re` maps and new-style lines.
fn build_matchers(
    eq: &Option<BTreeMap<String, Option<String>>>,
    re: &Option<BTreeMap<String, Option<String>>>,
    lines: &Option<Vec<String>>,
) -> std::result::Result<Matchers, String> {
    let mut out = Vec::new();
    if let Some(eq) = eq {
        check_label_names(eq.keys())?;
        for (k, v) in eq {
            out.push(new_matcher(MatchOp::Equal, k, v.as_deref().unwrap_or("")).map_err(|e| e.am_message())?);
        }
    }
    if let Some(re) = re {
        for (k, v) in re {
            if !is_valid_label_name(k) {
                return Err(format!("invalid label name {k:?}"));
            }
            let Some(v) = v else { return Err(format!("invalid regexp value for {k:?}")) };
            new_matcher(MatchOp::Re, k, v).map_err(|e| e.am_message())?;
            // Alertmanager keeps the compiled pattern's String(), i.e. the anchored form.
            out.push(new_matcher(MatchOp::Re, k, &format!("^(?:{v})$")).map_err(|e| e.am_message())?);
        }
    }
    if let Some(lines) = lines {
        for l in lines {
            out.extend(parse_matchers(l).map_err(|e| e.am_message())?);
        }
    }
    let mut m = Matchers(out);
    m.sort();
    Ok(m)
}

fn parse_opt_duration(s: &Option<String>, what: &str) -> std::result::Result<Option<std::time::Duration>, String> {
    let Some(s) = s else { return Ok(None) };
    let d = crate::duration::parse_duration(s)?;
    if d.is_zero() && what != "group_wait" {
        return Err(format!("{what} cannot be zero"));
    }
    Ok(Some(d))
}

/// Decode-time checks of one route node (children first, as Go decodes them).
fn check_route(r: &RawRoute) -> std::result::Result<(), String> {
    for c in r.routes.iter().flatten() {
        check_route(c)?;
    }
    if let Some(m) = &r.match_eq {
        check_label_names(m.keys())?;
    }
    let group_by = r.group_by.as_deref().unwrap_or(&[]);
    let all = group_by.iter().any(|l| l == "...");
    let mut seen = HashSet::new();
    for l in group_by.iter().filter(|l| *l != "...") {
        if !is_valid_label_name(l) {
            return Err(format!("invalid label name {l:?} in group_by list"));
        }
    }
    if all && group_by.len() > 1 {
        return Err("cannot have wildcard group_by (`...`) and other other labels at the same time".into());
    }
    for l in group_by {
        if !seen.insert(l) {
            return Err(format!("duplicated label {l:?} in group_by"));
        }
    }
    parse_opt_duration(&r.group_wait, "group_wait")?;
    parse_opt_duration(&r.group_interval, "group_interval")?;
    parse_opt_duration(&r.repeat_interval, "repeat_interval")?;
    build_matchers(&r.match_eq, &r.match_re, &r.matchers)?;
    Ok(())
}

/// Builds the resolved route tree, inheriting options from `parent`.
fn build_route(r: &RawRoute, parent: &RouteOpts, key_prefix: Option<&str>) -> std::result::Result<Route, String> {
    let mut opts = parent.clone();
    if let Some(rcv) = r.receiver.as_deref().filter(|s| !s.is_empty()) {
        opts.receiver = rcv.to_string();
    }
    if let Some(gb) = &r.group_by {
        if gb.iter().any(|l| l == "...") {
            opts.group_by_all = true;
            opts.group_by.clear();
        } else {
            opts.group_by_all = false;
            opts.group_by = gb.iter().cloned().collect();
        }
    }
    if let Some(d) = parse_opt_duration(&r.group_wait, "group_wait")? {
        opts.group_wait = d;
    }
    if let Some(d) = parse_opt_duration(&r.group_interval, "group_interval")? {
        opts.group_interval = d;
    }
    if let Some(d) = parse_opt_duration(&r.repeat_interval, "repeat_interval")? {
        opts.repeat_interval = d;
    }
    opts.mute_time_intervals = r.mute_time_intervals.clone().unwrap_or_default();
    opts.active_time_intervals = r.active_time_intervals.clone().unwrap_or_default();
    let matchers = build_matchers(&r.match_eq, &r.match_re, &r.matchers)?;
    let key = match key_prefix {
        Some(p) => format!("{p}/{matchers}"),
        None => matchers.to_string(),
    };
    let routes = r
        .routes
        .iter()
        .flatten()
        .map(|c| build_route(c, &opts, Some(&key)))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Route::new(opts, matchers, r.continue_matching.unwrap_or(false), routes, key))
}

fn check_receivers_defined(r: &RawRoute, names: &HashSet<&str>) -> std::result::Result<(), String> {
    for c in r.routes.iter().flatten() {
        check_receivers_defined(c, names)?;
    }
    match r.receiver.as_deref() {
        Some(rcv) if !rcv.is_empty() && !names.contains(rcv) => {
            Err(format!("undefined receiver {rcv:?} used in route"))
        }
        _ => Ok(()),
    }
}

fn check_intervals_defined(r: &RawRoute, names: &HashSet<&str>) -> std::result::Result<(), String> {
    for c in r.routes.iter().flatten() {
        check_intervals_defined(c, names)?;
    }
    for ti in r.active_time_intervals.iter().flatten().chain(r.mute_time_intervals.iter().flatten()) {
        if !names.contains(ti.as_str()) {
            return Err(format!("undefined time interval {ti:?} used in route"));
        }
    }
    Ok(())
}

fn resolve_inhibit(r: &RawInhibitRule) -> std::result::Result<InhibitRule, String> {
    if let Some(m) = &r.source_match {
        check_label_names(m.keys())?;
    }
    if let Some(m) = &r.target_match {
        check_label_names(m.keys())?;
    }
    let equal = r.equal.clone().unwrap_or_default();
    for l in &equal {
        if !is_valid_label_name(l) {
            // 0.25 decodes `equal` as model.LabelNames, hence this wording.
            return Err(format!("{l:?} is not a valid label name"));
        }
    }
    Ok(InhibitRule {
        source_matchers: build_matchers(&r.source_match, &r.source_match_re, &r.source_matchers)?,
        target_matchers: build_matchers(&r.target_match, &r.target_match_re, &r.target_matchers)?,
        equal,
    })
}

fn resolve_intervals(
    list: &[RawNamedInterval],
    what: &str,
) -> std::result::Result<Vec<(String, Vec<TimeInterval>)>, String> {
    list.iter()
        .map(|n| {
            let ivs = n
                .time_intervals
                .iter()
                .flatten()
                .map(RawTimeInterval::resolve)
                .collect::<std::result::Result<Vec<_>, _>>()?;
            if n.name.is_empty() {
                return Err(format!("missing name in {what}"));
            }
            Ok((n.name.clone(), ivs))
        })
        .collect()
}

/// Turns the raw form into a [`Config`], with Alertmanager's error wording.
pub fn resolve(raw: RawConfig) -> std::result::Result<Config, String> {
    resolve_phased(raw).map_err(|(_, m)| m)
}

/// Which of Alertmanager's two validation passes rejected a config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// A check its YAML decoder runs on one node (these abort decoding at once).
    Decode,
    /// A whole-config check run after decoding.
    Config,
}

pub(crate) fn resolve_phased(raw: RawConfig) -> std::result::Result<Config, (Phase, String)> {
    if raw.empty_document {
        return Err((Phase::Config, "no route provided in config".into()));
    }
    let (global, inhibit_rules, receivers, mute, named) = decode_checks(&raw).map_err(|m| (Phase::Decode, m))?;
    config_checks(raw, global, inhibit_rules, receivers, mute, named).map_err(|m| (Phase::Config, m))
}

type Intervals = Vec<(String, Vec<TimeInterval>)>;
type Decoded = (Global, Vec<InhibitRule>, Vec<Receiver>, Intervals, Intervals);

/// The checks Alertmanager's decoder runs node by node.
fn decode_checks(raw: &RawConfig) -> std::result::Result<Decoded, String> {
    let mut global = raw.global.clone().unwrap_or_default();
    global.check()?;
    if let Some(r) = &raw.route {
        check_route(r)?;
    }
    let inhibit_rules =
        raw.inhibit_rules.iter().flatten().map(resolve_inhibit).collect::<std::result::Result<Vec<_>, _>>()?;
    let mut receivers = raw.receivers.clone().unwrap_or_default();
    for r in &mut receivers {
        r.check()?;
    }
    let mute = resolve_intervals(raw.mute_time_intervals.as_deref().unwrap_or(&[]), "mute time interval")?;
    let named = resolve_intervals(raw.time_intervals.as_deref().unwrap_or(&[]), "time interval")?;
    Ok((global, inhibit_rules, receivers, mute, named))
}

/// The first node-level check that fails outside the top-level items in `skip`
/// (`global`, `route`, `receivers[3]`, ...). yaml.v2 does not validate a node
/// that had a type error inside, so those are left out.
pub(crate) fn first_decode_error(raw: &RawConfig, skip: &HashSet<String>) -> Option<String> {
    let keep = |k: String| !skip.contains(&k);
    if keep("global".into())
        && let Err(e) = raw.global.clone().unwrap_or_default().check()
    {
        return Some(e);
    }
    if keep("route".into())
        && let Some(Err(e)) = raw.route.as_ref().map(check_route)
    {
        return Some(e);
    }
    for (i, r) in raw.inhibit_rules.iter().flatten().enumerate() {
        if keep(format!("inhibit_rules[{i}]"))
            && let Err(e) = resolve_inhibit(r)
        {
            return Some(e);
        }
    }
    for (i, r) in raw.receivers.iter().flatten().enumerate() {
        if keep(format!("receivers[{i}]"))
            && let Err(e) = r.clone().check()
        {
            return Some(e);
        }
    }
    for (key, list, what) in [
        ("mute_time_intervals", &raw.mute_time_intervals, "mute time interval"),
        ("time_intervals", &raw.time_intervals, "time interval"),
    ] {
        for (i, n) in list.iter().flatten().enumerate() {
            if keep(format!("{key}[{i}]"))
                && let Err(e) = resolve_intervals(std::slice::from_ref(n), what)
            {
                return Some(e);
            }
        }
    }
    None
}

/// The whole-config checks, in Alertmanager's order, and the resolved config.
fn config_checks(
    raw: RawConfig,
    global: Global,
    inhibit_rules: Vec<InhibitRule>,
    mut receivers: Vec<Receiver>,
    mute: Intervals,
    named: Intervals,
) -> std::result::Result<Config, String> {
    global.check_exclusive()?;
    let mut names = HashSet::new();
    for r in &mut receivers {
        if !names.insert(r.name.clone()) {
            return Err(format!("notification config name {:?} is not unique", r.name));
        }
        r.apply_global(&global)?;
    }
    let Some(root) = raw.route else { return Err("no routes provided".into()) };
    if root.receiver.as_deref().unwrap_or("").is_empty() {
        return Err("root route must specify a default receiver".into());
    }
    if root.match_eq.as_ref().is_some_and(|m| !m.is_empty())
        || root.match_re.as_ref().is_some_and(|m| !m.is_empty())
        || root.matchers.as_ref().is_some_and(|m| !m.is_empty())
    {
        return Err("root route must not have any matchers".into());
    }
    if root.mute_time_intervals.as_ref().is_some_and(|m| !m.is_empty()) {
        return Err("root route must not have any mute time intervals".into());
    }
    if root.active_time_intervals.as_ref().is_some_and(|m| !m.is_empty()) {
        return Err("root route must not have any active time intervals".into());
    }
    let name_refs: HashSet<&str> = names.iter().map(String::as_str).collect();
    check_receivers_defined(&root, &name_refs)?;
    let mut time_intervals = BTreeMap::new();
    for (n, iv) in mute {
        if time_intervals.insert(n.clone(), iv).is_some() {
            return Err(format!("mute time interval {n:?} is not unique"));
        }
    }
    for (n, iv) in named {
        if time_intervals.insert(n.clone(), iv).is_some() {
            return Err(format!("time interval {n:?} is not unique"));
        }
    }
    let ti_names: HashSet<&str> = time_intervals.keys().map(String::as_str).collect();
    check_intervals_defined(&root, &ti_names)?;
    if root.continue_matching == Some(true) {
        return Err("cannot have continue in root route".into());
    }
    let route = build_route(&root, &RouteOpts::default(), None)?;
    Ok(Config { global, route, inhibit_rules, receivers, templates: raw.templates.unwrap_or_default(), time_intervals })
}
