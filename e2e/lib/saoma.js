// Start a real Saoma (the binary `cargo build` made) on a free loopback port with a fresh data
// directory, wait for /healthz, and stop it afterwards.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');

function binary() {
  if (process.env.SAOMA_BIN) return process.env.SAOMA_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target');
  return path.resolve(REPO, target, 'debug', 'saoma');
}

/** A port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitHealthy(base, child, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error('saoma exited with ' + child.exitCode);
    try {
      const res = await fetch(base + '/healthz');
      if (res.ok) return;
    } catch (_) {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('saoma did not answer /healthz in time');
}

/**
 * Start Saoma; `env` adds SAOMA_* settings (e.g. a short SAOMA_LIMITS__SCENE_TTL_SECONDS);
 * `toml` (optional) becomes its saoma.toml, for what the environment cannot say well (an
 * array of tables such as [[oidc.clients]]). Resolves with `{base, port, stop(), log()}`.
 */
async function startSaoma(env = {}, { toml } = {}) {
  const bin = binary();
  if (!fs.existsSync(bin)) throw new Error(bin + ' is missing: run `cargo build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saoma-e2e-'));
  const port = await freePort();
  const base = 'http://127.0.0.1:' + port;
  const logFile = path.join(dir, 'saoma.log');
  if (toml) fs.writeFileSync(path.join(dir, 'saoma.toml'), toml);
  const out = fs.openSync(logFile, 'a');
  // cwd = the temp dir, so that a developer's ./saoma.toml does not leak into the tests.
  // Saoma refuses SAOMA_* variables it does not know: only the test's own settings go through
  // (SAOMA_BIN, say, is this harness's).
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SAOMA_')));
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:' + port, '--data-dir', path.join(dir, 'data')], {
    cwd: dir,
    env: { ...inherited, RUST_LOG: process.env.RUST_LOG || 'info', ...env },
    stdio: ['ignore', out, out],
  });
  const log = () => fs.readFileSync(logFile, 'utf8');
  try {
    await waitHealthy(base, child, 30000);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(e.message + '\n' + log());
  }
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.closeSync(out);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { base, port, stop, log };
}

/** POST JSON, resolve with the parsed body; throws on a non-2xx answer. */
async function postJson(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(url + ' -> ' + res.status + ' ' + JSON.stringify(data));
  return data;
}

module.exports = { startSaoma, freePort, postJson, REPO };
