#!/usr/bin/env bash
# The commands behind BENCHMARKS.md, in order, on a release build in its own target directory.
# Usage: bench/run-all.sh [OUTPUT_FILE]   (default bench/results-<date>.txt)
# Run it on a quiet machine: it prints the load average before each scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench/results-$(date +%Y%m%d-%H%M).txt}"
# Its own target directory beside the debug one, so that a release build never evicts it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/perf}"
# The callback scenario's comparison drivers (as scripts/test.sh installs them).
python3 -c "import wechatpy" 2>/dev/null || python3 -m pip install -q -r bench/requirements.txt
[ -d bench/node_modules/wechat-crypto ] || (cd bench && npm ci --no-audit --no-fund)
cargo build --release --locked -p saoma-bench
bin="$CARGO_TARGET_DIR/release/saoma-bench"
run() {
  { echo; echo "### saoma-bench $*"; echo "### $(uptime)"; } | tee -a "$out"
  "$bin" "$@" 2>&1 | grep -v '^  \[' | tee -a "$out"
}
{ echo "# $(date -u)"; nproc; lscpu | grep 'Model name'; free -g | head -2; } | tee "$out"
run callback --n 32 --duration 10s --messages 20000
run poll --n 64 --duration 16s --scenes 10000
run create --n 200 --pool 201
run full-login --n 64 --duration 15s
run full-login --n 64 --duration 10s --pool 25000 --pool-refill-per-minute 1
run full-login --n 64 --duration 15s --store redis
run full-login --n 64 --duration 10s --store redis --pool 20000 --pool-refill-per-minute 1
run notify --rate 500 --duration 10s
run notify --rate 500 --duration 10s --database postgres
run sse-idle --n 19000
