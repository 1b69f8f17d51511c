#!/usr/bin/env bash
# A third-party fuzzer against the live server: schemathesis (from PyPI, installed in a venv
# under the cargo target directory when missing) reads /openapi.json, generates requests for
# every operation, and fails on any 5xx or any response the document does not describe
# (status, Content-Type, headers, body schema). Limits are relaxed so that it is not throttled.
# Usage: scripts/fuzz.sh        FUZZ_EXAMPLES=N for more or fewer cases per operation;
# FUZZ_TIMEOUT=S caps the run (default 300 s: the stateful phase follows createScene's links).
set -euo pipefail
cd "$(dirname "$0")/.."

target="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
venv="$target/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "==> fuzz: installing schemathesis from PyPI into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis>=4,<5"
fi

cargo build --locked --quiet
work="$(mktemp -d)"
# A private copy: other builds may replace the binary in a shared target directory meanwhile.
cp "$target/debug/saoma" "$work/saoma"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

# One OpenID client, so that the OAuth operations are served and fuzzed too.
cat >"$work/saoma.toml" <<'TOML'
[[oidc.clients]]
client_id = "fuzz"
client_secret = "fuzz-client-secret"
redirect_uris = ["http://127.0.0.1:9/callback"]
name = "Fuzz"

# A machine admin, so that the management API (/admin/v1) is served and fuzzed with a real
# admin token.
[[oidc.clients]]
client_id = "fuzz-admin"
client_secret = "fuzz-admin-secret"
grant_types = ["client_credentials"]
scopes = ["saoma:admin"]
name = "Fuzz admin"
TOML

# Short scenes so that an event stream the fuzzer opens with a real poll token ends quickly.
SAOMA_LIMITS__POLL_INTERVAL_MS=0 \
SAOMA_LIMITS__SCENES_PER_IP_PER_MINUTE=0 \
SAOMA_LIMITS__PENDING_SCENES_PER_IP=0 \
SAOMA_LIMITS__DIRECT_LOGINS_PER_IP_PER_MINUTE=0 \
SAOMA_LIMITS__PHONE_NUMBERS_PER_IP_PER_MINUTE=0 \
SAOMA_SMS__MAX_PER_IP_PER_HOUR=0 \
SAOMA_LIMITS__SCENE_TTL_SECONDS=3 \
RUST_LOG=warn \
  "$work/saoma" serve --config "$work/saoma.toml" --listen "127.0.0.1:$port" --data-dir "$work/data" >"$work/saoma.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Up to 30 s: the first start with an OpenID client generates its RSA key.
for _ in $(seq 300); do
  python3 -c "import urllib.request; urllib.request.urlopen('$base/healthz', timeout=1)" 2>/dev/null && break
  sleep 0.1
done

# Past the front door: a sandbox login makes a real bearer token (the mini-program's, which
# /api/v1/me and /api/v1/mini-program/phone accept), a real scene with its poll token, and an
# OpenID access token (userinfo), so that those operations are fuzzed beyond 401/404. schemathesis.toml (below) attaches them per
# operation; the links from createScene (in the document) give the stateful phase fresh scenes
# with their own poll tokens.
# Captured first: a failure in `eval "$(...)"` would not stop the script (set -e).
logins="$(python3 - "$base" <<'PY'
import base64, json, re, shlex, sys, urllib.error, urllib.parse, urllib.request
base = sys.argv[1]
def post(path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.load(res)
user = post("/sandbox/api/users", {"nickname": "fuzz"})["id"]
code = post("/sandbox/api/wx-login", {"user": user})["code"]
login = post("/api/v1/mini-program/login", {"code": code})
scene = post("/api/v1/scenes", {"provider": "mini_program"})

# An OpenID access token for userinfo: the code flow as a browser and its phone make it.
# /oidc/authorize answers with the hosted login page; its scene is confirmed on the phone; the
# scene's redirect (/oidc/resume) gives the code to the browser holding the login cookie.
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
query = urllib.parse.urlencode({"client_id": "fuzz", "redirect_uri": "http://127.0.0.1:9/callback",
                                "response_type": "code", "scope": "openid profile phone wechat",
                                "state": "fuzz", "nonce": "fuzz"})
with urllib.request.urlopen(f"{base}/oidc/authorize?{query}", timeout=10) as res:
    request = re.search(r'data-request="([^"]+)"', res.read().decode()).group(1)
req = urllib.request.Request(base + "/oidc/login/scene", json.dumps({"request": request}).encode(),
                             {"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as res:
    cookies = "; ".join(c.split(";")[0] for c in res.headers.get_all("Set-Cookie") if c.startswith("saoma_login_"))
    page_scene = json.load(res)
post("/api/v1/mini-program/scan", {"scene": page_scene["scene"]})
code = post("/sandbox/api/wx-login", {"user": user})["code"]
post("/api/v1/mini-program/login", {"code": code, "scene": page_scene["scene"], "approve": True})
req = urllib.request.Request(f"{base}/api/v1/scenes/{page_scene['scene']}",
                             headers={"X-Poll-Token": page_scene["poll_token"]})
with urllib.request.urlopen(req, timeout=10) as res:
    resume = json.load(res)["redirect"]
try:
    urllib.request.build_opener(Stay).open(urllib.request.Request(base + resume, headers={"Cookie": cookies}), timeout=10)
    sys.exit("fuzz: /oidc/resume did not redirect to the client")
except urllib.error.HTTPError as e:
    if e.code != 303:
        raise
    oidc_code = urllib.parse.parse_qs(urllib.parse.urlparse(e.headers["Location"]).query)["code"][0]
form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": oidc_code,
                               "redirect_uri": "http://127.0.0.1:9/callback"}).encode()
req = urllib.request.Request(base + "/oidc/token", form, {
    "Content-Type": "application/x-www-form-urlencoded",
    "Authorization": "Basic " + base64.b64encode(b"fuzz:fuzz-client-secret").decode()})
with urllib.request.urlopen(req, timeout=10) as res:
    oidc_access_token = json.load(res)["access_token"]
form = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
req = urllib.request.Request(base + "/oidc/token", form, {
    "Content-Type": "application/x-www-form-urlencoded",
    "Authorization": "Basic " + base64.b64encode(b"fuzz-admin:fuzz-admin-secret").decode()})
with urllib.request.urlopen(req, timeout=10) as res:
    admin_token = json.load(res)["access_token"]
for name, value in [("FUZZ_ACCESS_TOKEN", login["tokens"]["access_token"]),
                    ("FUZZ_ADMIN_TOKEN", admin_token),
                    ("FUZZ_ACCOUNT", login["account"]["id"]),
                    ("FUZZ_OIDC_ACCESS_TOKEN", oidc_access_token),
                    ("FUZZ_SCENE", scene["scene"]), ("FUZZ_POLL_TOKEN", scene["poll_token"])]:
    print(f"export {name}={shlex.quote(value)}")
PY
)"
eval "$logins"
cat >"$work/schemathesis.toml" <<'TOML'
[[operations]]
include-operation-id = ["getScene", "streamSceneEvents"]
headers = { "X-Poll-Token" = "${FUZZ_POLL_TOKEN}" }
parameters = { scene = "${FUZZ_SCENE}" }

[[operations]]
include-operation-id = ["sendPhoneSms", "bindPhone"]
headers = { "X-Poll-Token" = "${FUZZ_POLL_TOKEN}" }

[[operations]]
include-operation-id = ["getMe", "miniProgramPhone", "exportMe", "deleteMe"]
headers = { Authorization = "Bearer ${FUZZ_ACCESS_TOKEN}" }

# The OpenID client above, by client_secret_basic: the token and revocation endpoints are
# fuzzed past client authentication (base64 of "fuzz:fuzz-client-secret").
[[operations]]
include-operation-id = ["oidcToken", "oidcRevoke"]
headers = { Authorization = "Basic ZnV6ejpmdXp6LWNsaWVudC1zZWNyZXQ=" }

# The OpenID access token from the code flow above.
[[operations]]
include-operation-id = ["oidcUserInfo", "oidcUserInfoPost"]
headers = { Authorization = "Bearer ${FUZZ_OIDC_ACCESS_TOKEN}" }

# The admin token (5 minutes: later calls get the documented 401), on a real account.
[[operations]]
include-operation-id = ["adminListEvents", "adminSearchAccounts"]
headers = { Authorization = "Bearer ${FUZZ_ADMIN_TOKEN}" }

[[operations]]
include-operation-id = ["adminGetAccount", "adminDisableAccount", "adminEnableAccount", "adminDeleteAccount", "adminListSessions", "adminEndSessions"]
headers = { Authorization = "Bearer ${FUZZ_ADMIN_TOKEN}" }
parameters = { id = "${FUZZ_ACCOUNT}" }
TOML

echo "==> fuzz: schemathesis against $base/openapi.json"
# One worker: hypothesis' lambda introspection is not thread-safe on every Python 3.11.
# From the temporary directory: schemathesis keeps a cache (.schemathesis/) in its working directory.
(cd "$work" && timeout "${FUZZ_TIMEOUT:-300}" "$venv/bin/schemathesis" run "$base/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "${FUZZ_EXAMPLES:-100}" \
  --workers 1 \
  --request-timeout 15 \
  --no-color \
  --report junit --report-dir "$target/schemathesis-report") || {
    echo "==> fuzz: schemathesis found problems (server log: last lines)" >&2
    tail -n 40 "$work/saoma.log" >&2
    exit 1
  }
