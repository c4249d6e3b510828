//! The text encoder, round trips, and borrowed series views.

use super::*;

#[test]
fn encoder_writes_expfmt_text() {
    let families = vec![
        MetricFamily {
            name: "http_requests_total".into(),
            help: Some("Requests \\ with\nnewline and \"quotes\".".into()),
            kind: MetricType::Counter,
            samples: vec![
                (
                    Labels::from_pairs([("__name__", "http_requests_total"), ("code", "200"), ("path", "/a\"b\\c\nd")]),
                    1027.0,
                    Some(1395066363000),
                ),
                (Labels::from_pairs([("__name__", "http_requests_total"), ("code", "400")]), 3.0, None),
            ],
        },
        MetricFamily {
            name: "x".into(),
            help: None,
            kind: MetricType::Info,
            samples: vec![
                (Labels::from_pairs([("__name__", "x")]), 1e6, None),
                (Labels::from_pairs([("__name__", "x"), ("a", "b")]), -0.0, None),
                (Labels::from_pairs([("__name__", "x"), ("a", "c")]), f64::NAN, None),
                (Labels::from_pairs([("__name__", "x"), ("a", "d")]), f64::NEG_INFINITY, None),
                (Labels::from_pairs([("__name__", "x"), ("a", "e")]), 1234567.0, None),
                (Labels::from_pairs([("__name__", "x"), ("a", "f")]), 0.000001, None),
            ],
        },
    ];
    let want = "# HELP http_requests_total Requests \\\\ with\\nnewline and \"quotes\".\n\
                # TYPE http_requests_total counter\n\
                http_requests_total{code=\"200\",path=\"/a\\\"b\\\\c\\nd\"} 1027 1395066363000\n\
                http_requests_total{code=\"400\"} 3\n\
                # TYPE x untyped\n\
                x 1e+06\n\
                x{a=\"b\"} 0\n\
                x{a=\"c\"} NaN\n\
                x{a=\"d\"} -Inf\n\
                x{a=\"e\"} 1.234567e+06\n\
                x{a=\"f\"} 1e-06\n";
    assert_eq!(encode_text(&families), want);
}

#[test]
fn round_trip_encode_then_parse() {
    let values = [
        0.0,
        1.0,
        -1.0,
        0.1,
        1e6,
        1234567.0,
        1e-7,
        1e21,
        123456789.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        5e-324,
    ];
    let mut out = String::new();
    let mut want = Vec::new();
    write_help(&mut out, "m", "help with \\ and \n");
    write_type(&mut out, "m", MetricType::Gauge);
    for (i, v) in values.iter().enumerate() {
        let labels = Labels::from_pairs([
            ("__name__", "m".to_string()),
            ("i", i.to_string()),
            ("tricky", format!("q\"b\\n\nü{i}")),
        ]);
        let ts = (i % 2 == 0).then_some(i as i64 * 1000 + 3);
        write_sample(&mut out, &labels, *v, ts);
        want.push((labels, v.to_bits(), ts));
    }
    let mut got = Vec::new();
    for e in Parser::new(out.as_bytes(), Format::PromText) {
        match e.unwrap() {
            Entry::Series(s) => got.push((s.labels().unwrap(), s.value.to_bits(), s.timestamp_ms)),
            Entry::Help { help, .. } => assert_eq!(help, "help with \\ and \n"),
            Entry::Type { kind, .. } => assert_eq!(kind, MetricType::Gauge),
            e => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(got, want);

    // The same lines are valid OpenMetrics once timestamps are in seconds.
    let om = "m{a=\"x\\\"y\"} 1.5 1.25\n# EOF\n";
    let e: Vec<_> = Parser::new(om.as_bytes(), Format::OpenMetrics).collect::<Result<_, _>>().unwrap();
    let Entry::Series(s) = &e[0] else { panic!() };
    assert_eq!(s.labels().unwrap().get("a"), Some("x\"y"));
    assert_eq!(s.timestamp_ms, Some(1250));
}

#[test]
fn series_text_and_label_pairs_borrow_from_the_body() {
    let body = b"a{b=\"c\",d=\"e\\\\f\"} 1\n";
    let Some(Ok(Entry::Series(s))) = Parser::new(body, Format::PromText).next() else { panic!() };
    assert_eq!(s.series, "a{b=\"c\",d=\"e\\\\f\"}");
    assert_eq!(s.name, "a");
    let pairs: Vec<_> = s.label_pairs().collect();
    assert!(matches!(pairs[0].1, std::borrow::Cow::Borrowed("c")));
    assert_eq!(pairs[1], ("d", "e\\f".into()));
    assert_eq!(s.value.to_bits(), 1f64.to_bits());
    let nan = Parser::new(b"a NaN", Format::PromText).next().unwrap().unwrap();
    let Entry::Series(nan) = nan else { panic!() };
    assert_eq!(nan.value.to_bits(), NORMAL_NAN_BITS);
    let dup = Parser::new(b"a{b=\"1\",b=\"2\"} 1", Format::PromText).next().unwrap().unwrap();
    let Entry::Series(dup) = dup else { panic!() };
    assert!(dup.labels().is_err());
}

#[test]
fn format_from_content_type() {
    let check = |ct: &str, want: Format| assert_eq!(Format::from_content_type(ct), want, "{ct}");
    check("application/openmetrics-text; version=1.0.0; charset=utf-8", Format::OpenMetrics);
    check("Application/OpenMetrics-Text", Format::OpenMetrics);
    check("text/plain; version=0.0.4", Format::PromText);
    check("", Format::PromText);
    check("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily", Format::PromText);
    check(";;", Format::PromText);
}
