// Saoma as the OpenID Provider of an app that only speaks OpenID Connect: the relying party is
// openid-client (a certified implementation) in a small Node server, the user is headless
// Chromium, the phone is the sandbox phone page in a second browser. Discovery, authorize,
// scan, code exchange, id_token signature checks, userinfo, refresh, single sign-on, logout.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startSaoma, freePort } = require('./lib/saoma');
const { startRelyingParty, clientToml } = require('./lib/rp');
const { launch, readQr, screenshot } = require('./lib/browser');

const SECRET = 'e2e-relying-party-secret';
let saoma;
let browser;
let rp;
let oidc;

before(async () => {
  // The relying party's port must be known before Saoma starts (it is in the client list).
  const rpPort = await freePort();
  const toml = clientToml(rpPort, SECRET);
  [saoma, browser] = await Promise.all([startSaoma({}, { toml }), launch()]);
  rp = await startRelyingParty(rpPort, saoma.base, SECRET);
  oidc = rp.oidc;
});

after(async () => {
  await Promise.all([browser && browser.close(), saoma && saoma.stop(), rp && rp.close()]);
});

test('an app logs in with WeChat through openid-client, refreshes, and logs out', async () => {
  const context = await browser.newContext({ viewport: { width: 520, height: 820 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(rp.base + '/login');
  await page.locator('h1').getByText('登录到 Demo RP').waitFor();
  const code = page.locator('#code img');
  await code.waitFor();
  const phoneUrl = await readQr(code);
  assert.ok(phoneUrl.startsWith(saoma.base + '/sandbox/phone?scene='), phoneUrl);
  await screenshot(page, 'oidc-1-login-page');

  const phoneContext = await browser.newContext({ viewport: { width: 390, height: 760 }, isMobile: true, locale: 'zh-CN' });
  const phone = await phoneContext.newPage();
  await phone.goto(phoneUrl);
  await phone.locator('#confirm:enabled').waitFor();
  assert.match(await phone.locator('#question').textContent(), /Demo RP/);
  assert.equal(await phone.locator('#requester-client').textContent(), 'Demo RP');
  await screenshot(phone, 'oidc-phone-ask');
  await phone.locator('#confirm').click();

  await page.waitForURL(rp.base + '/cb?**');
  await page.locator('#app').waitFor();
  const first = rp.results.shift();
  assert.ok(!first.failure, first.failure);
  assert.equal(first.claims.iss, saoma.base);
  assert.equal(first.claims.aud, 'demo-rp');
  assert.deepEqual(first.claims.amr, ['wechat']);
  assert.ok(first.claims.auth_time);
  assert.equal(first.userinfo.sub, first.claims.sub);
  assert.ok(first.userinfo.wechat_identities[0].openid);

  const refreshed = await oidc.refreshTokenGrant(rp.config, first.tokens.refresh_token);
  assert.ok(refreshed.access_token);
  assert.notEqual(refreshed.refresh_token, first.tokens.refresh_token, 'rotated');

  // Single sign-on: the next login needs no scan.
  await page.goto(rp.base + '/login');
  await page.locator('#app').waitFor();
  const second = rp.results.shift();
  assert.ok(!second.failure, second.failure);
  assert.equal(second.claims.sub, first.claims.sub);

  const logout = oidc.buildEndSessionUrl(rp.config, {
    id_token_hint: second.tokens.id_token,
    post_logout_redirect_uri: rp.base + '/bye',
    state: 'see-you',
  });
  await page.goto(logout.href);
  await page.locator('#bye').waitFor();
  assert.deepEqual(rp.results.shift(), { loggedOut: 'see-you' });

  await page.goto(rp.base + '/login?prompt=none');
  await page.locator('#app').waitFor();
  assert.deepEqual(rp.results.shift(), { error: 'login_required' }, 'the session ended');

  // A logout that shows no id_token of the session's account (Grafana's signout URL, say) asks
  // first (RP-Initiated Logout 1.0 section 2); the answer, posted from Saoma's page, ends the
  // session and follows the redirect to the app (the page's CSP allows both).
  await page.goto(rp.base + '/login');
  await code.waitFor();
  await phone.goto(await readQr(code));
  await phone.locator('#confirm:enabled').waitFor();
  await phone.locator('#confirm').click();
  await page.locator('#app').waitFor();
  assert.ok(!rp.results.shift().failure);
  const unhinted = oidc.buildEndSessionUrl(rp.config, {
    post_logout_redirect_uri: rp.base + '/bye',
    state: 'asked',
  });
  unhinted.searchParams.set('client_id', 'demo-rp');
  await page.goto(unhinted.href);
  await page.locator('#logout-confirm').waitFor();
  await screenshot(page, 'oidc-logout-confirm');
  await page.goto(rp.base + '/login?prompt=none');
  await page.locator('#app').waitFor();
  assert.ok(!rp.results.shift().failure, 'asking ended nothing');
  await page.goto(unhinted.href);
  await page.locator('#logout-button').click();
  await page.locator('#bye').waitFor();
  assert.deepEqual(rp.results.shift(), { loggedOut: 'asked' });
  await page.goto(rp.base + '/login?prompt=none');
  await page.locator('#app').waitFor();
  assert.deepEqual(rp.results.shift(), { error: 'login_required' }, 'ended once confirmed');
  assert.deepEqual(problems, []);
  await Promise.all([context.close(), phoneContext.close()]);
});
