//! Table tests of the store against the rules of API.md (PUT/POST/DELETE,
//! sanitising, timestamps, failure times, consistency, JSON shape,
//! persistence).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;

use crate::*;

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn key(path: &str) -> GroupingKey {
    GroupingKey::parse(path).unwrap()
}

fn group<'a>(json: &'a Json, job: &str) -> Option<&'a Json> {
    json.as_array().unwrap().iter().find(|g| g["labels"]["job"] == job)
}

/// Applies `(method, path, body)` steps (method `D` deletes) and returns the
/// outcome of each as a status code.
fn run(store: &PushStore, steps: &[(&str, &str, &str)]) -> Vec<u16> {
    steps
        .iter()
        .enumerate()
        .map(|(i, (m, path, body))| {
            let now = t(1000 + i as u64);
            let k = match GroupingKey::parse(path) {
                Ok(k) => k,
                Err(e) => return http_status(&e.into()),
            };
            let method = match *m {
                "PUT" => Method::Put,
                "POST" => Method::Post,
                _ => {
                    store.delete(&k);
                    return STATUS_DELETED;
                }
            };
            match store.push(method, &k, body.as_bytes(), None, now) {
                Ok(()) => STATUS_PUSHED,
                Err(e) => http_status(&e),
            }
        })
        .collect()
}

fn families(json: &Json, job: &str) -> Vec<String> {
    let mut v: Vec<String> = group(json, job)
        .map(|g| {
            g.as_object().unwrap().keys().filter(|k| *k != "labels" && *k != "last_push_successful").cloned().collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn put_post_delete_sequences() {
    let check = |steps: &[(&str, &str, &str)], codes: &[u16], fams: &[&str]| {
        let store = PushStore::new(StoreOptions::default());
        assert_eq!(run(&store, steps), codes, "{steps:?}");
        let json = store.api_v1_metrics_json();
        let got = families(&json, "j");
        assert_eq!(got, fams, "{steps:?}");
    };
    let pt = ["push_failure_time_seconds", "push_time_seconds"];
    let with = |xs: &[&'static str]| {
        let mut v: Vec<&str> = pt.iter().copied().chain(xs.iter().copied()).collect();
        v.sort();
        v
    };
    check(&[("PUT", "job/j", "a 1\nb 2\n")], &[200], &with(&["a", "b"]));
    check(&[("PUT", "job/j", "a 1\nb 2\n"), ("PUT", "job/j", "c 1\n")], &[200, 200], &with(&["c"]));
    check(&[("PUT", "job/j", "a 1\nb 2\n"), ("POST", "job/j", "b 3\nc 1\n")], &[200, 200], &with(&["a", "b", "c"]));
    check(&[("PUT", "job/j", "a 1\n"), ("PUT", "job/j", "")], &[200, 200], &with(&[]));
    check(&[("PUT", "job/j", "a 1\n"), ("POST", "job/j", "")], &[200, 200], &with(&["a"]));
    check(&[("PUT", "job/j", "a 1\n"), ("D", "job/j", "")], &[200, 202], &[]);
    check(&[("D", "job/j", ""), ("PUT", "job/j", "a 1\n")], &[202, 200], &with(&["a"]));
    // Deleting another group (even one containing these labels) leaves this one.
    check(&[("PUT", "job/j", "a 1\n"), ("D", "job/j/instance/x", "")], &[200, 202], &with(&["a"]));
    // Parse errors change nothing.
    check(&[("PUT", "job/j", "a 1\n"), ("PUT", "job/j", "a{ 1\n")], &[200, 400], &with(&["a"]));
    check(&[("PUT", "job/j", "a{ 1\n")], &[400], &[]);
    // A failed check on a new group creates it with only the push-time gauges.
    check(&[("PUT", "job/j", "a 1 1000\n")], &[400], &with(&[]));
    check(
        &[("PUT", "job/x", "# TYPE a gauge\na 1\n"), ("PUT", "job/j", "# TYPE a counter\na 1\n")],
        &[200, 400],
        &with(&[]),
    );
    // Bad keys.
    check(&[("PUT", "job/j/a", "a 1\n")], &[400], &[]);
    check(&[("PUT", "nojob/j", "a 1\n")], &[404], &[]);
}

#[test]
fn within_family_replacement_is_whole() {
    let store = PushStore::new(StoreOptions::default());
    run(&store, &[("PUT", "job/j", "a{x=\"1\"} 1\na{x=\"2\"} 2\n"), ("POST", "job/j", "a{x=\"3\"} 3\n")]);
    let json = store.api_v1_metrics_json();
    let ms = group(&json, "j").unwrap()["a"]["metrics"].as_array().unwrap().clone();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0]["labels"]["x"], "3");
}

#[test]
fn sanitising() {
    let check = |path: &str, body: &str, want: &str| {
        let store = PushStore::new(StoreOptions::default());
        store.push(Method::Put, &key(path), body.as_bytes(), None, t(1)).unwrap();
        let text = store.render_text();
        let line = text.lines().find(|l| l.starts_with("m{") || l.starts_with("m ")).unwrap_or_default().to_string();
        assert_eq!(line, want, "{path} {body}");
    };
    check("job/j", "m 1\n", r#"m{instance="",job="j"} 1"#);
    check("job/j", "m{job=\"other\"} 1\n", r#"m{instance="",job="j"} 1"#);
    check("job/j/instance/i", "m{instance=\"body\",z=\"1\",a=\"2\"} 1\n", r#"m{a="2",instance="i",job="j",z="1"} 1"#);
    check("job/j", "m{instance=\"body\"} 1\n", r#"m{instance="body",job="j"} 1"#);
    check("job/j/e@base64/=", "m{e=\"x\"} 1\n", r#"m{e="",instance="",job="j"} 1"#);
}

#[test]
fn push_time_rules() {
    let store = PushStore::new(StoreOptions::default());
    let k = key("job/j");
    let gauge =
        |json: &Json, name: &str| group(json, "j").unwrap()[name]["metrics"][0]["value"].as_str().unwrap().to_string();
    store.push(Method::Put, &k, b"a 1\n", None, t(100)).unwrap();
    let j = store.api_v1_metrics_json();
    assert_eq!(gauge(&j, PUSH_TIME_METRIC), "100");
    assert_eq!(gauge(&j, PUSH_FAILURE_TIME_METRIC), "0");
    assert_eq!(group(&j, "j").unwrap()[PUSH_TIME_METRIC]["help"], PUSH_TIME_HELP);
    assert_eq!(group(&j, "j").unwrap()[PUSH_FAILURE_TIME_METRIC]["help"], PUSH_FAILURE_TIME_HELP);
    assert_eq!(group(&j, "j").unwrap()["last_push_successful"], true);
    // Failure: failure time set, push time kept, not successful.
    store.push(Method::Post, &k, b"a 1 5\n", None, t(200)).unwrap_err();
    let j = store.api_v1_metrics_json();
    assert_eq!(gauge(&j, PUSH_TIME_METRIC), "100");
    assert_eq!(gauge(&j, PUSH_FAILURE_TIME_METRIC), "200");
    assert_eq!(group(&j, "j").unwrap()["last_push_successful"], false);
    // Success again: push time moves, failure time stays.
    store.push(Method::Post, &k, b"", None, t(300)).unwrap();
    let j = store.api_v1_metrics_json();
    assert_eq!(gauge(&j, PUSH_TIME_METRIC), "300");
    assert_eq!(gauge(&j, PUSH_FAILURE_TIME_METRIC), "200");
    assert_eq!(group(&j, "j").unwrap()["last_push_successful"], true);
    // A parse error does not touch the failure time.
    store.push(Method::Post, &k, b"a{", None, t(400)).unwrap_err();
    assert_eq!(gauge(&store.api_v1_metrics_json(), PUSH_FAILURE_TIME_METRIC), "200");
    // A pushed push_time_seconds is replaced by the gateway's; a pushed
    // push_failure_time_seconds replaces the existing one (as Pushgateway 1.5 does).
    store
        .push(
            Method::Post,
            &k,
            b"# TYPE push_failure_time_seconds gauge\npush_time_seconds 7\npush_failure_time_seconds 8\n",
            None,
            t(500),
        )
        .unwrap();
    let j = store.api_v1_metrics_json();
    assert_eq!(gauge(&j, PUSH_TIME_METRIC), "500");
    assert_eq!(gauge(&j, PUSH_FAILURE_TIME_METRIC), "8");
    // ... but not on a new group, which gets the zero gauge.
    store.push(Method::Post, &key("job/n"), b"push_failure_time_seconds 8\n", None, t(500)).unwrap();
    let j = store.api_v1_metrics_json();
    assert_eq!(group(&j, "n").unwrap()[PUSH_FAILURE_TIME_METRIC]["metrics"][0]["value"], "0");
    // Nanosecond precision.
    store.push(Method::Post, &k, b"", None, UNIX_EPOCH + Duration::from_nanos(1_500_000_000_250_000_000)).unwrap();
    assert_eq!(gauge(&store.api_v1_metrics_json(), PUSH_TIME_METRIC), "1.5000000002499998e+09"); // float64(UnixNano())/1e9, as Go computes it
}

#[test]
fn consistency_conflicts() {
    let check = |setup: &[(&str, &str)], path: &str, body: &str, want: Result<(), &str>| {
        let store = PushStore::new(StoreOptions {
            predefined: vec![Predefined { name: "go_goroutines".into(), kind: FamilyType::Gauge, help: "G".into() }],
            ..Default::default()
        });
        for (p, b) in setup {
            store.push(Method::Put, &key(p), b.as_bytes(), None, t(1)).unwrap();
        }
        let got = store.push(Method::Put, &key(path), body.as_bytes(), None, t(2));
        match (got, want) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err(w)) => {
                let s = e.to_string();
                assert!(s.starts_with("pushed metrics are invalid or inconsistent with existing metrics: "), "{s}");
                assert!(s.contains(w), "{body}: {s} does not contain {w}");
            }
            (g, w) => panic!("{body}: got {g:?}, want {w:?}"),
        }
    };
    let gauge_a = [("job/x", "# TYPE a gauge\na 1\n")];
    check(&gauge_a, "job/y", "# TYPE a counter\na 1\n", Err("is not a"));
    check(&gauge_a, "job/y", "# TYPE a gauge\n# HELP a other help\na 1\n", Ok(()));
    check(&gauge_a, "job/x", "# TYPE a counter\na 1\n", Ok(())); // replaces the only gauge
    check(
        &[],
        "job/y",
        "a{x=\"1\"} 1\na{x=\"1\"} 2\n",
        Err("was collected before with the same name and label values"),
    );
    // Duplicate only after sanitising: job from the body is overwritten.
    check(&[], "job/y", "a{job=\"1\"} 1\na{job=\"2\"} 2\n", Err("was collected before"));
    check(&[], "job/y", "a{__x=\"1\"} 1\n", Err("has a label with an invalid name: __x"));
    check(&[], "job/y", "a 1 1\n", Err(TIMESTAMP_REASON));
    check(
        &[],
        "job/y",
        "go_goroutines 1\n",
        Err("gathered metric family go_goroutines has type UNTYPED but should have GAUGE"),
    );
    check(&[], "job/y", "# TYPE go_goroutines gauge\ngo_goroutines 1\n", Ok(()));
    check(
        &[("job/x", "# TYPE s summary\ns_sum 1\ns_count 1\n")],
        "job/y",
        "s_count 1\n",
        Err("collides with previously collected summary"),
    );
    check(
        &[("job/x", "s_count 1\n")],
        "job/y",
        "# TYPE s summary\ns_sum 1\ns_count 1\n",
        Err("collides with previously collected metric"),
    );
    check(&[("job/x", "# TYPE s summary\ns_sum 1\ns_count 1\n")], "job/y", "s_bucket 1\n", Ok(()));
    check(
        &[("job/x", "# TYPE h histogram\nh_sum 1\nh_count 1\n")],
        "job/y",
        "h_bucket 1\n",
        Err("collides with previously collected histogram"),
    );
    // Same series in two groups is fine: the job label differs.
    check(&[("job/x", "a 1\n")], "job/y", "a 1\n", Ok(()));
    // ... unless the body's instance makes them equal? No: job still differs.
    check(&[("job/x/instance/i", "a 1\n")], "job/x", "a{instance=\"i\"} 1\n", Err("was collected before"));
}

#[test]
fn protobuf_bodies_and_misuse() {
    let store = PushStore::new(StoreOptions::default());
    let k = key("job/p");
    let body = encode_delimited_for_tests(&[(
        "g".into(),
        Some("h".into()),
        FamilyType::Gauge,
        vec![(vec![("a".into(), "1".into())], 1e6, None)],
    )]);
    store.push(Method::Put, &k, &body, Some(PROTOBUF_CONTENT_TYPE), t(1)).unwrap();
    let j = store.api_v1_metrics_json();
    assert_eq!(group(&j, "p").unwrap()["g"]["metrics"][0]["value"], "1e+06");
    // The same bytes as text are a parse error.
    assert_eq!(http_status(&store.push(Method::Put, &k, &body, None, t(2)).unwrap_err()), 400);
    // A summary with a quantile label, a histogram with an le label: only by protobuf.
    let check = |kind, label: &str, want: &str| {
        let bad = encode_delimited_for_tests(&[(
            "s".into(),
            None,
            kind,
            vec![(vec![(label.into(), "1".into())], 1.0, None)],
        )]);
        let e = store.push(Method::Put, &k, &bad, Some(PROTOBUF_CONTENT_TYPE), t(3)).unwrap_err();
        assert!(e.to_string().ends_with(want), "{e}");
    };
    check(FamilyType::Summary, "quantile", "must not have an explicit \"quantile\" label");
    check(FamilyType::Histogram, "le", "must not have an explicit \"le\" label");
    check(FamilyType::Gauge, "a-b", "has a label with an invalid name: a-b");
    let ok = encode_delimited_for_tests(&[(
        "s".into(),
        None,
        FamilyType::Summary,
        vec![(vec![("le".into(), "1".into())], 1.0, None)],
    )]);
    store.push(Method::Put, &k, &ok, Some(PROTOBUF_CONTENT_TYPE), t(3)).unwrap();
    let ts = encode_delimited_for_tests(&[("g".into(), None, FamilyType::Gauge, vec![(vec![], 1.0, Some(5))])]);
    let e = store.push(Method::Put, &k, &ts, Some(PROTOBUF_CONTENT_TYPE), t(4)).unwrap_err();
    assert!(e.to_string().ends_with(TIMESTAMP_REASON));
}

#[test]
fn json_shape() {
    let store = PushStore::new(StoreOptions::default());
    let body = "# HELP c A counter.\n# TYPE c counter\nc 1234567\n\
                # TYPE g gauge\ng 0.00001\n\
                # TYPE s summary\ns{quantile=\"0.5\"} 0.2721322309989773\ns_sum 123456\ns_count 7\n\
                # TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 3\nh_sum NaN\nh_count 3\n\
                u -Inf\n";
    store.push(Method::Put, &key("job/j/instance/i"), body.as_bytes(), None, t(1_000_000)).unwrap();
    let j = store.api_v1_metrics_json();
    let g = group(&j, "j").unwrap();
    assert_eq!(g["labels"], serde_json::json!({"job": "j", "instance": "i"}));
    assert_eq!(g["c"]["type"], "COUNTER");
    assert_eq!(g["c"]["help"], "A counter.");
    assert!(g["g"].get("help").is_none());
    assert_eq!(g["c"]["time_stamp"], "1970-01-12T13:46:40Z");
    assert_eq!(
        g["c"]["metrics"][0],
        serde_json::json!({"labels": {"instance": "i", "job": "j"}, "value": "1.234567e+06"})
    );
    assert_eq!(g["g"]["metrics"][0]["value"], "1e-05");
    assert_eq!(g["u"]["metrics"][0]["value"], "-Inf");
    assert_eq!(g["u"]["type"], "UNTYPED");
    assert_eq!(
        g["s"]["metrics"][0],
        serde_json::json!({"labels": {"instance": "i", "job": "j"}, "quantiles": {"0.5": "0.2721322309989773"}, "count": "7", "sum": "123456"})
    );
    assert_eq!(
        g["h"]["metrics"][0],
        serde_json::json!({"labels": {"instance": "i", "job": "j"}, "buckets": {"0.1": "1", "+Inf": "3"}, "count": "3", "sum": "NaN"})
    );
    assert_eq!(g["push_time_seconds"]["metrics"][0]["value"], "1e+06");
}

#[test]
fn render_text_merges_groups() {
    let store = PushStore::new(StoreOptions::default());
    store.push(Method::Put, &key("job/b"), b"# HELP a from b\n# TYPE a gauge\na 2\n", None, t(1)).unwrap();
    store.push(Method::Put, &key("job/a"), b"# HELP a from a\n# TYPE a gauge\na 1\n", None, t(1)).unwrap();
    store
        .push(Method::Put, &key("job/a"), b"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 2\nh_count 3\n", None, t(1))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = store.render_text();
    let a: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("# HELP a ")).take(4).collect();
    assert_eq!(a, ["# HELP a from b", "# TYPE a gauge", "a{instance=\"\",job=\"b\"} 2", "# TYPE h histogram"]);
    assert!(text.contains("h_bucket{instance=\"\",job=\"a\",le=\"1\"} 1\nh_bucket{instance=\"\",job=\"a\",le=\"+Inf\"} 3\nh_sum{instance=\"\",job=\"a\"} 2\n"), "{text}");
    let snaps = store.groups();
    assert_eq!(snaps.len(), 2);
    let h = snaps[0].families.iter().find(|f| f.name == "h").unwrap();
    assert_eq!(h.samples.len(), 4);
    assert_eq!(h.samples[1].0.get("le"), Some("+Inf"));
    assert_eq!(h.samples[0].0.get("instance"), None);
}

#[test]
fn gzip_and_limits() {
    use std::io::Write;
    let store = PushStore::new(StoreOptions { max_body_bytes: Some(64), max_groups: Some(1), ..Default::default() });
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"a 1\n").unwrap();
    let gz = enc.finish().unwrap();
    store.push_encoded(Method::Put, &key("job/j"), &gz, None, Some("gzip"), t(1)).unwrap();
    let e = store.push_encoded(Method::Put, &key("job/j"), b"a 1\n", None, Some("gzip"), t(1)).unwrap_err();
    assert_eq!((http_status(&e), e.to_string().as_str()), (400, "unexpected EOF"));
    let e = store.push_encoded(Method::Put, &key("job/j"), b"a 1\nb 2\nc 3\n", None, Some("gzip"), t(1)).unwrap_err();
    assert_eq!((http_status(&e), e.to_string().as_str()), (400, "gzip: invalid header"));
    let e = store.push(Method::Put, &key("job/j"), &[b'a'; 65], None, t(1)).unwrap_err();
    assert_eq!(http_status(&e), 413);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&[b'#'; 1000]).unwrap();
    let bomb = enc.finish().unwrap();
    let e = store.push_encoded(Method::Put, &key("job/j"), &bomb, None, Some("gzip"), t(1)).unwrap_err();
    assert_eq!(http_status(&e), 413);
    let e = store.push(Method::Put, &key("job/other"), b"a 1\n", None, t(1)).unwrap_err();
    assert_eq!(http_status(&e), 429);
    assert!(e.to_string().contains("maximum of 1 groups"), "{e}");
    let st = store.stats();
    assert_eq!(st.groups, 1);
    assert_eq!(st.pushes_total[&("put", "success")], 1);
    assert_eq!(st.pushes_total[&("put", "too_large")], 2);
    assert_eq!(st.pushes_total[&("put", "too_many_groups")], 1);
}

#[test]
fn ttl_expiry() {
    let store = PushStore::new(StoreOptions::default());
    store.push(Method::Put, &key("job/old"), b"a 1\n", None, t(100)).unwrap();
    store.push(Method::Put, &key("job/new"), b"a 1\n", None, t(200)).unwrap();
    let gone = store.expire_older_than(t(250), Duration::from_secs(100));
    assert_eq!(gone, vec![key("job/old")]);
    assert_eq!(store.groups().len(), 1);
}

#[test]
fn persistence_round_trip_and_corrupt_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("push.json");
    let store = PushStore::new(StoreOptions::default());
    store.load(&path).unwrap(); // missing = empty
    store
        .push(
            Method::Put,
            &key("job/j/x@base64/="),
            b"# HELP c h\n# TYPE c counter\nc NaN\n# TYPE s summary\ns{quantile=\"0.5\"} +Inf\ns_count 2\n",
            None,
            t(5),
        )
        .unwrap();
    store.push(Method::Put, &key("job/k"), b"a 1 1\n", None, t(6)).unwrap_err();
    let gen_saved = store.save(&path).unwrap();
    assert_eq!(gen_saved, store.generation());
    let restored = PushStore::new(StoreOptions::default());
    restored.load(&path).unwrap();
    assert_eq!(restored.api_v1_metrics_json(), store.api_v1_metrics_json());
    assert_eq!(restored.render_text(), store.render_text());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp files left");

    std::fs::write(&path, b"{\"format\":\"argus-push-store\",\"version\":1,\"groups\":[{").unwrap();
    let fresh = PushStore::new(StoreOptions::default());
    let e = fresh.load(&path).unwrap_err();
    assert!(matches!(e, PersistError::Corrupt { .. }), "{e}");
    assert!(fresh.groups().is_empty());
    std::fs::write(&path, b"{\"format\":\"other\",\"version\":9,\"groups\":[]}").unwrap();
    assert!(matches!(fresh.load(&path), Err(PersistError::Corrupt { .. })));

    let opts = PersistOptions { interval: Duration::from_secs(60) };
    let now = std::time::Instant::now();
    assert!(!opts.save_due(&store, gen_saved, now, now + Duration::from_secs(120)));
    store.delete(&key("job/k"));
    assert!(!opts.save_due(&store, gen_saved, now, now + Duration::from_secs(30)));
    assert!(opts.save_due(&store, gen_saved, now, now + Duration::from_secs(60)));
}
