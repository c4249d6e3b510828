//! Table tests for both parsers, the encoder and the backfill reader.
//!
//! Error cases are taken from Prometheus' own `promparse_test.go` and
//! `openmetricsparse_test.go` where 2.42 behaves the same, plus our own.

use super::*;
use crate::Labels;

/// Renders entries compactly so each table case fits on a line.
fn render(e: &Entry<'_>) -> String {
    match e {
        Entry::Series(s) => {
            let labels = s.labels().map(|l| l.to_string()).unwrap_or_else(|e| format!("<{e}>"));
            let mut r = format!("{labels} {}", format_go_float(s.value));
            if let Some(t) = s.timestamp_ms {
                r += &format!(" @{t}");
            }
            if let Some(x) = &s.exemplar {
                let l = x.labels().map(|l| l.to_string()).unwrap_or_default();
                r += &format!(" # {l} {}", format_go_float(x.value));
                if let Some(t) = x.timestamp_ms {
                    r += &format!(" @{t}");
                }
            }
            r
        }
        Entry::Help { metric, help } => format!("HELP {metric} {help:?}"),
        Entry::Type { metric, kind } => format!("TYPE {metric} {}", kind.as_str()),
        Entry::Unit { metric, unit } => format!("UNIT {metric} {unit}"),
        Entry::Comment(c) => format!("COMMENT {}", String::from_utf8_lossy(c)),
        Entry::Eof => "EOF".to_string(),
    }
}

fn parse_all(input: &[u8], format: Format) -> Result<Vec<String>, ParseError> {
    Parser::new(input, format).map(|e| e.map(|e| render(&e))).collect()
}

#[track_caller]
fn check(format: Format, input: &str, expected: &[&str]) {
    match parse_all(input.as_bytes(), format) {
        Ok(got) => assert_eq!(got, expected, "input {input:?}"),
        Err(e) => panic!("input {input:?}: unexpected error {e}"),
    }
}

#[track_caller]
fn check_err(format: Format, input: &[u8], line: usize, reason: &str) {
    match parse_all(input, format) {
        Ok(got) => panic!("input {:?}: expected an error, got {got:?}", String::from_utf8_lossy(input)),
        Err(e) => {
            let shown = e.to_string();
            let shown = shown.split_once(": ").map_or(shown.as_str(), |(_, r)| r);
            if std::env::var("ARGUS_DUMP_MISMATCH").is_ok() && shown != reason {
                println!("WANT<<{reason}>>\nGOT<<{shown}>>");
                return;
            }
            assert_eq!(shown, reason, "input {:?}", String::from_utf8_lossy(input));
            assert_eq!(e.line(), line, "input {:?}: {e}", String::from_utf8_lossy(input));
        }
    }
}

const P: Format = Format::PromText;
const OM: Format = Format::OpenMetrics;

#[test]
fn prom_text_parses_like_prometheus() {
    check(P, "", &[]);
    check(P, "\n\n", &[]);
    check(P, "a 1", &[r#"{__name__="a"} 1"#]);
    check(P, "a 1\n", &[r#"{__name__="a"} 1"#]);
    check(P, "a 1 123\n", &[r#"{__name__="a"} 1 @123"#]);
    check(P, "a\t1\t123\t\n", &[r#"{__name__="a"} 1 @123"#]);
    check(P, "a{b=\"c\"} 1", &[r#"{__name__="a", b="c"} 1"#]);
    check(P, "a {b=\"c\"} 1", &[r#"{__name__="a", b="c"} 1"#]);
    check(P, "a{b=\"c\"}1", &[r#"{__name__="a", b="c"} 1"#]);
    check(P, "a{ b = \"c\" , d=\"e\", } 2", &[r#"{__name__="a", b="c", d="e"} 2"#]);
    check(P, "a{b=\"c\" d=\"e\"} 2", &[r#"{__name__="a", b="c", d="e"} 2"#]);
    check(P, "a{} 2", &[r#"{__name__="a"} 2"#]);
    check(P, "a{b=\"\"} 2", &[r#"{__name__="a"} 2"#]);
    check(P, "a{b=\"x\\\\y\\\"z\\nw\\t\"} 1", &[r#"{__name__="a", b="x\\y\"z\nw\\t"} 1"#]);
    check(P, "a{b=\"multi\nline\"} 1\nc 2", &[r#"{__name__="a", b="multi\nline"} 1"#, r#"{__name__="c"} 2"#]);
    check(P, "a:b_c:d 1", &[r#"{__name__="a:b_c:d"} 1"#]);
    check(P, "_a 1", &[r#"{__name__="_a"} 1"#]);
    check(P, "  a 1\n \t\n", &[r#"{__name__="a"} 1"#]);
    check(
        P,
        "a +Inf\nb -Inf\nc NaN\nd -0\ne 1e3\nf .5\ng 1.\nh -1.5E-3",
        &[
            r#"{__name__="a"} +Inf"#,
            r#"{__name__="b"} -Inf"#,
            r#"{__name__="c"} NaN"#,
            r#"{__name__="d"} -0"#,
            r#"{__name__="e"} 1000"#,
            r#"{__name__="f"} 0.5"#,
            r#"{__name__="g"} 1"#,
            r#"{__name__="h"} -0.0015"#,
        ],
    );
}

#[test]
fn prom_text_metadata_and_comments() {
    check(
        P,
        "# HELP a Some help.\n# TYPE a counter\na 1",
        &[r#"HELP a "Some help.""#, "TYPE a counter", r#"{__name__="a"} 1"#],
    );
    check(P, "# HELP a with \\\\ and \\n and \\\"\n", &[r#"HELP a "with \\ and \n and \\\"""#]);
    check(P, "# HELP nohelp1\n# HELP nohelp2 \n", &[r#"HELP nohelp1 """#, r#"HELP nohelp2 """#]);
    check(P, "# HELP a   spaced\n", &[r#"HELP a "  spaced""#]);
    check(P, "#\tTYPE a gauge\n", &["TYPE a gauge"]);
    check(
        P,
        "# TYPE a untyped\n# TYPE b summary\n# TYPE c histogram\n",
        &["TYPE a unknown", "TYPE b summary", "TYPE c histogram"],
    );
    check(
        P,
        "# random comment\n#\n#no space\n# HELPfoo\n# Hrandom\n",
        &["COMMENT # random comment", "COMMENT #", "COMMENT #no space", "COMMENT # HELPfoo", "COMMENT # Hrandom"],
    );
    check(P, "# HELP metric foo\x00bar\n", &["HELP metric \"foo\\0bar\""]);
    // A NUL at the start of a line is the lexer's end of input (2.42 quirk).
    check(P, "a 1\n\x00b 2\n", &[r#"{__name__="a"} 1"#]);
    check(P, "null_byte_metric{a=\"abc\x00\"} 1", &["{__name__=\"null_byte_metric\", a=\"abc\\x00\"} 1"]);
}

#[test]
fn prom_text_errors_match_prometheus() {
    let c = |input: &[u8], line, reason: &str| check_err(P, input, line, reason);
    c(b"a", 1, r#"expected value after metric, got "INVALID" while parsing: "a\n""#);
    c(b"a{b='c'} 1\n", 1, r#"expected label value, got "INVALID" while parsing: "a{b='""#);
    c(b"a{b=\n", 1, r#"expected label value, got "INVALID" while parsing: "a{b=\n""#);
    c(b"a{\xff=\"foo\"} 1\n", 1, r#"expected label name, got "INVALID" while parsing: "a{\xff""#);
    c(b"a{b=\"\xff\"} 1\n", 1, r#"invalid UTF-8 label value while parsing: "a{b=\"\xff\"""#);
    c(b"a true\n", 1, r#"strconv.ParseFloat: parsing "true": invalid syntax while parsing: "a true""#);
    c(
        b"something_weird{problem=\"",
        1,
        r#"expected label value, got "INVALID" while parsing: "something_weird{problem=\"\n""#,
    );
    c(b"empty_label_name{=\"\"} 0", 1, r#"expected label name, got "EQUAL" while parsing: "empty_label_name{=\"""#);
    c(b"foo 1_2\n", 1, r#"unsupported character in float while parsing: "foo 1_2""#);
    c(b"foo 0x1p-3\n", 1, r#"unsupported character in float while parsing: "foo 0x1p-3""#);
    c(b"foo 0x1P-3\n", 1, r#"unsupported character in float while parsing: "foo 0x1P-3""#);
    c(b"foo 0 1_2\n", 1, r#"expected next entry after timestamp, got "INVALID" while parsing: "foo 0 1_""#);
    c(b"{a=\"ok\"} 1", 1, r#""INVALID" is not a valid start token while parsing: "{""#);
    c(b"# TYPE #\n#EOF\n", 1, r##"expected metric name after TYPE, got "INVALID" while parsing: "# TYPE #""##);
    c(b"# HELP #\n#EOF\n", 1, r##"expected metric name after HELP, got "INVALID" while parsing: "# HELP #""##);
    // NUL bytes.
    c(b"a{b=\x00\"ssss\"} 1\n", 1, r#"expected label value, got "INVALID" while parsing: "a{b=\x00""#);
    c(b"a{b=\"\x00", 1, r#"expected label value, got "INVALID" while parsing: "a{b=\"\x00\n""#);
    c(b"a{b\x00=\"hiih\"}\t1", 1, r#"expected equal, got "INVALID" while parsing: "a{b\x00""#);
    c(b"a\x00{b=\"ddd\"} 1", 1, r#"expected value after metric, got "INVALID" while parsing: "a\x00""#);
    c(b"a 0 1\x00", 1, r#"expected next entry after timestamp, got "INVALID" while parsing: "a 0 1\x00""#);
    // Our own, mostly about line numbers.
    c(b"a 1\nb 2\nc{3} 1\n", 3, r#"expected label name, got "INVALID" while parsing: "c{3""#);
    c(b"a 1\n\n\nb\n", 4, r#"expected value after metric, got "INVALID" while parsing: "b\n""#);
    c(
        b"a{b=\"x\ny\"} 1\nc 1 2 3",
        3,
        r#"expected next entry after timestamp, got "TIMESTAMP" while parsing: "c 1 2 3\n""#,
    );
    c(b"# TYPE a gauge\n# TYPE a bogus\n", 2, r#"invalid metric type "bogus""#);
    c(b"# TYPE a\n", 1, r#"invalid metric type """#);
    c(b"# HELP a \xff\n", 1, r#"help text is not a valid utf8 string"#);
    c(b"a 1 -5\n", 1, r#"expected timestamp or new record, got "INVALID" while parsing: "a 1 -""#);
    c(b"a 1 1.5\n", 1, r#"expected next entry after timestamp, got "INVALID" while parsing: "a 1 1.""#);
    c(
        b"a 1 99999999999999999999\n",
        1,
        r#"strconv.ParseInt: parsing "99999999999999999999": value out of range while parsing: "a 1 99999999999999999999""#,
    );
    c(b"a 1e400\n", 1, r#"strconv.ParseFloat: parsing "1e400": value out of range while parsing: "a 1e400""#);
    c(b"a +NaN\n", 1, r#"strconv.ParseFloat: parsing "+NaN": invalid syntax while parsing: "a +NaN""#);
    c(b"a{b=\"c\"}} 1\n", 1, r#"strconv.ParseFloat: parsing "}": invalid syntax while parsing: "a{b=\"c\"}}""#);
    c(b"a{b=\"c\",,d=\"e\"} 1\n", 1, r#"expected label name, got "COMMA" while parsing: "a{b=\"c\",,d""#);
    c(b"a{b=\"c\" 1\n", 1, r#"expected label name, got "INVALID" while parsing: "a{b=\"c\" 1""#);
    c(b"a{b:c=\"d\"} 1\n", 1, r#"expected equal, got "INVALID" while parsing: "a{b:""#);
    c(b"0a 1\n", 1, r#""INVALID" is not a valid start token while parsing: "0""#);
}

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

/// A small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Parses to the end; asserts the parser never loops, stops after an error,
/// and reports a line within the body.
fn drive(body: &[u8], format: Format) {
    let lines = body.iter().filter(|&&c| c == b'\n').count() + 1;
    let mut p = Parser::new(body, format);
    let mut n = 0;
    while let Some(e) = p.next() {
        n += 1;
        assert!(n <= body.len() + 2, "parser does not advance on {body:?}");
        if let Err(e) = e {
            assert!(e.line() >= 1 && e.line() <= lines, "line {} of {lines} in {body:?}: {e}", e.line());
            assert!(p.next().is_none());
            break;
        }
        if let Ok(Entry::Series(s)) = e {
            let _ = s.labels();
            if let Some(x) = &s.exemplar {
                let _ = x.labels();
            }
        }
    }
}

const VALID_OM: &str = "# HELP a_seconds Time \\\"spent\\\".\n# TYPE a_seconds histogram\n# UNIT a_seconds seconds\n\
    a_seconds_bucket{le=\"0.1\",path=\"/x\"} 3 1.5 # {trace_id=\"abc\"} 0.05 1.4\n\
    a_seconds_bucket{le=\"+Inf\",path=\"/x\"} 5\na_seconds_count{path=\"/x\"} 5\na_seconds_sum{path=\"/x\"} 0.7e-1\n\
    a_seconds_created{path=\"/x\"} 1520872607.123\n# EOF\n";

const VALID_PROM: &str = "# HELP go_gc_duration_seconds A summary \\\\ of\\n pauses.\n# TYPE go_gc_duration_seconds summary\n\
    go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\ngo_gc_duration_seconds{quantile=\"0.5\",} 1.2e-04 1700000000000\n\
    # a comment\n\ngo_gc_duration_seconds_sum 0.00 \ngo_gc_duration_seconds_count{ a=\"b\nc\" } +Inf\n";

#[test]
fn fuzzish_random_bytes_and_truncations_never_panic() {
    // `ARGUS_FUZZ_ITERS=2000000 cargo test --release ... fuzzish` for a longer run.
    let iters: usize = std::env::var("ARGUS_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let seed: u64 = std::env::var("ARGUS_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x2545_f491_4f6c_dd1d);
    let mut rng = Rng(seed | 1);
    for (body, format) in [(VALID_PROM, Format::PromText), (VALID_OM, Format::OpenMetrics)] {
        let body = body.as_bytes();
        assert!(Parser::new(body, format).all(|e| e.is_ok()), "fixture must be valid");
        for cut in 0..=body.len() {
            drive(&body[..cut], format);
            drive(&body[cut..], format);
        }
        let alphabet = b"{}=,\"\\# \t\n\x00\xffaZ_:019.eE+-InfNa";
        for _ in 0..iters {
            let mut b = body.to_vec();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                match rng.below(3) {
                    0 => b[i] = alphabet[rng.below(alphabet.len())],
                    1 => {
                        b.remove(i);
                    }
                    _ => b.insert(i, alphabet[rng.below(alphabet.len())]),
                }
            }
            drive(&b, format);
        }
    }
    for _ in 0..iters {
        let len = rng.below(64);
        let b: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        drive(&b, Format::PromText);
        drive(&b, Format::OpenMetrics);
    }
}

#[test]
fn backfill_contract() {
    let ok =
        "# HELP m help\n# TYPE m gauge\nm{a=\"1\"} 1 10\nm{a=\"2\"} 2 5.5\nm{a=\"1\"} 3 20\nm{a=\"1\"} 3 20\n# EOF\n";
    let sum = check_backfill(ok.as_bytes()).unwrap();
    assert_eq!(sum, BackfillSummary { min_time_ms: 5500, max_time_ms: 20000, samples: 3, series: 2 });
    let samples: Vec<_> = BackfillReader::new(ok.as_bytes()).collect::<Result<_, _>>().unwrap();
    assert_eq!(samples.len(), 3);
    assert_eq!((samples[1].line, samples[1].sample.t, samples[1].sample.v), (4, 5500, 2.0));
    assert_eq!(check_backfill(b"# EOF\n").unwrap(), BackfillSummary::default());

    let check = |input: &str, line: usize, msg: &str, promtool: &str| {
        let e = check_backfill(input.as_bytes()).unwrap_err();
        assert_eq!((e.line(), e.to_string().as_str()), (line, msg), "{input:?}");
        assert_eq!(e.promtool_message(), promtool, "{input:?}");
    };
    check(
        "m 1 1\n",
        2,
        "cannot parse openmetrics input: line 2: data does not end with # EOF",
        "getting min and max timestamp: next: data does not end with # EOF",
    );
    check(
        "m 1 1\nm 2\n# EOF\n",
        2,
        "line 2: expected timestamp for series m, got none",
        "getting min and max timestamp: expected timestamp for series got none",
    );
    check(
        "m 1 2\nm 1 1\n# EOF\n",
        2,
        "line 2: out of order sample for series {__name__=\"m\"}: timestamp 1000 is before 2000",
        "block creation: process blocks: add sample: out of order sample",
    );
    check(
        "m 1 2\nm 3 2\n# EOF\n",
        2,
        "line 2: duplicate sample for timestamp 2000 of series {__name__=\"m\"}",
        "block creation: process blocks: add sample: duplicate sample for timestamp",
    );
    // A parse error later in the file wins over an earlier ordering error, as in promtool.
    check(
        "m 1 2\nm 1 1\nm{ 1 3\n# EOF\n",
        3,
        "cannot parse openmetrics input: line 3: expected label name or left brace, got \"INVALID\" while parsing: \"m{ \"",
        "getting min and max timestamp: next: expected label name or left brace, got \"INVALID\"",
    );
    check(
        "m{a=\"1\",a=\"2\"} 1 1\n# EOF\n",
        1,
        "line 1: invalid series m{a=\"1\",a=\"2\"}: duplicate label name \"a\"",
        "block creation: process blocks: add sample: duplicate label name \"a\"",
    );
    // The text format is not accepted for backfilling.
    check(
        "# TYPE m untyped\nm 1 1\n# EOF\n",
        1,
        "cannot parse openmetrics input: line 1: invalid metric type \"untyped\"",
        "getting min and max timestamp: next: invalid metric type \"untyped\"",
    );
}

/// Throughput on a 10k-series body; run with
/// `cargo test --release -p argus-model exposition::tests::bench -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark; run explicitly in release mode"]
fn bench_parse_10k_series() {
    let mut prom = String::new();
    let mut om = String::new();
    for f in 0..100 {
        let name = format!("node_family_{f}_seconds_total");
        for body in [&mut prom, &mut om] {
            body.push_str(&format!("# HELP {name} Help text of family {f}.\n# TYPE {name} counter\n"));
        }
        for s in 0..100 {
            let line = format!(
                "{name}{{instance=\"host-{s}.example.com:9100\",job=\"node\",mode=\"idle\",cpu=\"{s}\"}} {}",
                format_go_float(s as f64 * 1234.5678 + f as f64)
            );
            prom.push_str(&format!("{line}\n"));
            om.push_str(&format!("{line} 1700000000.{s:03}\n"));
        }
    }
    om.push_str("# EOF\n");
    for (label, body, format) in [("text 0.0.4", &prom, Format::PromText), ("openmetrics", &om, Format::OpenMetrics)] {
        for decode in [false, true] {
            // The fastest of many rounds: the machine is shared, and the minimum is
            // the measurement least disturbed by other processes.
            let mut best = f64::INFINITY;
            let mut samples = 0usize;
            for _ in 0..60 {
                let start = std::time::Instant::now();
                samples = 0;
                for e in Parser::new(body.as_bytes(), format) {
                    if let Entry::Series(s) = e.unwrap() {
                        if decode {
                            std::hint::black_box(s.labels().unwrap());
                        }
                        std::hint::black_box(&s);
                        samples += 1;
                    }
                }
                best = best.min(start.elapsed().as_secs_f64());
            }
            println!(
                "{label:12} {:14} {:7.1} MB/s {:6.2} M samples/s ({} bytes, {samples} samples per body)",
                if decode { "with labels()" } else { "series only" },
                body.len() as f64 / best / 1e6,
                samples as f64 / best / 1e6,
                body.len(),
            );
        }
    }
}

/// Parses real bodies named in `ARGUS_EXPOSITION_FILES` (`path[:om]`, comma
/// separated), e.g. saved from Debian's `prometheus-node-exporter`:
/// `ARGUS_EXPOSITION_FILES=/tmp/ne.prom cargo test -p argus-model real_bodies -- --ignored --nocapture`.
#[test]
#[ignore = "needs bodies saved from a real exporter"]
fn real_bodies_parse() {
    let Ok(files) = std::env::var("ARGUS_EXPOSITION_FILES") else {
        return;
    };
    for spec in files.split(',') {
        let (path, format) = match spec.strip_suffix(":om") {
            Some(p) => (p, Format::OpenMetrics),
            None => (spec, Format::PromText),
        };
        let body = std::fs::read(path).unwrap();
        let (mut samples, mut meta) = (0, 0);
        for e in Parser::new(&body, format) {
            match e.unwrap_or_else(|e| panic!("{path}: {e}")) {
                Entry::Series(s) => {
                    s.labels().unwrap();
                    samples += 1;
                }
                _ => meta += 1,
            }
        }
        println!("{path}: {samples} samples, {meta} other entries");
        assert!(samples > 0);
    }
}

/// Compares against recorded Prometheus 2.42 results: a TSV of `P|O`, hex
/// input, and the expected first error (`OK` for none, `~prefix` for a prefix).
fn oracle_mismatches(tsv: &str) -> Vec<String> {
    let unhex = |h: &str| -> Vec<u8> {
        (0..h.len() / 2).map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap()).collect()
    };
    let mut bad = Vec::new();
    for line in tsv.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut f = line.splitn(3, '\t');
        let (fmt, hex, want) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap_or(""));
        let format = if fmt == "O" { Format::OpenMetrics } else { Format::PromText };
        let input = unhex(hex);
        let got = Parser::new(&input, format).find_map(Result::err);
        let ok = match (&got, want) {
            (None, "OK") => true,
            (Some(e), w) if w.starts_with('~') => e.reason().starts_with(&w[1..]),
            (Some(e), w) => e.reason() == w,
            _ => false,
        };
        if !ok {
            let got = got.map_or("OK".to_string(), |e| e.reason().to_string());
            bad.push(format!("{fmt} {:?}\n   want {want}\n   got  {got}", String::from_utf8_lossy(&input)));
        }
    }
    bad
}

#[test]
#[ignore = "needs ARGUS_ORACLE_TSV"]
fn oracle_from_env() {
    let Ok(path) = std::env::var("ARGUS_ORACLE_TSV") else { return };
    let bad = oracle_mismatches(&std::fs::read_to_string(path).unwrap());
    for b in bad.iter().take(60) {
        println!("{b}");
    }
    assert!(bad.is_empty(), "{} mismatches", bad.len());
}

#[test]
fn matches_prometheus_2_42_recorded_results() {
    let bad = oracle_mismatches(include_str!("testdata/textparse-2.42.tsv"));
    assert!(bad.is_empty(), "{} mismatches:\n{}", bad.len(), bad.join("\n"));
}

/// Compares [`check_backfill`] with promtool's first stderr line (`OK` when it
/// succeeded), from a TSV of hex input and message in `ARGUS_PROMTOOL_TSV`.
#[test]
#[ignore = "needs ARGUS_PROMTOOL_TSV"]
fn promtool_from_env() {
    let Ok(path) = std::env::var("ARGUS_PROMTOOL_TSV") else { return };
    let tsv = std::fs::read_to_string(path).unwrap();
    let mut bad = 0;
    for line in tsv.lines() {
        let (hex, want) = line.split_once('\t').unwrap();
        let input: Vec<u8> =
            (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
        let got = check_backfill(&input).map_or_else(|e| e.promtool_message(), |_| "OK".to_string());
        if got != want {
            bad += 1;
            println!("{:?}\n   want {want}\n   got  {got}", String::from_utf8_lossy(&input));
        }
    }
    assert_eq!(bad, 0);
}

/// Compares [`encode_text`] with `expfmt.MetricFamilyToText` from
/// prometheus/common 0.39 (what Prometheus 2.42 links), given a TSV written
/// by a small Go program in `ARGUS_EXPFMT_TSV`: `F name help-hex|- TYPE`,
/// then `S labels-hex value-bits ts|-` lines, then `= expected-hex`.
#[test]
#[ignore = "needs ARGUS_EXPFMT_TSV written by Go"]
fn expfmt_from_env() {
    let Ok(path) = std::env::var("ARGUS_EXPFMT_TSV") else { return };
    let unhex = |h: &str| -> String {
        String::from_utf8((0..h.len() / 2).map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap()).collect())
            .unwrap()
    };
    let tsv = std::fs::read_to_string(path).unwrap();
    let (mut fam, mut n, mut bad) = (None::<MetricFamily>, 0, 0);
    for line in tsv.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f[0] {
            "F" => {
                let kind = match f[3] {
                    "COUNTER" => MetricType::Counter,
                    "GAUGE" => MetricType::Gauge,
                    _ => MetricType::Unknown,
                };
                let help = (f[2] != "-").then(|| unhex(f[2]));
                fam = Some(MetricFamily { name: f[1].to_string(), help, kind, samples: vec![] });
            }
            "S" => {
                let fam = fam.as_mut().unwrap();
                let ls = unhex(f[1]);
                let mut pairs: Vec<(String, String)> = vec![("__name__".into(), fam.name.clone())];
                for p in ls.split('\x1f').filter(|p| !p.is_empty()) {
                    let (k, v) = p.split_once('=').unwrap();
                    pairs.push((k.into(), v.into()));
                }
                let v = f64::from_bits(u64::from_str_radix(f[2], 16).unwrap());
                let ts = (f[3] != "-").then(|| f[3].parse().unwrap());
                fam.samples.push((Labels::from_pairs(pairs), v, ts));
            }
            _ => {
                let got = encode_text(&[fam.take().unwrap()]);
                let want = unhex(f[1]);
                n += 1;
                if got != want {
                    bad += 1;
                    println!("want {want:?}\ngot  {got:?}");
                }
            }
        }
    }
    println!("{n} families compared, {bad} differ");
    assert_eq!(bad, 0);
}
