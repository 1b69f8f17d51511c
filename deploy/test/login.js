// The compose stack as a user meets it (scripts/deploy-test.sh starts it): the demo page
// through Caddy in Chromium, the sandbox phone scans, both Saoma instances restart one after
// the other while the login is pending, then the phone confirms and the page is logged in.
// Not one request the browser made may have failed with a 5xx: the restarts are invisible.
//
// Environment: SAOMA_PUBLIC_URL (Caddy on loopback), COMPOSE_PROJECT (container names).
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { launch, readQr, screenshot, shownAccount } = require('../../e2e/lib/browser');

const BASE = process.env.SAOMA_PUBLIC_URL.replace(/\/$/, '');
const PROJECT = process.env.COMPOSE_PROJECT;
const PODMAN = ['--runtime', 'runc'];
const CADDY_ADDRESS = '10.89.250.250';
const container = (service) => `${PROJECT}_${service}_1`;
const podman = (...args) =>
  execFileSync('podman', [...PODMAN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Caddy's view of its upstreams (its admin API, on the container's loopback). */
function upstreams() {
  const out = podman('exec', container('caddy'), 'wget', '-q', '-O', '-', 'http://127.0.0.1:2019/reverse_proxy/upstreams');
  return JSON.parse(out);
}

let lastSeen = [];
const INSTANCES = ['saoma-1', 'saoma-2'];
const STABLE_ROUNDS = 3;

/** One look at the stack: true when every path a login takes answers. Each check goes through
 *  the container's own resolver, because podman 4.3's DNS (aardvark-dns) stops answering the
 *  whole network for several seconds after any container on it restarts: Caddy's lookups of
 *  an instance time out, and an instance's lookup of WeChat too (a login then ends in 504
 *  wechat_timeout). */
function stackAnswers() {
  try {
    for (const name of INSTANCES) {
      podman('healthcheck', 'run', container(name)); // /readyz: Redis, PostgreSQL, keys agreed
      podman('exec', container(name), '/saoma', 'healthcheck', '--url', 'http://sandbox:8081/healthz');
      podman('exec', container('caddy'), 'wget', '-q', '-T', '2', '-O', '/dev/null', `http://${name}:8080/readyz`);
    }
    lastSeen = upstreams();
  } catch (_) {
    return false; // starting, not ready, or a lookup unanswered
  }
  return INSTANCES.every((name) => lastSeen.some((u) => u.address === `${name}:8080` && u.fails === 0));
}

/** Until the whole stack answers (above) in STABLE_ROUNDS looks in a row, a second apart;
 *  then two of Caddy's health intervals (1 s), so that its active check, which its 2.6 admin
 *  API does not show, has seen the restarted instance ready. */
async function waitServing(service) {
  const since = Date.now();
  const until = since + 120000;
  let rounds = 0;
  for (;;) {
    rounds = stackAnswers() ? rounds + 1 : 0;
    if (rounds === STABLE_ROUNDS) {
      console.log(`    ${service}: the stack answers again after ${Date.now() - since} ms`);
      return sleep(2000);
    }
    if (Date.now() > until) throw new Error(`${service} not serving again: ${JSON.stringify(lastSeen)}`);
    await sleep(1000);
  }
}

async function main() {
  await waitServing('saoma-1');
  await waitServing('saoma-2');
  const browser = await launch();
  try {
    const desk = await browser.newContext({ viewport: { width: 520, height: 820 }, locale: 'zh-CN' });
    const page = await desk.newPage();
    const failures = [];
    const watch = (p) => p.on('response', (r) => r.status() >= 500 && failures.push(r.status() + ' ' + r.url()));
    watch(page);
    await page.goto(BASE + '/');
    const code = page.locator('#code img');
    await code.waitFor();
    const url = await readQr(code);
    assert.ok(url.startsWith(BASE + '/sandbox/phone?scene='), url);

    const phoneContext = await browser.newContext({ viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
    const phone = await phoneContext.newPage();
    watch(phone);
    await phone.goto(url);
    await phone.locator('#confirm:enabled').waitFor();
    await page.locator('#status').getByText('扫码成功，请在手机上确认登录').waitFor();

    // Client addresses: Saoma trusts Caddy's X-Forwarded-For (and only Caddy's), so the phone
    // shows the address Caddy saw, not Caddy's own.
    const shownIp = await phone.locator('#requester-ip').textContent();
    assert.notEqual(shownIp, CADDY_ADDRESS, 'trusted_proxies: the client, not the proxy');
    const seen = podman('logs', container('caddy'))
      .split('\n')
      .filter((l) => l.includes('"/api/v1/scenes"'))
      .map((l) => JSON.parse(l).request.remote_ip);
    assert.ok(seen.length > 0, 'Caddy logged the scene creation');
    assert.equal(shownIp, seen[seen.length - 1], 'the address Caddy saw');
    await screenshot(phone, 'deploy-phone-ask');

    // A rolling restart while the login is pending: whichever instance holds the page's
    // stream goes away once, and the page carries on through the other.
    for (const service of ['saoma-1', 'saoma-2']) {
      podman('restart', '--time', '15', container(service));
      await waitServing(service);
    }
    assert.match(await page.locator('#status').textContent(), /扫码成功/, 'still waiting');

    await phone.locator('#confirm').click();
    await phone.locator('#result').getByText('已确认登录').waitFor();
    await page.locator('#status').getByText('登录成功').waitFor();
    const account = await shownAccount(page);
    assert.ok(account.id);
    assert.equal(account.identities[0].provider, 'mini_program');
    await screenshot(page, 'deploy-logged-in');
    assert.deepEqual(failures, [], 'no request failed while the instances restarted');
    console.log(`ok: logged in through Caddy across restarts of both instances (client ${shownIp});`);
    console.log(`    Caddy's upstreams after the last restart: ${JSON.stringify(lastSeen)}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
