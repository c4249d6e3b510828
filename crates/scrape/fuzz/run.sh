#!/bin/sh
# Runs the cargo-fuzz targets one after another (the build machine has two
# cores shared with others), each for FUZZ_SECONDS (default 600), and keeps
# the log of each run in $FUZZ_LOG_DIR. Needs a nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz`). Crashes land in artifacts/<target>/.
#
#   crates/scrape/fuzz/run.sh                      # all three targets, 10 min each
#   FUZZ_SECONDS=60 crates/scrape/fuzz/run.sh parse_text
set -eu
cd "$(dirname "$0")"
secs=${FUZZ_SECONDS:-600}
target_dir=${CARGO_TARGET_DIR:-/tmp/argus-fuzz-target}
logs=${FUZZ_LOG_DIR:-/tmp/argus-fuzz-logs}
mkdir -p "$logs"
[ $# -gt 0 ] || set -- parse_text parse_openmetrics append_scrape
for t in "$@"; do
    mkdir -p "corpus/$t"
    echo "== $t: $secs s, log $logs/$t.log"
    # -timeout: an input taking over 10 s counts as a hang; -rss_limit_mb
    # catches runaway allocation. Exit status is non-zero on any finding.
    cargo +nightly fuzz run --target-dir "$target_dir" "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$logs/$t.log" 2>&1 || { echo "!! $t found a problem, see $logs/$t.log"; tail -40 "$logs/$t.log"; exit 1; }
    grep -E '^stat::number_of_executed_units|^Done' "$logs/$t.log" || true
done
