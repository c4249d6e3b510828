#!/usr/bin/env bash
# The one test command (README.md): installs what the tests need on a fresh
# machine, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")"

# Debian's reference tools serve as oracles in differential tests (promtool,
# amtool, pushgateway, node_exporter, the Python client, VictoriaMetrics as a
# remote-write receiver). Install them once
# if missing; a test whose oracle is absent says so and skips its comparison.
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
[ -x /usr/bin/prometheus-pushgateway ] || need+=(prometheus-pushgateway)
[ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)
[ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
/usr/bin/python3 -c "import prometheus_client" >/dev/null 2>&1 || need+=(python3-prometheus-client)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test.sh: installing ${need[*]} (reference tools for differential tests)"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || echo "test.sh: could not install ${need[*]}; differential tests will say so" >&2
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --no-fail-fast
