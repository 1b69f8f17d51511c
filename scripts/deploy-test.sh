#!/usr/bin/env bash
# Issue 26: the shipped artifacts, built and run here. In order:
#  1. the `dist` binary (static, fat LTO, stripped) and its size;
#  2. the OCI image (deploy/Containerfile) built with podman: size, no shell, non-root user,
#     /data volume, OCI labels, its HEALTHCHECK passing;
#  3. deploy/saoma.service: `systemd-analyze verify` silent, `security --offline` <= 2.0;
#  4. deploy/kubernetes/: kubernetes-validate (strict) against Kubernetes 1.30 and 1.35, and
#     terminationGracePeriodSeconds longer than the preStop sleep plus Saoma's drain;
#  5. deploy/compose.yaml with podman-compose: two Saoma, Redis, PostgreSQL, Caddy; a login in
#     Chromium through Caddy across a restart of each instance (deploy/test/login.js); `down`
#     leaves no container, volume, network or pod behind.
# Installs what is missing (apt: podman, runc, mmdebstrap, openssl; pip, into
# target/deploy-test/venv: podman-compose, kubernetes-validate). Caches only inside the
# repository (target/). Usage: scripts/deploy-test.sh (scripts/test.sh runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK="$ROOT/target/deploy-test"
mkdir -p "$WORK"

sudo_=(); [ "$(id -u)" = 0 ] || sudo_=(sudo)
need_apt=()
for tool in podman:podman runc:runc mmdebstrap:mmdebstrap openssl:openssl systemd-analyze:systemd; do
  command -v "${tool%%:*}" >/dev/null || need_apt+=("${tool#*:}")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> deploy: installing ${need_apt[*]}"
  "${sudo_[@]}" apt-get update -qq
  "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
VENV="$WORK/venv"
if [ ! -x "$VENV/bin/podman-compose" ] || [ ! -x "$VENV/bin/kubernetes-validate" ]; then
  echo "==> deploy: pip install podman-compose kubernetes-validate (into $VENV)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q podman-compose==1.6.0 kubernetes-validate==1.37.0
fi

# deploy/test/login.js drives Chromium with e2e/'s playwright-core (scripts/test.sh's clients block).
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || {
  "${sudo_[@]}" apt-get update -qq
  "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
if [ ! -d e2e/node_modules/playwright-core ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  (cd e2e && npm ci --no-audit --no-fund)
fi

# crun and the default rlimits are refused in this sandbox; runc and no default ulimits work.
export CONTAINERS_CONF="$WORK/containers.conf"
printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > "$CONTAINERS_CONF"
podman=(podman --runtime runc)

# ---- 1. the binary --------------------------------------------------------------------------
echo "==> deploy: cargo build --profile dist (static, fat LTO, stripped)"
TRIPLE=x86_64-unknown-linux-gnu
# DEPLOY_BUILD=quick (what scripts/test.sh sets): the same profile, static and stripped, without
# optimisation or LTO. The fat-LTO build takes ~8 min on a cold 2-core machine, which would take
# CI past its 30 minutes; everything below checks behaviour, not speed, and the size budget is a
# ratio of image to binary. The shipped sizes are BENCHMARKS.md's, from `scripts/deploy-test.sh`.
if [ "${DEPLOY_BUILD:-}" = quick ]; then
  echo "    (DEPLOY_BUILD=quick: opt-level 0, no LTO)"
  export CARGO_PROFILE_DIST_OPT_LEVEL=0 CARGO_PROFILE_DIST_LTO=off CARGO_PROFILE_DIST_CODEGEN_UNITS=256
fi
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --locked --profile dist --target "$TRIPLE" -p saoma
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$TRIPLE/dist/saoma"
if readelf -l "$BIN" | grep -q INTERP; then echo "$BIN is not statically linked" >&2; exit 1; fi
bin_bytes=$(stat -c %s "$BIN")
echo "    $BIN: $bin_bytes bytes; $("$BIN" --version)"

# ---- 2. the image -----------------------------------------------------------------------------
echo "==> deploy: podman build deploy/Containerfile"
IMAGE=localhost/saoma:deploy-test
# The Containerfile copies target/<triple>/dist/saoma: stage it there when CARGO_TARGET_DIR
# points elsewhere.
if [ "$BIN" != "$ROOT/target/$TRIPLE/dist/saoma" ]; then
  mkdir -p "$ROOT/target/$TRIPLE/dist" && cp "$BIN" "$ROOT/target/$TRIPLE/dist/saoma"
fi
"${podman[@]}" build --quiet --format docker -f deploy/Containerfile \
  --build-arg REVISION="$(git rev-parse HEAD)" -t "$IMAGE" . >/dev/null
image_bytes=$("${podman[@]}" image inspect "$IMAGE" --format '{{.Size}}')
ratio=$(python3 -c "print(f'{$image_bytes / $bin_bytes:.4f}')")
echo "    $IMAGE: $image_bytes bytes, ${ratio}x the binary (budget 1.5x)"
python3 -c "import sys; sys.exit(0 if $image_bytes <= 1.5 * $bin_bytes else 1)" \
  || { echo "the image is over 1.5x the binary" >&2; exit 1; }
inspect() { "${podman[@]}" image inspect "$IMAGE" --format "$1"; }
[ "$(inspect '{{.Config.User}}')" = "65532:65532" ] || { echo "the image does not run as 65532" >&2; exit 1; }
inspect '{{json .Config.Volumes}}' | grep -q '"/data"' || { echo "no /data volume" >&2; exit 1; }
inspect '{{json .Config.Healthcheck}}' | grep -q 'healthcheck' || { echo "no HEALTHCHECK" >&2; exit 1; }
for label in title description version revision created licenses; do
  [ -n "$(inspect "{{index .Config.Labels \"org.opencontainers.image.$label\"}}")" ] \
    || { echo "no org.opencontainers.image.$label label" >&2; exit 1; }
done
# Nothing in it but the binary and /data: no shell, no package manager.
mount=$("${podman[@]}" image mount "$IMAGE")
listing=$(cd "$mount" && find . -mindepth 1 | sort | tr '\n' ' ')
"${podman[@]}" image unmount "$IMAGE" >/dev/null
[ "$listing" = "./data ./data/.keep ./saoma " ] || { echo "unexpected files in the image: $listing" >&2; exit 1; }
# Runs read-only as its user, answers its own HEALTHCHECK, stops on SIGTERM at once.
# (Without systemd, podman logs that it cannot schedule health checks: they are run by hand.)
cid=$("${podman[@]}" run -d --read-only -p 127.0.0.1::8080 "$IMAGE" 2>/dev/null)
trap '"${podman[@]}" rm -f -v -t 0 "$cid" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 100); do
  "${podman[@]}" healthcheck run "$cid" >/dev/null 2>&1 && break
  sleep 0.2
done
"${podman[@]}" healthcheck run "$cid" >/dev/null || { "${podman[@]}" logs "$cid"; echo "HEALTHCHECK failed" >&2; exit 1; }
start=$(date +%s.%N)
"${podman[@]}" stop -t 20 "$cid" >/dev/null 2>&1
stopped=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
[ "$("${podman[@]}" inspect "$cid" --format '{{.State.ExitCode}}')" = 0 ] \
  || { "${podman[@]}" logs "$cid"; echo "it did not exit cleanly on SIGTERM" >&2; exit 1; }
echo "    healthy, read-only; stopped cleanly by SIGTERM in ${stopped}s"
"${podman[@]}" rm -v "$cid" >/dev/null 2>&1
trap - EXIT

# ---- 3. systemd --------------------------------------------------------------------------------
echo "==> deploy: systemd-analyze verify and security --offline deploy/saoma.service"
SYSROOT="$WORK/sysroot"
rm -rf "$SYSROOT" && mkdir -p "$SYSROOT/usr/local/bin" "$SYSROOT/etc/systemd/system" "$SYSROOT/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$SYSROOT/usr/lib/systemd/"
install -m 0755 "$BIN" "$SYSROOT/usr/local/bin/saoma"
install -m 0644 deploy/saoma.service "$SYSROOT/etc/systemd/system/saoma.service"
# verify warns (unknown keys, bad values) without failing: any output is a failure here.
said=$(systemd-analyze verify --man=no --root="$SYSROOT" saoma.service 2>&1) \
  || { echo "$said" >&2; exit 1; }
[ -z "$said" ] || { echo "$said" >&2; exit 1; }
exposure=$(systemd-analyze security --offline=yes --root="$SYSROOT" --threshold=20 saoma.service 2>&1 | tail -1) \
  || { echo "$exposure" >&2; exit 1; }
echo "    $exposure (at most 2.0)"

# ---- 4. Kubernetes ----------------------------------------------------------------------------
echo "==> deploy: kubernetes-validate deploy/kubernetes/ (1.30, 1.35)"
manifests=(deploy/kubernetes/{configmap,deployment,service,poddisruptionbudget}.yaml)
for version in 1.30 1.35; do
  "$VENV/bin/kubernetes-validate" --strict -k "$version" "${manifests[@]}"
done
"$VENV/bin/python" - <<'EOF'
import yaml
d = yaml.safe_load(open("deploy/kubernetes/deployment.yaml"))
c = yaml.safe_load(open("deploy/kubernetes/configmap.yaml"))["data"]
pod = d["spec"]["template"]["spec"]
sleep = pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
grace = int(c["SAOMA_SHUTDOWN_GRACE_SECONDS"])
period = pod["terminationGracePeriodSeconds"]
assert period > sleep + grace, f"terminationGracePeriodSeconds {period} <= preStop {sleep} + drain {grace}"
print(f"    terminationGracePeriodSeconds {period} > preStop sleep {sleep} + shutdown_grace_seconds {grace}")
EOF

# ---- 5. the compose stack ---------------------------------------------------------------------
echo "==> deploy: images for PostgreSQL, Redis and Caddy (mmdebstrap)"
tag=$(deploy/test/images.sh)
PROJECT=saoma-deploy-test
SECRETS="$WORK/secrets"
rm -rf "$SECRETS" && mkdir -p "$SECRETS"
password=$(openssl rand -hex 16)
printf '%s' "$password" > "$SECRETS/postgres_password"
cat > "$SECRETS/saoma.toml" <<EOF
database_url = "postgres://saoma:$password@postgres:5432/saoma"
[mini_program]
app_id = "wxdeploytest00001"
app_secret = "$(openssl rand -hex 16)"
EOF
openssl genpkey -algorithm ed25519 -out "$SECRETS/signing_key.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$SECRETS/oidc_rsa_key.pem" 2>/dev/null
# Saoma's secrets belong to its user; PostgreSQL's entrypoint reads its own as root.
chmod 0400 "$SECRETS"/*
chown 65532:65532 "$SECRETS/saoma.toml" "$SECRETS/signing_key.pem" "$SECRETS/oidc_rsa_key.pem"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
export SAOMA_IMAGE="$IMAGE" SAOMA_SECRETS="$SECRETS" COMPOSE_PROJECT="$PROJECT" \
  POSTGRES_IMAGE="localhost/saoma-test-postgres:$tag" REDIS_IMAGE="localhost/saoma-test-redis:$tag" \
  CADDY_IMAGE="localhost/saoma-test-caddy:$tag" SAOMA_SITE="http://" \
  SAOMA_HTTP_PORT="127.0.0.1:$port" SAOMA_HTTPS_PORT="127.0.0.1:$(free_port)" \
  SAOMA_PUBLIC_URL="http://127.0.0.1:$port/"
compose=("$VENV/bin/podman-compose" --podman-args="--runtime runc" --in-pod=false -p "$PROJECT"
  -f deploy/compose.yaml -f deploy/test/compose.test.yaml)
leftovers() {
  local label="io.podman.compose.project=$PROJECT"
  { "${podman[@]}" ps -a -q --filter "label=$label"
    "${podman[@]}" volume ls -q --filter "label=$label"
    "${podman[@]}" network ls -q --filter "label=$label"
    "${podman[@]}" pod ls -q --filter "label=$label"; } | sort -u
}
down() { "${compose[@]}" down -v -t 15 >"$WORK/compose-down.log" 2>&1; }
down || true
echo "==> deploy: podman-compose up (2 Saoma, Redis, PostgreSQL, Caddy, the sandbox) on $SAOMA_PUBLIC_URL"
trap 'for c in $("${podman[@]}" ps -a --format "{{.Names}}" --filter "label=io.podman.compose.project=$PROJECT"); do echo "---- $c"; "${podman[@]}" logs --tail 40 "$c" 2>&1; done; down || true' EXIT
"${compose[@]}" up -d >"$WORK/compose-up.log" 2>&1 || { cat "$WORK/compose-up.log"; exit 1; }
echo "==> deploy: log in through Caddy in Chromium, restarting each instance while it waits"
node deploy/test/login.js
trap - EXIT
down || { cat "$WORK/compose-down.log"; exit 1; }
left=$(leftovers)
[ -z "$left" ] || { echo "podman-compose down left: $left" >&2; exit 1; }
echo "    down: no container, volume, network or pod left"
