// docs/oidc.md's Apache mod_auth_openidc settings, exactly as printed there (only the example
// hosts and secrets replaced), in front of a sandbox Saoma: Chromium opens a protected page,
// Apache sends it to Saoma's hosted login page, the sandbox phone confirms, Apache exchanges
// the code, checks the id_token and lets the browser in. Needs Debian's apache2 and
// libapache2-mod-auth-openidc (scripts/test.sh installs them); skipped, saying so, without.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startSaoma, freePort, REPO } = require('./lib/saoma');
const { launch, readQr } = require('./lib/browser');

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const missing = [APACHE, path.join(MODULES, 'mod_auth_openidc.so')].filter((f) => !fs.existsSync(f));
const SECRET = 'apache-e2e-client-secret';

let saoma;
let apache;
let browser;

/** The ```apache block under "Apache mod_auth_openidc" in docs/oidc.md. */
function readmeSnippet() {
  const readme = fs.readFileSync(path.join(REPO, 'docs', 'oidc.md'), 'utf8');
  const from = readme.indexOf('**Apache mod_auth_openidc**');
  assert.ok(from >= 0, 'docs/oidc.md has an Apache section');
  const block = readme.slice(from).match(/```apache\n([\s\S]*?)```/);
  assert.ok(block, 'the Apache section has an ```apache block');
  return block[1];
}

/** Apache in the foreground on `port`, with docs/oidc.md's snippet as its whole site. */
function startApache(port, issuer) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saoma-apache-'));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'htdocs'));
  fs.writeFileSync(path.join(dir, 'htdocs', 'index.html'), '<h1 id="protected">protected page</h1>\n');
  const base = 'http://127.0.0.1:' + port;
  const site = readmeSnippet()
    .replaceAll('https://login.example.com', issuer)
    .replaceAll('https://app.example.com', base)
    .replace('OIDCClientSecret a-long-random-string', 'OIDCClientSecret ' + SECRET);
  const load = (name) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`;
  const conf = [
    `ServerRoot ${dir}`,
    `Listen 127.0.0.1:${port}`,
    `ServerName 127.0.0.1`,
    `PidFile ${dir}/apache.pid`,
    `ErrorLog ${dir}/error.log`,
    'LogLevel warn auth_openidc:info',
    `DefaultRuntimeDir ${dir}`,
    `DocumentRoot ${dir}/htdocs`,
    ...['mpm_event', 'authz_core', 'authz_user', 'authn_core', 'dir', 'mime', 'auth_openidc'].map(load),
    process.getuid && process.getuid() === 0 ? 'User www-data\nGroup www-data' : '',
    'DirectoryIndex index.html',
    `TypesConfig /etc/mime.types`,
    '# docs/oidc.md, verbatim but for the hosts and the secret:',
    site,
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'apache2.conf'), conf);
  const check = spawnSync(APACHE, ['-f', path.join(dir, 'apache2.conf'), '-t'], { encoding: 'utf8' });
  assert.equal(check.status, 0, 'apache2 -t: ' + check.stderr + '\n' + conf);
  const child = spawn(APACHE, ['-f', path.join(dir, 'apache2.conf'), '-DFOREGROUND'], { stdio: 'ignore' });
  const log = () => fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { base, log, stop, child };
}

async function waitListening(url, child) {
  const until = Date.now() + 15000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error('apache2 exited with ' + child.exitCode);
    try {
      await fetch(url, { redirect: 'manual' });
      return;
    } catch (_) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('apache2 did not answer in time');
}

before(async () => {
  if (missing.length) return;
  const port = await freePort();
  const toml = [
    '[[oidc.clients]]',
    'client_id = "apache"',
    `client_secret = "${SECRET}"`,
    `redirect_uris = ["http://127.0.0.1:${port}/redirect_uri"]`,
    'name = "Apache"',
    '',
  ].join('\n');
  [saoma, browser] = await Promise.all([startSaoma({}, { toml }), launch()]);
  apache = startApache(port, saoma.base);
  await waitListening(apache.base + '/redirect_uri', apache.child);
});

after(async () => {
  await Promise.all([browser && browser.close(), saoma && saoma.stop(), apache && apache.stop()]);
});

test(
  "docs/oidc.md's mod_auth_openidc settings log a browser in through Saoma",
  { skip: missing.length ? 'not installed: ' + missing.join(', ') : false },
  async () => {
    const context = await browser.newContext({ viewport: { width: 520, height: 820 }, locale: 'zh-CN' });
    const page = await context.newPage();

    await page.goto(apache.base + '/');
    await page.locator('h1').getByText('登录到 Apache').waitFor();
    const phoneUrl = await readQr(page.locator('#code img'));
    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 760 }, isMobile: true });
    const phone = await phoneContext.newPage();
    await phone.goto(phoneUrl);
    await phone.locator('#confirm:enabled').waitFor();
    assert.equal(await phone.locator('#requester-client').textContent(), 'Apache');
    await phone.locator('#confirm').click();

    await page.locator('#protected').waitFor({ timeout: 20000 }).catch((e) => {
      throw new Error(e.message + '\n--- apache error.log:\n' + apache.log() + '\n--- saoma:\n' + saoma.log());
    });
    assert.equal(new URL(page.url()).origin, apache.base);
    // Apache let the browser in on mod_auth_openidc's own session, after checking the id_token.
    const cookies = await context.cookies(apache.base);
    assert.ok(cookies.some((c) => c.name === 'mod_auth_openidc_session'), JSON.stringify(cookies));
    const log = apache.log();
    assert.doesNotMatch(log, /\[auth_openidc:error\]/, log);
    await Promise.all([context.close(), phoneContext.close()]);
  },
);
