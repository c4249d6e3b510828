//! `promtool test rules`: rule unit tests (Prometheus 2.42's `unittest.go`).
//!
//! Each test group gets fresh in-memory storage, freshly loaded rules and the
//! real PromQL engine. The timeline follows promtool exactly: input samples
//! are loaded lazily up to each evaluation step, every group is evaluated at
//! `0, E, 2E, ... <= max eval_time`, alert tests are checked right after the
//! step that covers their `eval_time`, and expression tests run at the end.
//! Messages are promtool's, byte for byte where the fixtures show them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use argus_model::storage::MemStorage;
use argus_model::{Labels, Sample};
use argus_promql::{Engine, EngineOpts, VectorSample};

use crate::group::{Group, GroupOptions};
use crate::rule::{AlertContext, AlertState, QueryFn, Rule};
use crate::rulefmt::{self, go_quote};
use crate::timefmt::{go_duration, go_float_exp};
use crate::yaml::{self, Decoder, Node};

/// Options of a unit-test run beyond promtool 2.42's.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Only run test groups whose `name` matches this regex (unanchored, like `go test -run`).
    pub run: Option<regex::Regex>,
    /// Print the alerting rules that no `alert_rule_test` names.
    pub coverage: bool,
}

#[derive(Debug, Default)]
struct TestFile {
    rule_files: Vec<String>,
    evaluation_interval_ms: i64,
    group_eval_order: Vec<String>,
    tests: Vec<TestGroup>,
}

#[derive(Debug, Default)]
struct TestGroup {
    interval_ms: i64,
    input_series: Vec<(String, String)>,
    alert_tests: Vec<AlertTest>,
    expr_tests: Vec<ExprTest>,
    external_labels: Vec<(String, String)>,
    external_url: String,
    name: String,
}

#[derive(Debug, Default)]
struct AlertTest {
    eval_time_ms: i64,
    alertname: String,
    exp_alerts: Vec<(LabelPairs, LabelPairs)>,
}

#[derive(Debug, Default)]
struct ExprTest {
    expr: String,
    eval_time_ms: i64,
    exp_samples: Vec<(String, f64)>,
}

fn decode_duration(d: &mut Decoder, v: &Node, err: &mut Option<String>) -> i64 {
    let s = d.string(v);
    if s.is_empty() {
        return 0;
    }
    yaml::duration(&s).unwrap_or_else(|e| {
        err.get_or_insert(e);
        0
    })
}

fn decode_file(text: &str) -> Result<TestFile, String> {
    let Some(root) = yaml::parse(text)? else { return Ok(TestFile::default()) };
    let mut d = Decoder::default();
    let mut derr = None;
    let mut f = TestFile::default();
    let known = ["rule_files", "evaluation_interval", "group_eval_order", "tests"];
    for (k, v) in d.fields(&root, "main.unitTestFile", &known) {
        match k {
            "rule_files" => f.rule_files = d.seq(v, "[]string").iter().map(|n| d.string(n)).collect(),
            "evaluation_interval" => f.evaluation_interval_ms = decode_duration(&mut d, v, &mut derr),
            "group_eval_order" => f.group_eval_order = d.seq(v, "[]string").iter().map(|n| d.string(n)).collect(),
            _ => {
                for t in d.seq(v, "[]main.testGroup") {
                    let tg = decode_group(&mut d, t, &mut derr);
                    f.tests.push(tg);
                }
            }
        }
    }
    if let Some(e) = derr {
        return Err(e);
    }
    if let Some(e) = d.finish() {
        return Err(e);
    }
    Ok(f)
}

fn decode_group(d: &mut Decoder, n: &Node, derr: &mut Option<String>) -> TestGroup {
    let mut tg = TestGroup::default();
    let known =
        ["interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels", "external_url", "name"];
    for (k, v) in d.fields(n, "main.testGroup", &known) {
        match k {
            "interval" => tg.interval_ms = decode_duration(d, v, derr),
            "input_series" => {
                for s in d.seq(v, "[]main.series") {
                    let (mut series, mut values) = (String::new(), String::new());
                    for (k, v) in d.fields(s, "main.series", &["series", "values"]) {
                        if k == "series" { series = d.string(v) } else { values = d.string(v) }
                    }
                    tg.input_series.push((series, values));
                }
            }
            "alert_rule_test" => {
                for a in d.seq(v, "[]main.alertTestCase") {
                    tg.alert_tests.push(decode_alert_test(d, a, derr));
                }
            }
            "promql_expr_test" => {
                for e in d.seq(v, "[]main.promqlTestCase") {
                    let mut t = ExprTest::default();
                    for (k, v) in d.fields(e, "main.promqlTestCase", &["expr", "eval_time", "exp_samples"]) {
                        match k {
                            "expr" => t.expr = d.string(v),
                            "eval_time" => t.eval_time_ms = decode_duration(d, v, derr),
                            _ => {
                                for s in d.seq(v, "[]main.sample") {
                                    let (mut labels, mut value) = (String::new(), 0.0);
                                    for (k, v) in d.fields(s, "main.sample", &["labels", "value"]) {
                                        if k == "labels" { labels = d.string(v) } else { value = d.float(v) }
                                    }
                                    t.exp_samples.push((labels, value));
                                }
                            }
                        }
                    }
                    tg.expr_tests.push(t);
                }
            }
            "external_labels" => tg.external_labels = d.string_map(v),
            "external_url" => tg.external_url = d.string(v),
            _ => tg.name = d.string(v),
        }
    }
    tg
}

fn decode_alert_test(d: &mut Decoder, n: &Node, derr: &mut Option<String>) -> AlertTest {
    let mut t = AlertTest::default();
    for (k, v) in d.fields(n, "main.alertTestCase", &["eval_time", "alertname", "exp_alerts"]) {
        match k {
            "eval_time" => t.eval_time_ms = decode_duration(d, v, derr),
            "alertname" => t.alertname = d.string(v),
            _ => {
                for a in d.seq(v, "[]main.alert") {
                    let (mut l, mut an) = (Vec::new(), Vec::new());
                    for (k, v) in d.fields(a, "main.alert", &["exp_labels", "exp_annotations"]) {
                        if k == "exp_labels" { l = d.string_map(v) } else { an = d.string_map(v) }
                    }
                    t.exp_alerts.push((l, an));
                }
            }
        }
    }
    t
}

/// Go's `filepath.Join(dir, p)` for relative `p`, cleaned of `./` the way Go does.
fn join_clean(dir: &Path, p: &str) -> String {
    if Path::new(p).is_absolute() || p.is_empty() {
        return p.to_string();
    }
    let joined = dir.join(p);
    let mut parts: Vec<String> = Vec::new();
    let abs = joined.is_absolute();
    for c in joined.components() {
        match c {
            std::path::Component::CurDir | std::path::Component::RootDir | std::path::Component::Prefix(_) => {}
            std::path::Component::ParentDir => {
                if parts.last().is_some_and(|l| l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..".into());
                }
            }
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
        }
    }
    let s = parts.join("/");
    if abs {
        format!("/{s}")
    } else if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// The outcome of one test file: errors (empty = success) and warnings.
struct FileOutcome {
    errors: Vec<String>,
    warnings: Vec<String>,
    uncovered: Vec<String>,
}

/// Runs `promtool test rules` on `files`: prints `Unit Testing:  FILE` and
/// blank lines to `out`, `  FAILED:` and the errors to `err` (as promtool
/// does on stdout and stderr), and returns the exit code (0 all passed, 1
/// otherwise). Blocking.
pub fn test_rules_cli(files: &[PathBuf], opts: &TestOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut failed = false;
    for f in files {
        let _ = writeln!(out, "Unit Testing:  {}", f.display());
        let res = run_file(f, opts);
        for w in &res.warnings {
            let _ = writeln!(err, "{w}");
        }
        if res.errors.is_empty() {
            let _ = writeln!(out, "  SUCCESS");
        } else {
            let _ = writeln!(err, "  FAILED:");
            for e in &res.errors {
                let _ = writeln!(err, "{e}");
                let _ = writeln!(out);
            }
            failed = true;
        }
        if opts.coverage {
            if res.uncovered.is_empty() {
                let _ = writeln!(out, "  COVERAGE: every alerting rule is tested");
            } else {
                let _ = writeln!(out, "  COVERAGE: alerting rules no alert_rule_test names:");
                for u in &res.uncovered {
                    let _ = writeln!(out, "    {u}");
                }
            }
        }
        let _ = writeln!(out);
    }
    i32::from(failed)
}

fn run_file(path: &Path, opts: &TestOptions) -> FileOutcome {
    let mut o = FileOutcome { errors: Vec::new(), warnings: Vec::new(), uncovered: Vec::new() };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            o.errors.push(rulefmt::go_io_error(path, &e));
            return o;
        }
    };
    let mut tf = match decode_file(&text) {
        Ok(t) => t,
        Err(e) => {
            o.errors.push(e);
            return o;
        }
    };
    let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut rule_files = Vec::new();
    for rf in &tf.rule_files {
        let pat = join_clean(base, rf);
        let matches: Vec<String> = match glob::glob(&pat) {
            Ok(paths) => paths.filter_map(|p| p.ok()).map(|p| p.display().to_string()).collect(),
            Err(e) => {
                o.errors.push(format!("syntax error in pattern: {e}"));
                return o;
            }
        };
        if matches.is_empty() {
            o.warnings.push(format!("  WARNING: no file match pattern {pat}"));
        }
        rule_files.extend(matches);
    }
    if tf.evaluation_interval_ms == 0 {
        tf.evaluation_interval_ms = 60_000;
    }
    let mut order = BTreeMap::new();
    for (i, g) in tf.group_eval_order.iter().enumerate() {
        if order.insert(g.clone(), i).is_some() {
            o.errors.push(format!("group name repeated in evaluation order: {g}"));
            return o;
        }
    }
    let mut tested_alerts = BTreeSet::new();
    for tg in &tf.tests {
        if let Some(re) = &opts.run
            && !re.is_match(&tg.name)
        {
            continue;
        }
        tested_alerts.extend(tg.alert_tests.iter().map(|a| a.alertname.clone()));
        o.errors.extend(tg.run(tf.evaluation_interval_ms, &order, &rule_files));
    }
    if opts.coverage {
        let mut all = BTreeSet::new();
        for f in &rule_files {
            if let Ok(rgs) = rulefmt::parse_file(Path::new(f)) {
                for g in rgs.groups {
                    all.extend(g.rules.into_iter().filter(|r| !r.alert.is_empty()).map(|r| r.alert));
                }
            }
        }
        o.uncovered = all.difference(&tested_alerts).cloned().collect();
    }
    o
}

/// Converts an engine result into the rule evaluator's vector.
pub(crate) fn to_vector(res: argus_promql::QueryResult) -> Result<Vec<VectorSample>, argus_promql::Error> {
    match res.value {
        argus_promql::Value::Vector(v) => Ok(v),
        argus_promql::Value::Scalar(s) => Ok(vec![VectorSample { labels: Labels::empty(), t: s.t, v: s.v }]),
        _ => Err(argus_promql::Error::Execution("rule result is not a vector or scalar".into())),
    }
}

/// A [`QueryFn`] running `engine` over `storage` (Prometheus' `EngineQueryFunc`).
pub fn engine_query_fn(engine: Engine, storage: Arc<dyn argus_model::storage::Queryable>) -> QueryFn {
    Arc::new(move |expr: &str, t: i64| to_vector(engine.instant_query(storage.as_ref(), expr, t)?))
}

type LabelPairs = Vec<(String, String)>;

fn pairs_string(p: &LabelPairs) -> String {
    let inner: Vec<String> = p.iter().map(|(k, v)| format!("{k}={}", go_quote(v))).collect();
    format!("{{{}}}", inner.join(", "))
}

fn alerts_string(la: &[(LabelPairs, LabelPairs)]) -> String {
    if la.is_empty() {
        return "[]".into();
    }
    let one = |(l, a): &(LabelPairs, LabelPairs)| {
        indent_lines(&format!("\nLabels:{}\nAnnotations:{}", pairs_string(l), pairs_string(a)), "  ")
    };
    let mut s = format!("[\n0:{}", one(&la[0]));
    for (i, x) in la.iter().enumerate().skip(1) {
        s.push_str(&format!(",\n{i}:{}", one(x)));
    }
    s.push_str("\n]");
    s
}

fn indent_lines(lines: &str, indent: &str) -> String {
    let parts: Vec<&str> = lines.split('\n').collect();
    let mut out = String::new();
    for (i, l) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(indent);
        }
        out.push_str(l);
        if i != parts.len() - 1 {
            out.push('\n');
        }
    }
    out
}

fn samples_string(s: &[(Labels, f64)]) -> String {
    if s.is_empty() {
        return "nil".into();
    }
    s.iter().map(|(l, v)| format!("{l} {}", go_float_exp(*v, true))).collect::<Vec<_>>().join(", ")
}

fn sorted_pairs(mut p: LabelPairs) -> LabelPairs {
    p.sort();
    p
}

impl TestGroup {
    fn load_series(&self) -> Result<Vec<(Labels, Vec<Sample>)>, String> {
        let mut out = Vec::new();
        for (series, values) in &self.input_series {
            let line = format!("{series} {values}");
            let (labels, vals) = argus_promql::promqltest::parse_series(&line)?;
            let samples = vals
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| Sample::new(i as i64 * self.interval_ms, v)))
                .collect();
            out.push((labels, samples));
        }
        Ok(out)
    }

    fn load_groups(&self, files: &[String], opts: &GroupOptions) -> Result<Vec<Group>, Vec<String>> {
        let ctx = AlertContext {
            external_labels: Labels::from_pairs(self.external_labels.iter().cloned()),
            external_url: self.external_url.clone(),
        };
        let mut groups = Vec::new();
        for f in files {
            let rgs = rulefmt::parse_file(Path::new(f))?;
            for rg in rgs.groups {
                let interval = if rg.interval_ms != 0 { rg.interval_ms } else { self.interval_ms };
                let rules = rg.rules.iter().map(|r| Rule::from_node(r, &ctx)).collect();
                let limit = usize::try_from(rg.limit).unwrap_or(0);
                groups.push(Group::new(rg.name, f.clone(), interval, limit, rules, opts.clone()));
            }
        }
        Ok(groups)
    }

    fn max_eval_time(&self) -> i64 {
        let a = self.alert_tests.iter().map(|t| t.eval_time_ms);
        let e = self.expr_tests.iter().map(|t| t.eval_time_ms);
        a.chain(e).max().unwrap_or(0)
    }

    fn run(&self, eval_interval: i64, order: &BTreeMap<String, usize>, files: &[String]) -> Vec<String> {
        let series = match self.load_series() {
            Ok(s) => s,
            Err(e) => return vec![e],
        };
        let storage = MemStorage::new();
        let engine = Engine::new(EngineOpts {
            max_samples: 10_000,
            default_evaluation_interval: std::time::Duration::from_millis(eval_interval as u64),
            ..EngineOpts::default()
        });
        let query = engine_query_fn(engine.clone(), Arc::new(storage.clone()));
        let opts = GroupOptions {
            query: query.clone(),
            appendable: Arc::new(storage.clone()),
            notify: None,
            resend_delay_ms: 60_000,
        };
        let mut groups = match self.load_groups(files, &opts) {
            Ok(g) => g,
            Err(e) => return e,
        };
        groups.sort_by_key(|g| order.get(g.name()).copied().unwrap_or(0));
        for a in &self.alert_tests {
            if a.alertname.is_empty() {
                let in_group =
                    if self.name.is_empty() { String::new() } else { format!(" (in TestGroup {})", self.name) };
                return vec![format!(
                    "an item under alert_rule_test misses required attribute alertname at eval_time {}{in_group}",
                    argus_model::format_duration(a.eval_time_ms)
                )];
            }
        }
        for g in &groups {
            for r in g.rules() {
                if let Rule::Alerting(ar) = r {
                    ar.set_restored(true);
                }
            }
        }
        let mut alert_times: Vec<i64> = self.alert_tests.iter().map(|a| a.eval_time_ms).collect();
        alert_times.sort();
        alert_times.dedup();
        let maxt = self.max_eval_time();
        let mut errs = Vec::new();
        let mut curr = 0;
        let mut loaded = vec![0usize; series.len()];
        let mut ts = 0i64;
        while ts <= maxt {
            for ((labels, samples), n) in series.iter().zip(loaded.iter_mut()) {
                let upto = samples.iter().take_while(|s| s.t <= ts).count();
                if upto > *n {
                    storage.add(labels.clone(), &samples[*n..upto]);
                    *n = upto;
                }
            }
            let mut eval_errs = Vec::new();
            for g in &groups {
                g.eval(ts);
                for r in g.rules() {
                    if let Some(e) = r.status().last_error {
                        eval_errs.push(format!("    rule: {}, time: {}, err: {e}", r.name(), go_duration(ts)));
                    }
                }
            }
            if !eval_errs.is_empty() {
                errs.extend(eval_errs);
                return errs;
            }
            while curr < alert_times.len() && ts <= alert_times[curr] && alert_times[curr] < ts + eval_interval {
                self.check_alerts(alert_times[curr], &groups, &mut errs);
                curr += 1;
            }
            ts += eval_interval;
        }
        for t in &self.expr_tests {
            self.check_expr(t, &query, &mut errs);
        }
        errs
    }

    fn check_alerts(&self, t: i64, groups: &[Group], errs: &mut Vec<String>) {
        for tc in self.alert_tests.iter().filter(|a| a.eval_time_ms == t) {
            let mut got: Vec<(LabelPairs, LabelPairs)> = Vec::new();
            for g in groups {
                for r in g.rules() {
                    let Rule::Alerting(ar) = r else { continue };
                    if ar.name != tc.alertname {
                        continue;
                    }
                    for a in ar.active_alerts().into_iter().filter(|a| a.state == AlertState::Firing) {
                        let l = a.labels.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect();
                        got.push((l, a.annotations.clone()));
                    }
                }
            }
            let mut exp: Vec<(LabelPairs, LabelPairs)> = tc
                .exp_alerts
                .iter()
                .map(|(l, a)| {
                    let mut l: BTreeMap<String, String> = l.iter().cloned().collect();
                    l.insert("alertname".into(), tc.alertname.clone());
                    (l.into_iter().collect(), sorted_pairs(a.clone()))
                })
                .collect();
            got.sort_by(|a, b| a.0.cmp(&b.0));
            exp.sort_by(|a, b| a.0.cmp(&b.0));
            if exp != got {
                let name = if self.name.is_empty() { String::new() } else { format!("    name: {},\n", self.name) };
                errs.push(format!(
                    "{name}    alertname: {}, time: {}, \n        exp:{}, \n        got:{}",
                    tc.alertname,
                    argus_model::format_duration(tc.eval_time_ms),
                    indent_lines(&alerts_string(&exp), "            "),
                    indent_lines(&alerts_string(&got), "            "),
                ));
            }
        }
    }

    fn check_expr(&self, t: &ExprTest, query: &QueryFn, errs: &mut Vec<String>) {
        let when = argus_model::format_duration(t.eval_time_ms);
        let got = match query(&t.expr, t.eval_time_ms) {
            Ok(v) => v,
            Err(e) => {
                errs.push(format!("    expr: {}, time: {when}, err: {e}", go_quote(&t.expr)));
                return;
            }
        };
        let mut got: Vec<(Labels, f64)> = got.into_iter().map(|s| (s.labels, s.v)).collect();
        let mut exp = Vec::new();
        for (l, v) in &t.exp_samples {
            match parse_metric(l) {
                Ok(ls) => exp.push((ls, *v)),
                Err(e) => {
                    errs.push(format!(
                        "    expr: {}, time: {when}, err: labels {}: {e}",
                        go_quote(&t.expr),
                        go_quote(l)
                    ));
                    return;
                }
            }
        }
        got.sort_by(|a, b| a.0.cmp(&b.0));
        exp.sort_by(|a, b| a.0.cmp(&b.0));
        // Go's reflect.DeepEqual on float64: NaN never equals NaN.
        let same = exp.len() == got.len() && exp.iter().zip(&got).all(|(a, b)| a.0 == b.0 && a.1 == b.1);
        if !same {
            errs.push(format!(
                "    expr: {}, time: {when},\n        exp: {}\n        got: {}",
                go_quote(&t.expr),
                samples_string(&exp),
                samples_string(&got)
            ));
        }
    }
}

/// Parses PromQL metric notation (`name{l="v"}`, `{...}`, or empty).
fn parse_metric(s: &str) -> Result<Labels, String> {
    if s.trim().is_empty() {
        return Ok(Labels::empty());
    }
    let (ls, rest) = argus_promql::promqltest::parse_labels(s)?;
    if !rest.trim().is_empty() {
        return Err(format!("1:{}: parse error: unexpected {:?}", s.len() - rest.len() + 1, rest.trim()));
    }
    Ok(ls)
}
