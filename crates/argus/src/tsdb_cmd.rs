//! `argus tsdb ...`: backfill, list and analyze, with promtool's arguments.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use argus_block::Block;

use crate::cli::{CreateBlocksFrom, OpenMetricsArgs, TsdbAnalyzeArgs, TsdbCommand, TsdbListArgs};
use crate::config::parse_duration;
use crate::logging::rfc3339_millis;

pub(crate) fn run(cmd: TsdbCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TsdbCommand::CreateBlocksFrom(CreateBlocksFrom::Openmetrics(a)) => backfill(a),
        TsdbCommand::List(a) => list(a),
        TsdbCommand::Analyze(a) => analyze(a),
    }
}

fn backfill(a: OpenMetricsArgs) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(&a.input).with_context(|| format!("cannot open input {}", a.input.display()))?;
    // SAFETY: the input is mapped read-only; like promtool we assume nobody
    // truncates it while we read (that would be a SIGBUS, not corrupt data).
    let input =
        unsafe { memmap2::Mmap::map(&file) }.with_context(|| format!("cannot map input {}", a.input.display()))?;
    let opts = argus_tsdb::backfill::BackfillOptions {
        max_block_duration: parse_duration(&a.max_block_duration).context("invalid --max-block-duration")?,
    };
    if opts.max_block_duration <= 0 {
        bail!("--max-block-duration must be greater than 0");
    }
    let bar = if a.quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new_spinner() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let start = std::time::Instant::now();
    let mut progress = |n: u64| {
        let rate = n as f64 / start.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{n} samples read ({rate:.0}/s)"));
    };
    let result = argus_tsdb::backfill::create_blocks_from_openmetrics(&input, &a.output, &opts, &mut progress);
    bar.finish_and_clear();
    let report = result.context("block creation")?;
    for b in &report.blocks {
        println!(
            "BLOCK ULID {}  MIN TIME {}  MAX TIME {}  SAMPLES {}  SERIES {}",
            b.ulid, b.min_time, b.max_time, b.stats.num_samples, b.stats.num_series
        );
    }
    eprintln!(
        "imported {} samples of {} series into {} block(s) in {:.1}s",
        report.samples,
        report.series,
        report.blocks.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn open_blocks(dir: &std::path::Path) -> anyhow::Result<Vec<Arc<Block>>> {
    let mut out = Vec::new();
    for p in argus_block::list_blocks(dir).with_context(|| format!("cannot list blocks in {}", dir.display()))? {
        match Block::open(&p) {
            Ok(b) => out.push(Arc::new(b)),
            Err(e) => eprintln!("skipping corrupt block {}: {e}", p.display()),
        }
    }
    out.sort_by_key(|b| b.meta().min_time);
    Ok(out)
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1}{}", UNITS[u])
}

fn list(a: TsdbListArgs) -> anyhow::Result<ExitCode> {
    let blocks = open_blocks(&a.dir)?;
    println!(
        "BLOCK ULID                  MIN TIME                  MAX TIME                  DURATION      NUM SAMPLES  NUM SERIES  SIZE"
    );
    for b in blocks {
        let m = b.meta();
        let size = if a.human { human_bytes(b.size_bytes()) } else { b.size_bytes().to_string() };
        let dur = std::time::Duration::from_millis((m.max_time - m.min_time + 1).max(0) as u64);
        println!(
            "{}  {}  {}  {:<12}  {:<11}  {:<10}  {}",
            m.ulid,
            rfc3339_millis(m.min_time),
            rfc3339_millis(m.max_time),
            format!("{dur:?}"),
            m.stats.num_samples,
            m.stats.num_series,
            size
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn analyze(a: TsdbAnalyzeArgs) -> anyhow::Result<ExitCode> {
    let blocks = open_blocks(&a.dir)?;
    let block = match &a.block_id {
        Some(id) => {
            blocks.iter().find(|b| b.meta().ulid.to_string() == *id).with_context(|| format!("block {id} not found"))?
        }
        None => blocks.last().context("no blocks found")?,
    };
    let m = block.meta();
    println!("Block ID: {}", m.ulid);
    println!("Duration: {:?}", std::time::Duration::from_millis((m.max_time - m.min_time + 1).max(0) as u64));
    println!("Series: {}", m.stats.num_series);
    println!("Samples: {}", m.stats.num_samples);
    println!(
        "Size: {} (index {}, chunks {})",
        human_bytes(block.size_bytes()),
        human_bytes(block.index_bytes()),
        human_bytes(block.chunks_bytes())
    );
    if m.stats.num_samples > 0 {
        println!("Bytes per sample: {:.3}", block.size_bytes() as f64 / m.stats.num_samples as f64);
    }
    let mut label_values: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
    let mut pair_series: HashMap<(String, String), u64> = HashMap::new();
    let mut names: HashMap<String, u64> = HashMap::new();
    let mut churn_series = 0u64;
    for item in block.series_iter() {
        let (_, labels, runs) = item.with_context(|| format!("cannot read block {}", m.ulid))?;
        if let Some(n) = labels.metric_name() {
            *names.entry(n.to_string()).or_default() += 1;
        }
        // A series that starts after or ends before the block's range is churn.
        let (smin, smax) = (runs.first().map(|r| r.min_time), runs.last().map(|r| r.max_time));
        if smin.is_some_and(|t| t > m.min_time + 60_000) || smax.is_some_and(|t| t < m.max_time - 60_000) {
            churn_series += 1;
        }
        for l in labels.iter() {
            label_values.entry(l.name.to_string()).or_default().insert(l.value.to_string());
            *pair_series.entry((l.name.to_string(), l.value.to_string())).or_default() += 1;
        }
    }
    println!("Series that start or end inside the block (churn): {churn_series}");
    let top = |title: &str, mut v: Vec<(String, u64)>| {
        v.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        println!("\n{title}:");
        for (k, n) in v.into_iter().take(a.limit) {
            println!("{n} {k}");
        }
    };
    top("Highest cardinality labels", label_values.iter().map(|(k, v)| (k.clone(), v.len() as u64)).collect());
    top("Highest cardinality metric names", names.into_iter().collect());
    top("Most common label pairs", pair_series.into_iter().map(|((n, v), c)| (format!("{n}={v}"), c)).collect());
    Ok(ExitCode::SUCCESS)
}
