#!/usr/bin/env bash
# Installs what the tests need when it is missing, then runs every test.
# Usage: scripts/test.sh            (from anywhere inside the repository)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# Native tools the build and the tests use (kept short: the Rust toolchain is the machine's).
command -v cc >/dev/null || need_apt+=(gcc)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
# The Redis store's tests start their own servers and a three-master cluster.
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v redis-cli >/dev/null || need_apt+=(redis-tools)
# The account store's contract suite also runs on PostgreSQL: the tests start their own
# throwaway cluster with initdb/pg_ctl, so only the binaries are needed, never a running service.
ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
  || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"; fi
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> cargo test"
# The workspace: Saoma, crates/saoma-http (whose tests include the differential test against
# hyper), crates/saoma-sandbox (the fake WeChat, its known-answer vectors) and crates/saoma-bench.
# The fuzz target (crates/saoma-http/fuzz) needs nightly: see docs/operations.md (Fuzzing).
cargo test --workspace --all-targets --locked --no-fail-fast

# ---- Fuzzing (issue 8): schemathesis from PyPI against the live server; fails on any finding --
echo "==> fuzz"
scripts/fuzz.sh

# ---- Clients (issue 3): the mini-program page (miniprogram-simulate), the demo page in Chromium
# Needs Node 20.19+ (the machine's), Debian's chromium and fonts-noto-cjk (installed here when
# missing), and e2e/'s npm packages (playwright-core drives the system Chromium; no browser
# download). The tests start their own Saoma from the binary `cargo build` makes.
echo "==> clients: system packages"
need_apt=()
# jsdom (the mini-program page's document) needs Node 20.19 or newer.
node_ok=$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 20 || (a === 20 && b >= 19)' 2>/dev/null || echo false)
[ "$node_ok" = true ] || { echo "Node 20.19 or newer is required for the client tests" >&2; exit 1; }
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
# e2e/apache.test.js runs docs/oidc.md's mod_auth_openidc settings against Saoma (issue 17).
dpkg -s apache2 >/dev/null 2>&1 || need_apt+=(apache2)
dpkg -s libapache2-mod-auth-openidc >/dev/null 2>&1 || need_apt+=(libapache2-mod-auth-openidc)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing ${need_apt[*]}"
  sudo_=(); [ "$(id -u)" = 0 ] || sudo_=(sudo)
  "${sudo_[@]}" apt-get update -qq
  "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

echo "==> clients: npm packages"
if [ ! -d e2e/node_modules/playwright-core ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  (cd e2e && npm ci --no-audit --no-fund)
fi

# ---- The OpenAPI document (issue 16): Redocly's `recommended` ruleset with redocly.yaml (its
# exceptions say why); any error fails the run. The TypeScript client generated from the same
# document (openapi-typescript + openapi-fetch, `tsc --strict`, and a file of deliberate type
# errors that must fail) runs in the node --test block below (e2e/ts-client.test.js).
echo "==> clients: redocly lint openapi/openapi.json"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  e2e/node_modules/.bin/redocly lint --config redocly.yaml --format stylish openapi/openapi.json

echo "==> clients: cargo build"
cargo build --locked
SAOMA_BIN="$(realpath -m "${CARGO_TARGET_DIR:-target}")/debug/saoma"
export SAOMA_BIN

echo "==> clients: node --test (mini-program page, demo page, an OpenID client and Apache mod_auth_openidc in Chromium, the TypeScript client)"
(cd e2e && node --test --test-concurrency=1 --test-reporter=tap)
echo "==> screenshots in target/screenshots/"
# ---- end of the clients block ------------------------------------------------------------------

# ---- Benchmarks (issue 9): every saoma-bench scenario once at a tiny size, so they cannot rot --
# The figures of a smoke run mean nothing (debug build, seconds); BENCHMARKS.md has the real
# commands. Needs redis-server (above), python3 with wechatpy and node with wechat-crypto +
# xml2js for the callback comparison: installed here, never skipped.
echo "==> bench: drivers (wechatpy from PyPI, wechat-crypto + xml2js from npm)"
python3 -c "import wechatpy" 2>/dev/null || python3 -m pip install -q -r bench/requirements.txt
if [ ! -d bench/node_modules/wechat-crypto ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  (cd bench && npm ci --no-audit --no-fund)
fi
echo "==> bench: saoma-bench smoke"
cargo build --locked -p saoma-bench
"$(realpath -m "${CARGO_TARGET_DIR:-target}")/debug/saoma-bench" smoke --drivers bench
# ---- end of the benchmarks block ---------------------------------------------------------------

# ---- Deployment (issue 26): the shipped artifacts built and run ---------------------------------
# The `dist` binary (static, fat LTO), the image built with podman, the systemd unit
# (systemd-analyze), the Kubernetes manifests (kubernetes-validate), and the compose stack with a
# login in Chromium through Caddy across a restart of each instance (docs/deploy.md).
echo "==> deploy"
# A quick build of the dist profile (see scripts/deploy-test.sh): the full one is ~8 min cold.
DEPLOY_BUILD=quick scripts/deploy-test.sh
# ---- end of the deployment block ---------------------------------------------------------------
