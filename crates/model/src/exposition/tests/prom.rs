//! The text format 0.0.4: accepted bodies and error messages.

use super::*;

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

/// Entries and errors through the fast path for plain lines (a UTF-8 body)
/// match the general lexer's (the same body after a non-UTF-8 comment line,
/// which turns the fast path off).
#[test]
fn prom_fast_path_matches_general_lexer() {
    fn raw(input: &[u8], line_offset: usize) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for e in Parser::new(input, P) {
            match e {
                Ok(Entry::Series(s)) => out.push(format!(
                    "{}|{}|{}|{:x}|{:?}",
                    s.series,
                    s.name,
                    s.raw_labels,
                    s.value.to_bits(),
                    s.timestamp_ms
                )),
                Ok(Entry::Comment(_)) if line_offset == 1 && out.is_empty() => {}
                Ok(e) => out.push(render(&e)),
                Err(e) => {
                    let shown = e.to_string();
                    let reason = shown.split_once(": ").map_or(shown.clone(), |(_, r)| r.to_string());
                    return Err(format!("line {}: {reason}", e.line() - line_offset));
                }
            }
        }
        Ok(out)
    }
    let lines: &[&str] = &[
        "a 1",
        "a 1\n",
        "a{b=\"c\"} 1.5 123\n",
        "a{b=\"c\",} -2\n",
        "a{b=\"c\",d=\"\u{e9}\"} 1e3\n",
        "a{} 0.000001\n",
        "a{b=\"c\"d=\"e\"} 1\n",
        "a {b=\"c\"} 1\n",
        "a{b=\"c\"}1\n",
        "a  1\n",
        "a 1 \n",
        "a 1\t\n",
        "a 1 2 3\n",
        "a 1 -2\n",
        "a 1 99999999999999999999\n",
        "a 1x\n",
        "a 123456789012345 1\n",
        "a 1234567890123456 1\n",
        "a 0.1234567890123456789\n",
        "a 9007199254740993\n",
        "a -0\n",
        "a +5.\n",
        "a .\n",
        "a -\n",
        "a{b=\"c\\\"\"} 1\n",
        "a{b=\"c\nd\"} 1\n",
        "a{,} 1\n",
        "a{b} 1\n",
        "a{b=c} 1\n",
        "a{b=\"c\"\n",
        "a{b=\"c\"",
        "a{b=\"c\"} 1 5",
        "a-b 1\n",
        "a\n",
        "a{b=\"x\0y\"} 1\n",
        "a 1\0\n",
        "a:b 1 1\nb 2\n\nc{x=\"1\"} 3\n",
        "a{b=\"c\"} NaN\nb Inf\n",
    ];
    for l in lines {
        let fast = raw(l.as_bytes(), 0);
        let mut slow_input = b"# \xff\n".to_vec();
        slow_input.extend_from_slice(l.as_bytes());
        assert_eq!(fast, raw(&slow_input, 1), "{l:?}");
    }
}
