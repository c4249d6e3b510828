use super::*;

/// The error for `body`, checked against what node_exporter 1.5 logs for the
/// same textfile (`failed to parse textfile data from ...: <this>`).
fn check_err(body: &[u8], want: &str) {
    let got = parse(body).unwrap_err();
    assert_eq!(got, format!("text format parsing error in {want}"), "body {:?}", String::from_utf8_lossy(body));
}

#[test]
fn errors_read_as_expfmt_words_them() {
    check_err(b"a 1", "line 1: unexpected end of input stream");
    check_err(b"a{b=\"1\" c=\"2\"} 1\n", "line 1: unexpected end of label value \"1\"");
    check_err(b"a 1 \n", "line 1: expected integer as timestamp, got \"\"");
    check_err(b"# TYPE a gaugex\n", "line 1: unknown metric type \"gaugex\"");
    check_err(b"x{b=\"\\x\"} 1\n", "line 1: invalid escape sequence '\\x'");
    check_err(b"a{b=\"1\",b=\"2\"} 1\n", "line 1: duplicate label names for metric \"a\"");
    check_err(b"a{b 1\n", "line 1: expected '=' after label name, found '1'");
    check_err(b"a{b=\"\xff\"} 1\n", "line 1: invalid label value \"\\xff\"");
    check_err(b"a 1e400\n", "line 1: expected float as value, got \"1e400\"");
    check_err(b"# HELP a x\n# HELP a y\n", "line 2: second HELP line for metric name \"a\"");
    check_err(
        b"a 1\n# TYPE a gauge\n",
        "line 2: second TYPE line for metric name \"a\", or TYPE reported after samples",
    );
    check_err(b"a{b=\"1\"\n", "line 1: unexpected end of label value \"1\"");
    check_err(
        b"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n",
        "line 2: expected float as value for 'le' label, got \"x\"",
    );
    check_err(b"a{__name__=\"x\"} 1\n", "line 1: label name \"__name__\" is reserved");
    check_err(b"\n\na 1 2 x\n", "line 3: spurious string after timestamp: \" x\"");
}

#[test]
fn summaries_and_histograms_group_by_labels() {
    let body = b"# TYPE s summary\ns{quantile=\"0.5\",a=\"1\"} 1\ns{a=\"1\",quantile=\"0.9\"} 2\ns_count{a=\"1\"} 7\ns_sum{a=\"1\"} 3\n\
                 # TYPE h histogram\nh_bucket{le=\"1\"} 4\nh_bucket 9\nh_count 5\n";
    let fams = parse(body).unwrap();
    let [s, h] = fams.as_slice() else { panic!("{fams:?}") };
    assert_eq!(s.metrics.len(), 1);
    assert_eq!(s.metrics[0].labels, [("a".to_string(), "1".to_string())]);
    assert_eq!(
        s.metrics[0].value,
        ParsedValue::Summary { count: 7, sum: 3.0, quantiles: vec![(0.5, 1.0), (0.9, 2.0)] }
    );
    // A bucket without `le` is ignored, as expfmt ignores it.
    assert_eq!(h.metrics[0].value, ParsedValue::Histogram { count: 5, sum: 0.0, buckets: vec![(1.0, 4)] });
}

#[test]
fn floats_follow_go() {
    for (s, ok) in [
        ("1", true),
        (".5", true),
        ("5.", true),
        ("-Inf", true),
        ("nan", true),
        ("+nan", false),
        ("0x1p3", false),
        ("1_0", false),
        ("1e400", false),
        ("", false),
        ("0x10", false),
    ] {
        assert_eq!(parse_float(s).is_ok(), ok, "{s:?}");
    }
    assert!(parse(b"a 1\n# TYPE b counter\n").unwrap().len() == 1, "families without samples are dropped");
}
