//! The whole scrape append path (parse, label merging, metric relabeling,
//! limits, staleness) over two consecutive scrapes must never panic. The
//! first byte picks the format and how the input splits into two bodies.
#![no_main]

use argus_model::Labels;
use argus_model::exposition::Format;
use argus_model::storage::MemStorage;
use argus_scrape::append::{AppendOptions, SeriesCache, append_end_of_run, append_scrape};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else { return };
    let format = if ctl & 1 == 0 { Format::PromText } else { Format::OpenMetrics };
    let split = (usize::from(ctl >> 1) * rest.len()) / 128;
    let (a, b) = rest.split_at(split.min(rest.len()));
    let st = MemStorage::new();
    let mut cache = SeriesCache::new();
    let opts = AppendOptions {
        target_labels: Labels::from_pairs([("instance", "i:1"), ("job", "fuzz")]),
        honor_labels: ctl & 2 != 0,
        honor_timestamps: ctl & 4 != 0,
        sample_limit: 1000,
        ..AppendOptions::default()
    };
    append_scrape(&st, &mut cache, &opts, Ok((a, format)), 1_000, 0.1);
    append_scrape(&st, &mut cache, &opts, Ok((b, format)), 2_000, 0.1);
    append_end_of_run(&st, &mut cache, &opts.target_labels, 3_000);
});
