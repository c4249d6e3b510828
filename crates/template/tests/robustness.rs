//! Templates are user input: random token soup must parse or fail with an
//! error, and whatever parses must execute or fail with an error, never
//! panic or overflow the stack.

use std::collections::BTreeMap;

use argus_template::prometheus::Expander;

/// Iterations; raise locally to search harder.
const ITER: usize = 6_000;

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    "-}}",
    " ",
    "\n",
    "$",
    "$x",
    "$labels",
    "$value",
    ":=",
    "=",
    "|",
    "(",
    ")",
    ".",
    ".Labels",
    ".job",
    ".Value",
    "\"s\"",
    "`r`",
    "'c'",
    "1",
    "-1",
    "1.5",
    "1e3",
    "0x1F",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "nil",
    "true",
    "printf",
    "\"%v %d %s %.2f %5.1f %-3s %q %x %[2]d %*d\"",
    "print",
    "len",
    "index",
    "slice",
    "eq",
    "lt",
    "gt",
    "and",
    "or",
    "not",
    "html",
    "js",
    "urlquery",
    "humanize",
    "humanizeDuration",
    "humanizeTimestamp",
    "title",
    "reReplaceAll",
    "\"(\"",
    "match",
    "args",
    "first",
    "query",
    "label",
    "value",
    "sortByLabel",
    "toTime",
    "parseDuration",
    "stripPort",
    "/*",
    "*/",
    ",",
    "\"x\"",
    "text ",
    "é",
    "\u{0}",
];

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_templates_never_panic() {
    let ex = Expander {
        labels: BTreeMap::from([("job".to_string(), "api".to_string())]),
        external_labels: BTreeMap::new(),
        external_url: "http://x/".into(),
        value: 1.5,
        timestamp_ms: 0,
        query: None,
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let mut parsed = 0;
            for _ in 0..ITER {
                let n = 1 + (rng.next() % 24) as usize;
                let mut text = String::new();
                for _ in 0..n {
                    text.push_str(PIECES[(rng.next() % PIECES.len() as u64) as usize]);
                }
                if Expander::check("t", &text).is_ok() {
                    parsed += 1;
                }
                let _ = ex.expand("t", &text);
            }
            parsed
        })
        .unwrap();
    let parsed = handle.join().expect("a template panicked");
    // The soup must exercise execution, not only parse errors.
    eprintln!("{parsed} of {ITER} random templates parsed");
    assert!(parsed > 300, "only {parsed} random templates parsed");
}
