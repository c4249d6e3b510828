//! Query limits and typed errors, with Prometheus' exact messages.

use std::time::Duration;

use argus_model::storage::MemStorage;
use argus_model::{Labels, Sample};
use argus_promql::{Engine, EngineOpts, Error, ErrorKind, Value};

fn storage() -> MemStorage {
    let st = MemStorage::new();
    for i in 0..10 {
        let ls = Labels::from_pairs([("__name__", "m".to_string()), ("i", i.to_string())]);
        let samples: Vec<Sample> = (0..100).map(|k| Sample::new(k * 10_000, k as f64)).collect();
        st.add(ls, &samples);
    }
    st
}

fn engine(max_samples: usize, timeout: Duration) -> Engine {
    Engine::new(EngineOpts { max_samples, timeout, ..EngineOpts::default() })
}

#[test]
fn too_many_samples_has_prometheus_message() {
    let st = storage();
    let e = engine(50, Duration::from_secs(60));
    let err = e.range_query(&st, "m", 0, 990_000, 10_000).unwrap_err();
    assert_eq!(err.to_string(), "query processing would load too many samples into memory in query execution");
    assert_eq!(err.kind(), ErrorKind::Execution);
    // The same data fits when the limit allows it.
    let e = engine(10_000, Duration::from_secs(60));
    assert!(e.range_query(&st, "m", 0, 990_000, 10_000).is_ok());
}

#[test]
fn timeout_has_prometheus_message() {
    let st = storage();
    let err = engine(10_000, Duration::ZERO).instant_query(&st, "sum(m)", 0).unwrap_err();
    assert_eq!(err.to_string(), "query timed out in expression evaluation");
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[test]
fn error_kinds() {
    let st = storage();
    let e = Engine::default();
    let err = e.instant_query(&st, "sum(", 0).unwrap_err();
    assert!(matches!(err, Error::Parse(_)), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::BadData);
    let err = e.range_query(&st, "m[5m]", 0, 10, 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"
    );
    let err = e.instant_query(&st, "m + on() m", 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Execution);
    assert!(
        err.to_string().starts_with("found duplicate series for the match group {} on the right hand-side"),
        "{err}"
    );
    let err = e.instant_query(&st, "holt_winters(m[5m], 1, 0.5)", 100_000).unwrap_err();
    assert_eq!(err.to_string(), "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000");
    let err = e.instant_query(&st, "topk(NaN, m)", 0).unwrap_err();
    assert_eq!(err.to_string(), "Scalar value NaN overflows int64");
    let err = e.instant_query(&st, "mad_over_time(m[5m])", 0).unwrap_err();
    assert_eq!(err.to_string(), "1:1: parse error: unknown function with name \"mad_over_time\"");
}

#[test]
fn range_query_is_sorted_and_scalar_becomes_one_series() {
    let st = storage();
    let e = Engine::default();
    let Value::Matrix(m) = e.range_query(&st, "sort_desc(m)", 0, 60_000, 30_000).unwrap().value else {
        panic!("want matrix");
    };
    let names: Vec<String> = m.iter().map(|s| s.labels.get("i").unwrap_or("").to_string()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let Value::Matrix(m) = e.range_query(&st, "1 + 1", 0, 60_000, 30_000).unwrap().value else {
        panic!("want matrix");
    };
    assert_eq!(m.len(), 1);
    assert!(m[0].labels.is_empty());
    assert_eq!(m[0].points.len(), 3);
}

#[test]
fn holt_winters_is_2_42_name() {
    let st = storage();
    let e = Engine::default();
    let r = e.instant_query(&st, "holt_winters(m{i=\"0\"}[1m], 0.5, 0.5)", 100_000).unwrap();
    let Value::Vector(v) = r.value else { panic!("want vector") };
    assert_eq!(v.len(), 1);
    assert!(e.instant_query(&st, "double_exponential_smoothing(m[1m], 0.5, 0.5)", 0).is_err());
}

#[test]
fn canceled_and_per_query_timeout() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use argus_promql::QueryOpts;

    let st = storage();
    let e = Engine::default();
    let opts = QueryOpts { cancel: Some(Arc::new(AtomicBool::new(true))), ..QueryOpts::default() };
    let err = e.instant_query_with(&st, "sum(m)", 0, &opts).unwrap_err();
    assert_eq!(err.to_string(), "query was canceled in expression evaluation");
    assert_eq!(err.kind(), ErrorKind::Canceled);
    let opts = QueryOpts { timeout: Some(Duration::ZERO), ..QueryOpts::default() };
    let err = e.range_query_with(&st, "m", 0, 60_000, 15_000, &opts).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[test]
fn hostile_queries_fail_cleanly() {
    let st = storage();
    let e = Engine::new(EngineOpts { max_samples: 100_000, ..EngineOpts::default() });
    // Huge subquery step counts hit the sample limit instead of exhausting memory.
    for q in
        ["max_over_time(vector(1)[1y:1ms])", "count_over_time(m[100y:1ms])", "sum_over_time(vector(time())[10y:1ms])"]
    {
        let err = e.instant_query(&st, q, 1_000_000).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Execution, "{q}: {err}");
    }
    // Sparse data under a huge subquery is skipped over, not stepped through.
    let r = e.instant_query(&st, "count_over_time(m[100y:1ms])", 0).unwrap();
    let Value::Vector(v) = r.value else { panic!("want vector") };
    assert_eq!(v.len(), 10);
    // Absurd offsets and ranges saturate instead of overflowing.
    for q in ["m offset 100000000y", "m offset -100000000y", "rate(m[100000000y])", "m[1000000y:1y] offset 1000000y"] {
        let _ = e.instant_query(&st, q, 0);
    }
    let _ = e.range_query(&st, "m", i64::MIN / 2, i64::MAX / 2, i64::MAX / 4);
}

/// Instant-query order of sort/sort_desc/topk/bottomk with ties and NaN, as
/// observed from a Prometheus 2.42 server on the same eight samples.
#[test]
fn ordering_matches_prometheus_with_ties_and_nan() {
    let st = MemStorage::new();
    for (i, v) in [3.0, f64::NAN, 1.0, 3.0, f64::NAN, 2.0, 3.0, 1.0].iter().enumerate() {
        st.add(Labels::from_pairs([("__name__", "s".to_string()), ("i", i.to_string())]), &[Sample::new(0, *v)]);
    }
    let e = Engine::default();
    let order = |q: &str| -> Vec<String> {
        let Value::Vector(v) = e.instant_query(&st, q, 10_000).unwrap().value else { panic!("want vector") };
        v.iter().map(|s| s.labels.get("i").unwrap_or("").to_string()).collect()
    };
    let check = |q: &str, want: &[&str]| assert_eq!(order(q), want, "{q}");
    check("sort(s)", &["2", "7", "5", "0", "3", "6", "4", "1"]);
    check("sort_desc(s)", &["0", "3", "6", "5", "2", "7", "4", "1"]);
    check("topk(3, s)", &["3", "0", "6"]);
    check("bottomk(3, s)", &["2", "7", "5"]);
    check("topk(8, s)", &["0", "6", "3", "5", "2", "7", "1", "4"]);
    check("bottomk(8, s)", &["2", "7", "5", "6", "3", "0", "1", "4"]);
}

/// Dropping the metric name can leave two series with one label set:
/// Prometheus fails the query then, with this message.
#[test]
fn duplicate_series_after_dropping_the_name() {
    let st = MemStorage::new();
    for name in ["a", "b"] {
        let ls = Labels::from_pairs([("__name__", name.to_string()), ("job", "j".to_string())]);
        let samples: Vec<Sample> = (0..30).map(|k| Sample::new(k * 10_000, k as f64)).collect();
        st.add(ls, &samples);
    }
    let e = Engine::default();
    for q in ["rate({__name__=~\"a|b\"}[5m])", "max_over_time({job=\"j\"}[1m])"] {
        let err = e.instant_query(&st, q, 290_000).unwrap_err();
        assert_eq!(err.to_string(), "vector cannot contain metrics with the same labelset", "{q}");
    }
    // One name: no duplicates, and last_over_time keeps the names.
    assert!(e.instant_query(&st, "rate(a[5m])", 290_000).is_ok());
    assert!(e.instant_query(&st, "last_over_time({job=\"j\"}[1m])", 290_000).is_ok());
}
