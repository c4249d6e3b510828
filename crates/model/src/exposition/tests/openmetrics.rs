//! OpenMetrics 1.0: accepted bodies and error messages.

use super::*;

#[test]
fn openmetrics_parses_like_prometheus() {
    check(OM, "# EOF", &["EOF"]);
    check(OM, "# EOF\n", &["EOF"]);
    check(OM, "a 1\n# EOF\n", &[r#"{__name__="a"} 1"#, "EOF"]);
    check(OM, "a 1 1.5\n# EOF\n", &[r#"{__name__="a"} 1 @1500"#, "EOF"]);
    check(OM, "a 1 1520879607.789\n# EOF\n", &[r#"{__name__="a"} 1 @1520879607789"#, "EOF"]);
    check(OM, "a 1 -1.5\n# EOF\n", &[r#"{__name__="a"} 1 @-1500"#, "EOF"]);
    check(OM, "a 1 1e3\n# EOF\n", &[r#"{__name__="a"} 1 @1000000"#, "EOF"]);
    check(OM, "a{b=\"c\",d=\"e\"} 2\n# EOF\n", &[r#"{__name__="a", b="c", d="e"} 2"#, "EOF"]);
    check(OM, "a{} 2\n# EOF\n", &[r#"{__name__="a"} 2"#, "EOF"]);
    check(OM, "a{b=\"x\\\\y\\\"z\\n\"} 1\n# EOF\n", &[r#"{__name__="a", b="x\\y\"z\n"} 1"#, "EOF"]);
    check(
        OM,
        "# HELP a Some \\\"help\\\" \\\\ \\n text\n# TYPE a counter\n# UNIT a_seconds seconds\n# UNIT b \n# EOF\n",
        &[r#"HELP a "Some \"help\" \\ \n text""#, "TYPE a counter", "UNIT a_seconds seconds", "UNIT b ", "EOF"],
    );
    check(
        OM,
        "# TYPE a info\n# TYPE b stateset\n# TYPE c gaugehistogram\n# TYPE d unknown\n# EOF\n",
        &["TYPE a info", "TYPE b stateset", "TYPE c gaugehistogram", "TYPE d unknown", "EOF"],
    );
    check(
        OM,
        "a_total 1 # {trace_id=\"x\"} 1.0 123.4\n# EOF\n",
        &[r#"{__name__="a_total"} 1 # {trace_id="x"} 1 @123400"#, "EOF"],
    );
    check(
        OM,
        "a_total 1 5 # {a=\"b\",c=\"d\"} 2\n# EOF\n",
        &[r#"{__name__="a_total"} 1 @5000 # {a="b", c="d"} 2"#, "EOF"],
    );
    check(OM, "a_bucket{le=\"+Inf\"} 3 # {} 0.5\n# EOF\n", &[r#"{__name__="a_bucket", le="+Inf"} 3 # {} 0.5"#, "EOF"]);
    // `_created` series are ordinary samples in Prometheus 2.42.
    check(
        OM,
        "# TYPE a counter\na_total 1\na_created 1520872607.123\n# EOF\n",
        &["TYPE a counter", r#"{__name__="a_total"} 1"#, r#"{__name__="a_created"} 1.520872607123e+09"#, "EOF"],
    );
    check(
        OM,
        "null_byte_metric{a=\"abc\x00\"} 1\n# EOF\n",
        &[r#"{__name__="null_byte_metric", a="abc\x00"} 1"#, "EOF"],
    );
    check(OM, "a{b=\"\x00\"} 1\n# EOF", &[r#"{__name__="a", b="\x00"} 1"#, "EOF"]);
}

/// A body written by the Python client (`prometheus_client` 0.16's OpenMetrics
/// exposition), trimmed: escapes in help and labels, `_created`, units,
/// exemplars with float timestamps, info and stateset families.
#[test]
fn openmetrics_from_python_client() {
    let body = r#"# HELP requests Total \"requests\" \\ seen\nnewline
# TYPE requests counter
requests_total{path="/a\"b\\c\nd"} 3.0
requests_created{path="/a\"b\\c\nd"} 1.7953151075447128e+09
# HELP temp_celsius Temperature
# TYPE temp_celsius gauge
# UNIT temp_celsius celsius
temp_celsius -12.5
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.25",m="GET"} 1.0 # {trace_id="abc123"} 0.2 1795315107.5448291
latency_seconds_bucket{le="+Inf",m="GET"} 2.0
# TYPE build info
build_info{rev="deadbeef",version="1.2.3"} 1.0
# TYPE state stateset
state{state="down"} 1.0
# EOF
"#;
    check(
        OM,
        body,
        &[
            "HELP requests \"Total \\\"requests\\\" \\\\ seen\\nnewline\"",
            "TYPE requests counter",
            r#"{__name__="requests_total", path="/a\"b\\c\nd"} 3"#,
            r#"{__name__="requests_created", path="/a\"b\\c\nd"} 1.7953151075447128e+09"#,
            r#"HELP temp_celsius "Temperature""#,
            "TYPE temp_celsius gauge",
            "UNIT temp_celsius celsius",
            r#"{__name__="temp_celsius"} -12.5"#,
            "TYPE latency_seconds histogram",
            r#"{__name__="latency_seconds_bucket", le="0.25", m="GET"} 1 # {trace_id="abc123"} 0.2 @1795315107544"#,
            r#"{__name__="latency_seconds_bucket", le="+Inf", m="GET"} 2"#,
            "TYPE build info",
            r#"{__name__="build_info", rev="deadbeef", version="1.2.3"} 1"#,
            "TYPE state stateset",
            r#"{__name__="state", state="down"} 1"#,
            "EOF",
        ],
    );
}

#[test]
fn openmetrics_errors_match_prometheus() {
    let c = |input: &[u8], line, reason: &str| check_err(OM, input, line, reason);
    c(b"", 1, "data does not end with # EOF");
    c(b"\n", 1, r#""INVALID" "\n" is not a valid start token while parsing: "\n""#);
    c(b"metric", 1, r#"expected value after metric, got "EOF" while parsing: "metric""#);
    c(b"metric 1", 1, "data does not end with # EOF");
    c(b"metric 1\n", 2, "data does not end with # EOF");
    c(b"metric_total 1 # {aa=\"bb\"} 4", 1, "data does not end with # EOF");
    c(b"a\n#EOF\n", 1, r#"expected value after metric, got "INVALID" while parsing: "a\n""#);
    c(b"\n\n#EOF\n", 1, r#""INVALID" "\n" is not a valid start token while parsing: "\n""#);
    c(b" a 1\n#EOF\n", 1, r#""INVALID" " " is not a valid start token while parsing: " ""#);
    c(b"9\n#EOF\n", 1, r#""INVALID" "9" is not a valid start token while parsing: "9""#);
    c(b"# TYPE u untyped\n#EOF\n", 1, r#"invalid metric type "untyped""#);
    c(b"# TYPE c counter \n#EOF\n", 1, r#"invalid metric type "counter ""#);
    c(b"#  TYPE c counter\n#EOF\n", 1, r##""INVALID" " " is not a valid start token while parsing: "#  ""##);
    c(b"# TYPE \n#EOF\n", 1, r##"expected metric name after TYPE, got "INVALID" while parsing: "# TYPE \n""##);
    c(b"# TYPE m\n#EOF\n", 1, "expected text in TYPE");
    c(b"# UNIT metric suffix\n#EOF\n", 1, r#"unit not a suffix of metric "metric""#);
    c(b"# UNIT metricsuffix suffix\n#EOF\n", 1, r#"unit not a suffix of metric "metricsuffix""#);
    c(b"# UNIT m suffix\n#EOF\n", 1, r#"unit not a suffix of metric "m""#);
    c(b"# UNIT \n#EOF\n", 1, r##"expected metric name after UNIT, got "INVALID" while parsing: "# UNIT \n""##);
    c(b"# UNIT m\n#EOF\n", 1, "expected text in UNIT");
    c(b"# HELP \n#EOF\n", 1, r##"expected metric name after HELP, got "INVALID" while parsing: "# HELP \n""##);
    c(b"# HELP m\n#EOF\n", 1, "expected text in HELP");
    c(b"a\t1\n#EOF\n", 1, r#"expected value after metric, got "INVALID" while parsing: "a\t""#);
    c(b"a 1\t2\n#EOF\n", 1, r#"strconv.ParseFloat: parsing "1\t2": invalid syntax while parsing: "a 1\t2""#);
    c(b"a 1 2 \n#EOF\n", 1, r#"expected next entry after timestamp, got "INVALID" while parsing: "a 1 2 \n""#);
    c(b"a 1 2 #\n#EOF\n", 1, r##"expected next entry after timestamp, got "TIMESTAMP" while parsing: "a 1 2 #\n""##);
    c(b"a 1 1z\n#EOF\n", 1, r#"strconv.ParseFloat: parsing "1z": invalid syntax while parsing: "a 1 1z""#);
    c(b" # EOF\n", 1, r#""INVALID" " " is not a valid start token while parsing: " ""#);
    c(b"# EOF\na 1", 2, "unexpected data after # EOF");
    c(b"# EOF\n\n", 2, "unexpected data after # EOF");
    c(b"# EOFa 1", 1, "unexpected data after # EOF");
    c(b"#\tTYPE c counter\n", 1, r##""INVALID" "\t" is not a valid start token while parsing: "#\t""##);
    c(b"# TYPE c  counter\n", 1, r#"invalid metric type " counter""#);
    c(b"a 1 1 1\n# EOF\n", 1, r#"expected next entry after timestamp, got "TIMESTAMP" while parsing: "a 1 1 1\n""#);
    c(b"a{b='c'} 1\n# EOF\n", 1, r#"expected label value, got "INVALID" while parsing: "a{b='""#);
    c(b"a{,b=\"c\"} 1\n# EOF\n", 1, r#"expected label name or left brace, got "COMMA" while parsing: "a{,b""#);
    c(b"a{b=\"c\"d=\"e\"} 1\n# EOF\n", 1, r#"expected comma, got "LNAME" while parsing: "a{b=\"c\"d=""#);
    c(b"a{b=\"c\",,d=\"e\"} 1\n# EOF\n", 1, r#"expected label name, got "COMMA" while parsing: "a{b=\"c\",,d""#);
    c(b"a{b=\n# EOF\n", 1, r#"expected label value, got "INVALID" while parsing: "a{b=\n""#);
    c(b"a{\xff=\"foo\"} 1\n# EOF\n", 1, r#"expected label name or left brace, got "INVALID" while parsing: "a{\xff""#);
    c(b"a{b=\"\xff\"} 1\n# EOF\n", 1, r#"invalid UTF-8 label value while parsing: "a{b=\"\xff\"""#);
    c(b"a true\n", 1, r#"strconv.ParseFloat: parsing "true": invalid syntax while parsing: "a true""#);
    c(
        b"something_weird{problem=\"\n# EOF\n",
        1,
        r#"expected label value, got "INVALID" while parsing: "something_weird{problem=\"\n""#,
    );
    c(
        b"empty_label_name{=\"\"} 0\n# EOF\n",
        1,
        r#"expected label name or left brace, got "EQUAL" while parsing: "empty_label_name{=\"""#,
    );
    c(b"foo 1_2\n\n# EOF\n", 1, r#"unsupported character in float while parsing: "foo 1_2""#);
    c(b"foo 0x1p-3\n\n# EOF\n", 1, r#"unsupported character in float while parsing: "foo 0x1p-3""#);
    c(b"foo 0 1_2\n\n# EOF\n", 1, r#"unsupported character in float while parsing: "foo 0 1_2""#);
    c(
        b"custom_metric_total 1 # {aa=bb}\n# EOF\n",
        1,
        r##"expected label value, got "INVALID" while parsing: "custom_metric_total 1 # {aa=b""##,
    );
    c(
        b"custom_metric_total 1 # {aa=\"bb\"}\n# EOF\n",
        1,
        r##"expected value after exemplar labels, got "INVALID" while parsing: "custom_metric_total 1 # {aa=\"bb\"}\n""##,
    );
    c(
        b"custom_metric_total 1 # {aa=\"bb\"}",
        1,
        r##"expected value after exemplar labels, got "EOF" while parsing: "custom_metric_total 1 # {aa=\"bb\"}""##,
    );
    c(
        b"custom_metric_total 1 # {bb}",
        1,
        r##"expected equal, got "BCLOSE" while parsing: "custom_metric_total 1 # {bb}""##,
    );
    c(
        b"custom_metric_total 1 # {aa=\"bb\",,cc=\"dd\"} 1",
        1,
        r##"expected label name, got "COMMA" while parsing: "custom_metric_total 1 # {aa=\"bb\",,c""##,
    );
    c(
        b"custom_metric_total 1 # {aa=\"bb\"} 1_2",
        1,
        r##"unsupported character in float while parsing: "custom_metric_total 1 # {aa=\"bb\"} 1_2""##,
    );
    c(
        b"custom_metric_total 1 # {aa=\"bb\"} true",
        1,
        r##"strconv.ParseFloat: parsing "true": invalid syntax while parsing: "custom_metric_total 1 # {aa=\"bb\"} true""##,
    );
    c(
        b"custom_metric_total 1 # {aa=\"bb\",cc=}",
        1,
        r##"expected label value, got "INVALID" while parsing: "custom_metric_total 1 # {aa=\"bb\",cc=}""##,
    );
    // 2.42 rejects a trailing comma in OpenMetrics (the text format allows it).
    c(b"a{b=\"c\",} 2\n# EOF\n", 1, r#"expected label name, got "BCLOSE" while parsing: "a{b=\"c\",} ""#);
    c(b"{b=\"c\",} 1", 1, r#""INVALID" "{" is not a valid start token while parsing: "{""#);
    c(b"a 1 NaN", 1, r#"invalid timestamp while parsing: "a 1 NaN""#);
    c(b"a 1 -Inf", 1, r#"invalid timestamp while parsing: "a 1 -Inf""#);
    c(b"a 1 Inf", 1, r#"invalid timestamp while parsing: "a 1 Inf""#);
    c(
        b"# TYPE hhh histogram\nhhh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 NaN",
        2,
        r##"invalid exemplar timestamp while parsing: "hhh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 NaN""##,
    );
    c(
        b"# TYPE hhh histogram\nhhh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 -Inf",
        2,
        r##"invalid exemplar timestamp while parsing: "hhh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 -Inf""##,
    );
    // NUL bytes.
    c(b"a{b=\x00\"ssss\"} 1\n# EOF\n", 1, r#"expected label value, got "INVALID" while parsing: "a{b=\x00""#);
    c(b"a{b=\"\x00", 1, r#"expected label value, got "INVALID" while parsing: "a{b=\"\x00""#);
    c(b"a{b\x00=\"hiih\"}\t1", 1, r#"expected equal, got "INVALID" while parsing: "a{b\x00""#);
    c(b"a\x00{b=\"ddd\"} 1", 1, r#"expected value after metric, got "INVALID" while parsing: "a\x00""#);
    c(b"#", 1, r##""INVALID" " " is not a valid start token while parsing: "#""##);
    c(b"# H", 1, r##""INVALID" " " is not a valid start token while parsing: "# H""##);
    c(
        b"custom_metric_total 1 # {b=\x00\"ssss\"} 1\n",
        1,
        r##"expected label value, got "INVALID" while parsing: "custom_metric_total 1 # {b=\x00""##,
    );
    c(
        b"custom_metric_total 1 # {b=\"\x00ss\"} 1\n",
        1,
        r##"expected label value, got "INVALID" while parsing: "custom_metric_total 1 # {b=\"\x00""##,
    );
    // Our own: comments are not allowed, and lines are counted.
    c(b"a 1\n# random comment\n# EOF\n", 2, r##""INVALID" "r" is not a valid start token while parsing: "# r""##);
    c(
        b"a 1\nb 2\nc{d=\"e\" } 3\n# EOF\n",
        3,
        r#"expected comma or left brace, got "INVALID" while parsing: "c{d=\"e\" ""#,
    );
    c(b"a 1\nb 2 # x\n# EOF\n", 2, r##"expected timestamp or # symbol, got "INVALID" while parsing: "b 2 # x""##);
}
