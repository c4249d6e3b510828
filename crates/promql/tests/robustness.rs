//! Untrusted query text must never panic: mutated queries (bytes dropped,
//! duplicated, swapped, replaced with PromQL punctuation or multi-byte
//! characters) are parsed and evaluated; any outcome but a panic is fine.

use argus_model::storage::MemStorage;
use argus_model::{Labels, Sample};
use argus_promql::{Engine, EngineOpts};

const SEEDS: &[&str] = &[
    r#"sum by (job) (rate(http_requests_total{job=~"a.*"}[5m] offset 1m))"#,
    r#"histogram_quantile(0.9, sum by (le) (rate(req_bucket[1m:15s] @ 100)))"#,
    r#"label_replace(up, "dst", "$1", "src", "(.*)") / on(job) group_left(x) info"#,
    r#"topk(2, -m) or absent(nope{a="1"}) unless holt_winters(m[5m], 0.5, 0.5)"#,
    r#"count_values("v", m) > bool 1 and time() - timestamp(m) < 300"#,
];

const PIECES: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "`",
    ",",
    ":",
    "@",
    "offset",
    " by ",
    "without",
    "on(",
    "group_left",
    "bool",
    "==",
    "=~",
    "!~",
    "5m",
    "1e9y",
    "-",
    "+",
    "^",
    "%",
    "é",
    "日本",
    "\\",
    "#",
    "\n",
    "0x",
    "NaN",
    "Inf",
    "start()",
    "end()",
    "holt_winters(",
    "[5m:]",
    "[1m:1s]",
    "1.5e308",
];

#[test]
fn mutated_queries_do_not_panic() {
    let st = MemStorage::new();
    for i in 0..5 {
        let ls = Labels::from_pairs([("__name__", "m".to_string()), ("job", format!("j{i}"))]);
        st.add(ls, &(0..20).map(|k| Sample::new(k * 15_000, k as f64)).collect::<Vec<_>>());
    }
    let engine = Engine::new(EngineOpts { max_samples: 100_000, ..EngineOpts::default() });
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..3000 {
        let seed = SEEDS[(next() % SEEDS.len() as u64) as usize];
        let mut chars: Vec<String> = seed.chars().map(String::from).collect();
        for _ in 0..(1 + next() % 4) {
            let pos = (next() % (chars.len() as u64 + 1)) as usize;
            match next() % 4 {
                0 if pos < chars.len() => {
                    chars.remove(pos);
                }
                1 => chars.insert(pos, PIECES[(next() % PIECES.len() as u64) as usize].to_string()),
                2 if pos + 1 < chars.len() => chars.swap(pos, pos + 1),
                _ if pos < chars.len() => chars[pos] = PIECES[(next() % PIECES.len() as u64) as usize].to_string(),
                _ => {}
            }
        }
        let q: String = chars.concat();
        let _ = argus_promql::validate(&q);
        let _ = engine.instant_query(&st, &q, 200_000);
        let _ = engine.range_query(&st, &q, 0, 300_000, 30_000);
    }
}
