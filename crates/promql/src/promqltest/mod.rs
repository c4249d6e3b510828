//! A runner for Prometheus' PromQL test scripts (`promql/testdata/*.test`, v2.42 dialect).
//!
//! The format (see `testdata/promql/FORMAT.md`) has `load <interval>` blocks
//! of series descriptions, `clear`, and `eval[_fail|_ordered] instant at <t>
//! <expr>` blocks with expected results. [`run_script`] executes a script
//! against a fresh [`MemStorage`] with the upstream harness' engine settings
//! (lookback 5m, max samples 10,000, timeout 100s, subquery step 1m) and
//! reports every eval: each runs as an instant query, again as a range query
//! around its time, and again with `@` pinned on every selector at other times,
//! as upstream does. Unlike upstream it keeps going after a failure so that a
//! report counts every eval.

mod at_check;
mod series;

use std::time::Duration;

use argus_model::storage::{Appendable, MemStorage};
use argus_model::{Labels, is_stale_nan};
use promql_parser::parser::Expr;

use crate::engine::{Engine, EngineOpts, QueryOpts};
use crate::value::Value;

pub use series::{parse_duration, parse_labels, parse_number, parse_series};

/// One failed eval.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// 1-based line of the eval command.
    pub line: usize,
    /// The query text.
    pub expr: String,
    /// What went wrong.
    pub reason: String,
}

/// The outcome of one script.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Number of evals in the script.
    pub total: usize,
    /// Evals that passed every check.
    pub passed: usize,
    /// The evals that failed, in file order.
    pub failures: Vec<Failure>,
    /// Problems outside evals (unparsable lines, rejected loads).
    pub errors: Vec<String>,
}

/// The engine options of upstream's test harness.
pub fn test_engine_opts() -> EngineOpts {
    EngineOpts {
        lookback_delta: Duration::from_secs(300),
        max_samples: 10_000,
        timeout: Duration::from_secs(100),
        default_evaluation_interval: Duration::from_secs(60),
    }
}

enum Expect {
    Empty,
    Scalar(f64),
    /// Label set, value, 1-based position among the expectation lines.
    Samples(Vec<(Labels, f64, usize)>),
}

struct Eval {
    line: usize,
    expr_text: String,
    expr: Result<Expr, String>,
    at: i64,
    fail: bool,
    ordered: bool,
    expect: Expect,
}

enum Cmd {
    Clear,
    Load(i64, Vec<(Labels, Vec<Option<f64>>)>),
    Eval(Box<Eval>),
}

fn is_blank(l: &str) -> bool {
    l.is_empty() || l.starts_with('#')
}

fn parse_script(text: &str) -> Result<Vec<Cmd>, String> {
    let lines: Vec<&str> = text.split('\n').map(str::trim).collect();
    let mut cmds = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        i += 1;
        if is_blank(l) {
            continue;
        }
        let word = l.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        if word == "clear" {
            cmds.push(Cmd::Clear);
        } else if word == "load" {
            let iv = l.split_whitespace().nth(1).and_then(parse_duration);
            let iv = iv.ok_or_else(|| format!("line {i}: invalid load command {l:?}"))?;
            let mut series: Vec<(Labels, Vec<Option<f64>>)> = Vec::new();
            while i < lines.len() && !is_blank(lines[i]) {
                let (ls, vals) = parse_series(lines[i]).map_err(|e| format!("line {}: {e}", i + 1))?;
                match series.iter_mut().find(|(l, _)| *l == ls) {
                    Some(s) => s.1 = vals,
                    None => series.push((ls, vals)),
                }
                i += 1;
            }
            cmds.push(Cmd::Load(iv, series));
        } else if word.starts_with("eval") {
            let (ev, next) = parse_eval(&lines, i - 1)?;
            i = next;
            cmds.push(Cmd::Eval(Box::new(ev)));
        } else {
            return Err(format!("line {i}: invalid command {l:?}"));
        }
    }
    Ok(cmds)
}

fn parse_eval(lines: &[&str], at: usize) -> Result<(Eval, usize), String> {
    let l = lines[at];
    let line = at + 1;
    let bad = || format!("line {line}: invalid eval command {l:?}");
    let (cmd, rest) = l.split_once(char::is_whitespace).ok_or_else(bad)?;
    let (fail, ordered) = match cmd {
        "eval" => (false, false),
        "eval_fail" => (true, false),
        "eval_ordered" => (false, true),
        _ => return Err(bad()),
    };
    let rest = rest.trim_start().strip_prefix("instant").ok_or_else(bad)?.trim_start();
    let rest = rest.strip_prefix("at").ok_or_else(bad)?.trim_start();
    let (t, expr_text) = rest.split_once(char::is_whitespace).ok_or_else(bad)?;
    let t = parse_duration(t).ok_or_else(bad)?;
    let expr_text = expr_text.trim().to_string();
    let expr = crate::parser::parse(&expr_text).map_err(|e| e.to_string());
    let mut i = at + 1;
    let mut samples = Vec::new();
    let mut expect = Expect::Empty;
    while i < lines.len() && !is_blank(lines[i]) {
        let el = lines[i];
        i += 1;
        if let Some(v) = parse_number(el) {
            expect = Expect::Scalar(v);
            break;
        }
        let (ls, vals) = parse_series(el).map_err(|e| format!("line {i}: {e}"))?;
        if vals.len() != 1 {
            return Err(format!("line {i}: expecting multiple values in instant evaluation not allowed"));
        }
        let v = vals.first().copied().flatten().unwrap_or(f64::NAN);
        samples.retain(|(l, _, _): &(Labels, f64, usize)| *l != ls);
        samples.push((ls, v, samples.len() + 1));
    }
    if !samples.is_empty() && matches!(expect, Expect::Empty) {
        // Positions are the lines' order in the block.
        expect = Expect::Samples(samples);
    }
    Ok((Eval { line, expr_text, expr, at: t, fail, ordered, expect }, i))
}

/// Runs a script's text; `Err` means the script itself does not parse.
pub fn run_script(text: &str) -> Result<Report, String> {
    let cmds = parse_script(text)?;
    let engine = Engine::new(test_engine_opts());
    let mut storage = MemStorage::new();
    let mut report = Report::default();
    for cmd in cmds {
        match cmd {
            Cmd::Clear => storage = MemStorage::new(),
            Cmd::Load(iv, series) => {
                if let Err(e) = load(&storage, iv, &series) {
                    report.errors.push(e);
                }
            }
            Cmd::Eval(ev) => {
                report.total += 1;
                match run_eval(&engine, &storage, &ev) {
                    Ok(()) => report.passed += 1,
                    Err(reason) => report.failures.push(Failure { line: ev.line, expr: ev.expr_text.clone(), reason }),
                }
            }
        }
    }
    Ok(report)
}

fn load(st: &MemStorage, iv: i64, series: &[(Labels, Vec<Option<f64>>)]) -> Result<(), String> {
    let mut app = st.appender();
    for (ls, vals) in series {
        for (i, v) in vals.iter().enumerate() {
            if let Some(v) = v {
                app.append(0, ls, i as i64 * iv, *v).map_err(|e| format!("cannot load {ls}: {e}"))?;
            }
        }
    }
    app.commit().map_err(|e| e.to_string())
}

fn run_eval(engine: &Engine, st: &MemStorage, ev: &Eval) -> Result<(), String> {
    let expr = ev.expr.as_ref().map_err(|e| format!("parse: {e}"))?;
    check_at(engine, st, ev, expr, ev.at)?;
    if let Some(pinned) = at_check::pin(expr, ev.at) {
        let t = ev.at;
        let times: Vec<i64> = if t == 0 { vec![-1000, 0, 1000] } else { vec![-10 * t, 0, t / 5, t, 10 * t] };
        for at in times {
            check_at(engine, st, ev, &pinned, at).map_err(|e| format!("with @ {} at {at}ms: {e}", ev.at))?;
        }
    }
    Ok(())
}

fn check_at(engine: &Engine, st: &MemStorage, ev: &Eval, expr: &Expr, t: i64) -> Result<(), String> {
    let opts = QueryOpts::default();
    let res = engine.exec_instant(st, expr, t, &opts);
    let res = match (res, ev.fail) {
        (Err(_), true) => return Ok(()),
        (Ok(_), true) => return Err("expected error but got none".into()),
        (Err(e), false) => return Err(format!("unexpected error: {e}")),
        (Ok(r), false) => r.value,
    };
    compare(ev, &res).map_err(|e| format!("instant: {e}"))?;
    if ev.ordered {
        return Ok(());
    }
    let range = engine
        .exec_range(st, expr, t - 60_000, t + 60_000, 60_000, &opts)
        .map_err(|e| format!("range mode: unexpected error: {e}"))?;
    let Value::Matrix(m) = range.value else {
        return Err("range mode: no matrix".into());
    };
    let vec: Vec<crate::value::VectorSample> = m
        .into_iter()
        .filter_map(|s| {
            let p = s.points.iter().find(|p| p.t == t)?;
            Some(crate::value::VectorSample { labels: s.labels, t, v: p.v })
        })
        .collect();
    let v = match res {
        Value::Scalar(_) => Value::Scalar(crate::value::Scalar { t, v: vec.first().map_or(f64::NAN, |s| s.v) }),
        _ => Value::Vector(vec),
    };
    compare(ev, &v).map_err(|e| format!("range mode: {e}"))
}

fn compare(ev: &Eval, got: &Value) -> Result<(), String> {
    match got {
        Value::Matrix(_) => Err("received range result on instant evaluation".into()),
        Value::String { .. } => Err("string results are not supported".into()),
        Value::Scalar(s) => match &ev.expect {
            Expect::Scalar(want) if almost_equal(*want, s.v) => Ok(()),
            Expect::Scalar(want) => Err(format!("expected scalar {want} but got {}", s.v)),
            _ => Err(format!("expected a vector but got scalar {}", s.v)),
        },
        Value::Vector(v) => {
            let empty = Vec::new();
            let want = match &ev.expect {
                Expect::Samples(s) => s,
                Expect::Empty => &empty,
                Expect::Scalar(x) => {
                    return Err(format!("expected scalar {x} but got a vector of {} samples", v.len()));
                }
            };
            let mut seen = vec![false; want.len()];
            for (pos, s) in v.iter().enumerate() {
                let Some(i) = want.iter().position(|(l, _, _)| *l == s.labels) else {
                    return Err(format!("unexpected metric {} in result (value {})", s.labels, s.v));
                };
                let (ls, wv, wpos) = &want[i];
                if ev.ordered && *wpos != pos + 1 {
                    return Err(format!("expected metric {ls} with {wv} at position {wpos} but was at {}", pos + 1));
                }
                if !almost_equal(*wv, s.v) {
                    return Err(format!("expected {wv} for {ls} but got {}", s.v));
                }
                seen[i] = true;
            }
            if let Some(i) = seen.iter().position(|s| !s) {
                return Err(format!("expected metric {} with {} not found", want[i].0, want[i].1));
            }
            Ok(())
        }
    }
}

/// Upstream's float comparison: NaNs (the stale marker included) are equal,
/// exact equality holds, otherwise a relative tolerance of 1e-6.
pub fn almost_equal(a: f64, b: f64) -> bool {
    const MIN_NORMAL: f64 = 2.2250738585072014e-308;
    const EPSILON: f64 = 1e-6;
    if (a.is_nan() || is_stale_nan(a)) && (b.is_nan() || is_stale_nan(b)) {
        return true;
    }
    if a == b {
        return true;
    }
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || diff < MIN_NORMAL {
        return diff < EPSILON * MIN_NORMAL;
    }
    diff / (a.abs() + b.abs()) < EPSILON
}

/// Runs a script file; `Err` means it cannot be read or parsed.
pub fn run_file(path: &std::path::Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    run_script(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_script() {
        let r = run_script(
            "load 5m\n  x{a=\"1\"} 0+10x10\n  x{a=\"2\"} 0+10x10\n\neval instant at 50m x{a=\"1\"}\n  x{a=\"1\"} 100\n\neval instant at 50m sum(x)\n  {} 200\n\neval_fail instant at 0m x + on() x\n",
        )
        .unwrap();
        assert_eq!(r.failures, vec![]);
        assert_eq!(r.total, 3);
    }
}
