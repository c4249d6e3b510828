//! Shared by the differential tests: the series both engines read and a
//! deterministic generator of random PromQL expressions over them.
#![allow(dead_code)]

use argus_model::storage::{Appendable, MemStorage};
use argus_promql::promqltest::parse_series;

pub const INTERVAL_S: i64 = 15;

pub const SERIES: &[&str] = &[
    r#"http_requests_total{job="api", instance="a"} 0+10x20 5+10x19"#,
    r#"http_requests_total{job="api", instance="b"} 1+3x40"#,
    r#"http_requests_total{job="web", instance="a"} 100+7x15 _x5 205+7x18"#,
    r#"gauge{host="h1"} 5 3 8 -2 0 7 1 1 1 4 9 2 6 3 5 8 -4 2 2 2 0 0 1 3 5 7 9 11 -1 -3 2 4 6 8 1 3 5 7 9 2 1"#,
    r#"gauge{host="h2"} 1.5+0.25x40"#,
    r#"gauge{host="h3"} NaN 1 2 Inf -Inf 3 NaN 4 5 stale 6 7 8 9 10 11 12 13 14 15"#,
    r#"req_bucket{le="0.1", job="api"} 0+1x40"#,
    r#"req_bucket{le="0.5", job="api"} 0+3x40"#,
    r#"req_bucket{le="1", job="api"} 0+4x40"#,
    r#"req_bucket{le="+Inf", job="api"} 0+5x40"#,
    r#"req_bucket{le="0.1", job="web"} 0+2x40"#,
    r#"req_bucket{le="1", job="web"} 0+2x40"#,
    r#"req_bucket{le="+Inf", job="web"} 0+3x40"#,
    r#"info{job="api", version="1.0"} 1x40"#,
    r#"info{job="web", version="2.0"} 1x40"#,
    r#"staley{x="1"} 1 2 3 stale _ 5"#,
];

/// A `MemStorage` holding [`SERIES`].
pub fn load_series() -> MemStorage {
    let st = MemStorage::new();
    let mut app = st.appender();
    for s in SERIES {
        let (ls, vals) = parse_series(s).expect("valid series");
        for (i, v) in vals.iter().enumerate() {
            if let Some(v) = v {
                app.append(0, &ls, i as i64 * INTERVAL_S * 1000, *v).expect("append");
            }
        }
    }
    app.commit().expect("commit");
    st
}

/// A small deterministic PRNG (xorshift64*), so the random queries are the
/// same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }

    pub fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

pub fn gen_selector(r: &mut Rng) -> String {
    gen_selector_with(r, "")
}

/// A selector, with `range` (e.g. `[5m]`) placed before any modifiers.
pub fn gen_selector_with(r: &mut Rng, range: &str) -> String {
    let mut s = r
        .pick(&[
            "gauge",
            "http_requests_total",
            "req_bucket",
            "info",
            "gauge{host!=\"h3\"}",
            "http_requests_total{job=\"api\"}",
            "staley",
        ])
        .to_string();
    s += range;
    if r.chance(15) {
        s += r.pick(&[" offset 1m", " offset -30s", " @ 300", " offset 2m @ 450"]);
    }
    s
}

pub fn gen_range(r: &mut Rng, depth: u32) -> String {
    let win = r.pick(&["30s", "1m", "2m", "5m"]);
    if depth > 0 && r.chance(25) {
        let step = r.pick(&["", "15s", "20s", "1m"]);
        let modifier = if r.chance(20) { r.pick(&[" offset 1m", " @ 450", " offset -30s @ 300"]) } else { "" };
        format!("({})[{win}:{step}]{modifier}", gen_vector(r, depth - 1))
    } else {
        gen_selector_with(r, &format!("[{win}]"))
    }
}

pub fn gen_scalar(r: &mut Rng) -> String {
    r.pick(&["2", "0.5", "-1", "0", "3.7", "1e3", "NaN", "Inf"]).to_string()
}

pub fn gen_vector(r: &mut Rng, depth: u32) -> String {
    if depth == 0 {
        return gen_selector(r);
    }
    let d = depth - 1;
    match r.next() % 14 {
        0 => gen_selector(r),
        1 => {
            let f = r.pick(&["abs", "ceil", "floor", "sgn", "sqrt", "ln", "exp", "round", "timestamp", "-"]);
            format!("{f}({})", gen_vector(r, d))
        }
        2 | 3 => {
            let f = r.pick(&[
                "rate",
                "increase",
                "delta",
                "irate",
                "idelta",
                "deriv",
                "changes",
                "resets",
                "avg_over_time",
                "sum_over_time",
                "min_over_time",
                "max_over_time",
                "count_over_time",
                "last_over_time",
                "stddev_over_time",
                "stdvar_over_time",
                "present_over_time",
            ]);
            format!("{f}({})", gen_range(r, d))
        }
        4 => {
            let op = r.pick(&["sum", "avg", "min", "max", "count", "stddev", "stdvar", "group"]);
            let grouping =
                r.pick(&["", " by (job)", " by (host)", " without (instance)", " by (le, job)", " without ()"]);
            format!("{op}{grouping} ({})", gen_vector(r, d))
        }
        5 => {
            let op = r.pick(&["+", "-", "*", "/", "%", "^", ">", "<", "== bool", "!= bool", ">= bool", "atan2"]);
            if r.chance(50) {
                format!("({}) {op} {}", gen_vector(r, d), gen_scalar(r))
            } else {
                format!("{} {op} ({})", gen_scalar(r), gen_vector(r, d))
            }
        }
        6 => {
            let op = r.pick(&["+", "/", "> bool", "and", "or", "unless"]);
            let m = r.pick(&["", " on(job)", " ignoring(instance)", " on()", " on(host)"]);
            format!("({}) {op}{m} ({})", gen_vector(r, d), gen_vector(r, d))
        }
        7 => {
            let q = r.pick(&["0", "0.25", "0.5", "0.9", "1"]);
            match r.next() % 3 {
                0 => format!("quantile({q}, {})", gen_vector(r, d)),
                1 => format!("quantile_over_time({q}, {})", gen_range(r, d)),
                _ => format!("histogram_quantile({q}, {})", gen_vector(r, d)),
            }
        }
        8 => {
            let f = r.pick(&["clamp_min", "clamp_max"]);
            format!("{f}({}, {})", gen_vector(r, d), gen_scalar(r))
        }
        9 => match r.next() % 6 {
            0 => format!("holt_winters({}, 0.5, 0.3)", gen_range(r, d)),
            1 => format!("predict_linear({}, 60)", gen_range(r, d)),
            2 => format!("absent({})", gen_vector(r, d)),
            3 => format!("absent_over_time({})", gen_range(r, d)),
            4 => format!("vector(scalar({}))", gen_vector(r, d)),
            _ => format!("count_values(\"v\", {})", gen_vector(r, d)),
        },
        11 => {
            let op = r.pick(&["topk", "bottomk"]);
            let k = r.pick(&["1", "2", "5"]);
            let by = r.pick(&["", " by (job)", " by (host)", " without (le)"]);
            format!("{op}{by} ({k}, {})", gen_vector(r, d))
        }
        12 => match r.next() % 5 {
            0 => format!("hour({})", gen_vector(r, d)),
            1 => format!("({}) - time()", gen_vector(r, d)),
            2 => format!("({}) or vector(time())", gen_vector(r, d)),
            3 => format!("day_of_week({})", gen_vector(r, d)),
            _ => format!("sort_desc({})", gen_vector(r, d)),
        },
        13 => {
            let op = r.pick(&["*", "-", "> bool", "<"]);
            let m = r.pick(&[
                " on(job) group_left()",
                " ignoring(instance) group_left()",
                " on(job) group_right()",
                " on(le) group_left(job)",
            ]);
            format!("({}) {op}{m} ({})", gen_vector(r, d), gen_vector(r, d))
        }
        _ => {
            let src = r.pick(&["job", "host", "le", "instance", "__name__"]);
            format!("label_replace({}, \"dst\", \"x$1\", \"{src}\", \"(.).*\")", gen_vector(r, d))
        }
    }
}
