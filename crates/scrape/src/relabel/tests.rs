//! The relabeling table: each case is input labels, the relabel_configs YAML
//! and the expected labels (`None` = dropped), taken from Prometheus'
//! documentation and `model/relabel/relabel_test.go`.

use super::*;

fn parse(yaml: &str) -> Result<Vec<RelabelConfig>, String> {
    let raw: Vec<raw::RelabelConfig> = serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())?;
    raw.iter().map(RelabelConfig::from_raw).collect()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

#[track_caller]
fn check(input: &[(&str, &str)], config: &str, expected: Option<&[(&str, &str)]>) {
    let cfgs = parse(config).unwrap();
    let got = process(&labels(input), &cfgs);
    assert_eq!(got, expected.map(labels), "config:\n{config}");
}

#[track_caller]
fn check_err(config: &str, message: &str) {
    assert_eq!(parse(config).unwrap_err(), message, "config:\n{config}");
}

#[test]
fn replace() {
    let ab = &[("a", "foo"), ("b", "bar")][..];
    // Defaults: regex (.*), replacement $1, separator ';'.
    check(ab, "[{source_labels: [a, b], target_label: c}]", Some(&[("a", "foo"), ("b", "bar"), ("c", "foo;bar")]));
    check(
        ab,
        "[{source_labels: [a], regex: 'f(.*)', target_label: a, replacement: 'x$1'}]",
        Some(&[("a", "xoo"), ("b", "bar")]),
    );
    // No match: nothing changes.
    check(ab, "[{source_labels: [a], regex: 'o', target_label: c, replacement: x}]", Some(ab));
    // Anchored: "f" does not match "foo".
    check(ab, "[{source_labels: [a], regex: 'f', target_label: c, replacement: x}]", Some(ab));
    // An empty result deletes the target label.
    check(ab, "[{source_labels: [x], target_label: b}]", Some(&[("a", "foo")]));
    // Missing source labels join as empty strings.
    check(ab, "[{source_labels: [x, a], target_label: c}]", Some(&[("a", "foo"), ("b", "bar"), ("c", ";foo")]));
    check(
        ab,
        "[{source_labels: [a, b], separator: '', target_label: c}]",
        Some(&[("a", "foo"), ("b", "bar"), ("c", "foobar")]),
    );
    // Target label from a capture; an invalid expanded name leaves the set alone.
    check(
        ab,
        "[{source_labels: [a], regex: '(f).*', target_label: 'x_$1', replacement: v}]",
        Some(&[("a", "foo"), ("b", "bar"), ("x_f", "v")]),
    );
    check(
        &[("a", "foo")],
        "[{source_labels: [a], regex: '(f).*', target_label: '$1', replacement: '$2'}]",
        Some(&[("a", "foo")]),
    );
    check(
        &[("a", "9x")],
        "[{source_labels: [a], regex: '(.*)', target_label: '${1}', replacement: v}]",
        Some(&[("a", "9x")]),
    );
    // Go expansion: $1x is the group named "1x" (empty); ${1}x is group 1 then x; $$ is a dollar.
    check(&[("a", "foo")], "[{source_labels: [a], target_label: b, replacement: '$1x'}]", Some(&[("a", "foo")]));
    check(
        &[("a", "foo")],
        "[{source_labels: [a], target_label: b, replacement: '${1}x'}]",
        Some(&[("a", "foo"), ("b", "foox")]),
    );
    check(
        &[("a", "foo")],
        "[{source_labels: [a], target_label: b, replacement: '$$1'}]",
        Some(&[("a", "foo"), ("b", "$1")]),
    );
    check(
        &[("a", "foo")],
        "[{source_labels: [a], regex: '(?P<n>f)oo', target_label: b, replacement: '$n-${n}'}]",
        Some(&[("a", "foo"), ("b", "f-f")]),
    );
    check(&[("a", "foo")], "[{source_labels: [a], target_label: b, replacement: '$9'}]", Some(&[("a", "foo")]));
    // Static replacement of __address__ and the action's case does not matter.
    check(
        &[("__address__", "a:1")],
        "[{target_label: __address__, replacement: 'b:2', action: REPLACE}]",
        Some(&[("__address__", "b:2")]),
    );
}

#[test]
fn keep_and_drop() {
    let l = &[("a", "foo"), ("b", "bar")][..];
    check(l, "[{source_labels: [a], regex: 'f.*', action: keep}]", Some(l));
    check(l, "[{source_labels: [a], regex: 'f', action: keep}]", None);
    check(l, "[{source_labels: [a], regex: 'f.*', action: drop}]", None);
    check(l, "[{source_labels: [a], regex: 'f', action: drop}]", Some(l));
    check(l, "[{source_labels: [a, b], regex: 'foo;bar', action: keep}]", Some(l));
    // Missing label: empty value; the default regex (.*) matches it.
    check(l, "[{source_labels: [x], action: drop}]", None);
    check(l, "[{source_labels: [x], regex: '.+', action: keep}]", None);
    // Steps run in order; a drop stops the chain.
    check(
        l,
        "[{source_labels: [a], target_label: a, replacement: x}, {source_labels: [a], regex: x, action: drop}]",
        None,
    );
}

#[test]
fn keepequal_and_dropequal() {
    let l = &[("a", "foo"), ("b", "foo"), ("c", "bar")][..];
    check(l, "[{source_labels: [a], target_label: b, action: keepequal}]", Some(l));
    check(l, "[{source_labels: [a], target_label: c, action: keepequal}]", None);
    check(l, "[{source_labels: [a], target_label: b, action: dropequal}]", None);
    check(l, "[{source_labels: [a], target_label: c, action: dropequal}]", Some(l));
    // Both absent: equal empty strings.
    check(l, "[{source_labels: [x], target_label: y, action: keepequal}]", Some(l));
}

#[test]
fn hashmod() {
    // Values from Prometheus' relabel_test.go: shards must agree with Prometheus.
    let l = &[("a", "foo"), ("b", "bar"), ("c", "baz")][..];
    check(
        l,
        "[{source_labels: [c], target_label: d, modulus: 1000, action: hashmod}]",
        Some(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "976")]),
    );
    check(
        &[("a", "foo\nbar")],
        "[{source_labels: [a], target_label: b, modulus: 1000, action: hashmod}]",
        Some(&[("a", "foo\nbar"), ("b", "734")]),
    );
    // The documented sharding pattern.
    check(
        &[("__address__", "x:1")],
        "[{source_labels: [__address__], target_label: __tmp_hash, modulus: 1, action: hashmod}, {source_labels: [__tmp_hash], regex: '0', action: keep}]",
        Some(&[("__address__", "x:1"), ("__tmp_hash", "0")]),
    );
}

#[test]
fn labelmap() {
    check(
        &[("a", "foo"), ("b1", "bar"), ("b2", "baz")],
        "[{regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}]",
        Some(&[("a", "foo"), ("b1", "bar"), ("b2", "baz"), ("bar_b1", "bar"), ("bar_b2", "baz")]),
    );
    check(
        &[("a", "foo"), ("__meta_my_bar", "aaa"), ("__meta_my_baz", "bbb"), ("__meta_other", "ccc")],
        "[{regex: '__meta_(my.*)', replacement: '${1}', action: labelmap}]",
        Some(&[
            ("a", "foo"),
            ("__meta_my_bar", "aaa"),
            ("__meta_my_baz", "bbb"),
            ("__meta_other", "ccc"),
            ("my_bar", "aaa"),
            ("my_baz", "bbb"),
        ]),
    );
    // The default replacement $1 with the default regex copies every label onto itself.
    check(&[("a", "foo")], "[{action: labelmap}]", Some(&[("a", "foo")]));
}

#[test]
fn labeldrop_and_labelkeep() {
    let l = &[("a", "foo"), ("b", "bar"), ("c", "baz")][..];
    check(l, "[{regex: '[ab]', action: labeldrop}]", Some(&[("c", "baz")]));
    check(l, "[{regex: '[ab]', action: labelkeep}]", Some(&[("a", "foo"), ("b", "bar")]));
    check(l, "[{regex: 'a.*', action: labeldrop}]", Some(&[("b", "bar"), ("c", "baz")]));
    // Anchored: "a" does not drop "aa".
    check(&[("aa", "1")], "[{regex: 'a', action: labeldrop}]", Some(&[("aa", "1")]));
    // __tmp_* labels are ordinary labels until the target drops `__` labels.
    check(&[("__tmp_x", "1"), ("a", "2")], "[{regex: '__tmp_.*', action: labeldrop}]", Some(&[("a", "2")]));
    // Dropping everything leaves an empty (kept) set.
    check(l, "[{regex: '.*', action: labeldrop}]", Some(&[]));
}

#[test]
fn lowercase_and_uppercase() {
    let l = &[("foo", "bAr123Foo"), ("bar", "baz")][..];
    check(
        l,
        "[{source_labels: [foo], target_label: foo_lower, action: lowercase}]",
        Some(&[("bar", "baz"), ("foo", "bAr123Foo"), ("foo_lower", "bar123foo")]),
    );
    check(
        l,
        "[{source_labels: [foo, bar], target_label: u, action: uppercase}]",
        Some(&[("bar", "baz"), ("foo", "bAr123Foo"), ("u", "BAR123FOO;BAZ")]),
    );
    // An empty result deletes the target.
    check(l, "[{source_labels: [x], target_label: bar, action: lowercase}]", Some(&[("foo", "bAr123Foo")]));
    // Go's simple case mapping: ß stays, İ lowers to i, a final Σ lowers to σ.
    check(
        &[("a", "straße ﬁx")],
        "[{source_labels: [a], target_label: a, action: uppercase}]",
        Some(&[("a", "STRAßE ﬁX")]),
    );
    check(
        &[("a", "İSTANBUL ΟΔΟΣ")],
        "[{source_labels: [a], target_label: a, action: lowercase}]",
        Some(&[("a", "istanbul οδοσ")]),
    );
}

#[test]
fn validation_messages() {
    check_err("[{action: ''}]", "unknown relabel action \"\"");
    check_err("[{action: foo}]", "unknown relabel action \"foo\"");
    check_err("[{action: hashmod, target_label: a}]", "relabel configuration for hashmod requires non-zero modulus");
    check_err("[{source_labels: [a]}]", "relabel configuration for replace action requires 'target_label' value");
    check_err(
        "[{action: keepequal, source_labels: [a]}]",
        "relabel configuration for keepequal action requires 'target_label' value",
    );
    check_err("[{target_label: '1a'}]", "\"1a\" is invalid 'target_label' for replace action");
    check_err("[{target_label: 'a-b', action: lowercase}]", "\"a-b\" is invalid 'target_label' for lowercase action");
    check_err(
        "[{target_label: 'a', action: lowercase, replacement: x}]",
        "'replacement' can not be set for lowercase action",
    );
    check_err("[{action: labelmap, replacement: 'a-$1'}]", "\"a-$1\" is invalid 'replacement' for labelmap action");
    check_err(
        "[{action: hashmod, modulus: 2, target_label: '$1'}]",
        "\"$1\" is invalid 'target_label' for hashmod action",
    );
    check_err(
        "[{action: dropequal, source_labels: [a], target_label: b, regex: '(.*)'}]",
        "dropequal action requires only 'source_labels' and `target_label`, and no other fields",
    );
    check_err(
        "[{action: labelkeep, regex: a, source_labels: []}]",
        "labelkeep action requires only 'regex', and no other fields",
    );
    check_err("[{action: labeldrop, target_label: x}]", "labeldrop action requires only 'regex', and no other fields");
    check_err("[{regex: '(a'}]", "error parsing regexp: missing closing ): `^(?:(a)$`");
    check_err("[{regex: 'a)'}]", "error parsing regexp: unexpected ): `^(?:a))$`");
    check_err("[{regex: '[a'}]", "error parsing regexp: missing closing ]: `[a)$`");
    check_err("[{regex: '*'}]", "error parsing regexp: missing argument to repetition operator: `*`");
    // `$1`-style target labels are fine for replace.
    assert!(parse("[{target_label: 'x_${1}'}]").is_ok());
}
