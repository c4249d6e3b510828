//! Range-query benchmark (`cargo bench -p argus-promql`).
//!
//! Loads 1,000 counter series (10 jobs x 100 instances, 15s scrape interval,
//! 6h of data) into `MemStorage` and times typical dashboard range queries
//! over the whole 6h at a 15s step (1,441 steps). Prints a table; asserts
//! nothing about timing.

use std::hint::black_box;
use std::time::Instant;

use argus_model::storage::MemStorage;
use argus_model::{Labels, Sample};
use argus_promql::{Engine, EngineOpts};

const HOURS: i64 = 6;
const SCRAPE_MS: i64 = 15_000;

fn main() {
    let st = MemStorage::new();
    let n = HOURS * 3_600_000 / SCRAPE_MS;
    for job in 0..10 {
        for inst in 0..100 {
            let ls = Labels::from_pairs([
                ("__name__", "http_requests_total".to_string()),
                ("job", format!("job{job}")),
                ("instance", format!("host{inst}:9100")),
            ]);
            let samples: Vec<Sample> = (0..=n).map(|k| Sample::new(k * SCRAPE_MS, (k * (inst + 1)) as f64)).collect();
            st.add(ls, &samples);
        }
    }
    let engine = Engine::new(EngineOpts::default());
    let end = HOURS * 3_600_000;
    let queries = [
        "http_requests_total",
        "rate(http_requests_total[5m])",
        "sum by (job) (rate(http_requests_total[5m]))",
        "topk(5, rate(http_requests_total[5m]))",
        "rate(http_requests_total[5m]) / on(job, instance) group_left rate(http_requests_total[5m])",
        "histogram_quantile(0.9, sum by (job, le) (label_replace(rate(http_requests_total[5m]), \"le\", \"+Inf\", \"\", \"\")))",
        "max_over_time(sum by (job) (rate(http_requests_total[5m]))[1h:1m])",
    ];
    println!("{:>10}  query (1000 series, {HOURS}h at 15s step)", "ms");
    for q in queries {
        let t0 = Instant::now();
        let r = engine.range_query(&st, q, 0, end, SCRAPE_MS);
        let dt = t0.elapsed();
        black_box(&r);
        let status = if r.is_ok() { "" } else { "  (error)" };
        println!("{:>10.1}  {q}{status}", dt.as_secs_f64() * 1000.0);
    }
}
