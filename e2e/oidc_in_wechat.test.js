// The hosted OpenID login page inside WeChat's browser: an app that speaks OpenID Connect
// (openid-client) sends the user to Saoma from a page opened in WeChat; the login page leads with
// "微信一键登录", which goes through the sandbox's connect/oauth2/authorize and back to the login
// page, which sends the browser on to the app with a code (or with access_denied on a refusal).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startSaoma, freePort, postJson } = require('./lib/saoma');
const { startRelyingParty, clientToml } = require('./lib/rp');
const { launch, screenshot } = require('./lib/browser');

const SECRET = 'e2e-relying-party-secret';
const WECHAT_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 ' +
  '(KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 ' +
  'MMWEBSDK/20240301 MMWEBID/1234 MicroMessenger/8.0.48.2580(0x28003036) WeChat/arm64 ' +
  'Weixin NetType/WIFI Language/zh_CN ABI/arm64';
const IN_WECHAT = {
  viewport: { width: 390, height: 760 },
  isMobile: true,
  hasTouch: true,
  locale: 'zh-CN',
  userAgent: WECHAT_UA,
};

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await (browser && browser.close());
});

/** Saoma with the relying party in its client list (`env` for Saoma), and the relying party. */
async function startBoth(env = {}) {
  const rpPort = await freePort();
  const saoma = await startSaoma(env, { toml: clientToml(rpPort, SECRET) });
  try {
    const rp = await startRelyingParty(rpPort, saoma.base, SECRET);
    return { saoma, rp, stop: () => Promise.all([saoma.stop(), rp.close()]) };
  } catch (e) {
    await saoma.stop();
    throw e;
  }
}

/** The app's login, in "WeChat", with every script error and failed request collected. */
async function loginInWechat(rp) {
  const context = await browser.newContext(IN_WECHAT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text() + ' ' + m.location().url));
  page.on('response', (r) => r.status() >= 400 && problems.push(r.status() + ' ' + r.url()));
  await page.goto(rp.base + '/login');
  await page.locator('h1').getByText('登录到 Demo RP').waitFor();
  return { context, page, problems };
}

test('inside WeChat, the login page leads with 微信一键登录 and the app gets a code', async () => {
  const { saoma, rp, stop } = await startBoth();
  try {
    const user = await postJson(saoma.base + '/sandbox/api/users', { nickname: '小程' });
    const { context, page, problems } = await loginInWechat(rp);
    // /oidc/authorize answered with the page; its script moves the address to the request's
    // own page, where a reload (and WeChat's way back) shows the same request.
    await page.waitForURL((url) => url.pathname === '/oidc/login' && url.searchParams.has('request'));
    const button = page.locator('#in-wechat-login');
    assert.equal((await button.textContent()).trim(), '微信一键登录');
    // The code stays below the button, for a long press.
    await page.locator('#code img').waitFor();
    await screenshot(page, 'oidc-in-wechat-offer');

    await button.click();
    // The sandbox's WeChat asks once which fake user browses; snsapi_base has no consent page.
    await page.locator(`#users a[data-user="${user.id}"]`).click();
    await page.waitForURL(rp.base + '/cb?**');
    await page.locator('#app').waitFor();
    const result = rp.results.shift();
    assert.ok(result && !result.failure, result && result.failure);
    assert.ok(result.tokens.id_token, 'openid-client got an id_token');
    assert.equal(result.claims.iss, saoma.base);
    assert.equal(result.claims.aud, 'demo-rp');
    assert.equal(result.userinfo.sub, result.claims.sub);
    assert.equal(result.userinfo.wechat_identities[0].provider, 'in_wechat');
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await stop();
  }
});

test('a refusal on WeChat’s consent page ends at the app with access_denied', async () => {
  const { saoma, rp, stop } = await startBoth({ SAOMA_IN_WECHAT__FETCH_PROFILE: 'true' });
  try {
    const user = await postJson(saoma.base + '/sandbox/api/users', {});
    const { context, page } = await loginInWechat(rp);
    await page.locator('#in-wechat-login').click();
    await page.locator(`#users a[data-user="${user.id}"]`).click();
    await page.locator('#consent').waitFor();
    await page.locator('#deny').click();
    await page.waitForURL(rp.base + '/cb?**');
    assert.deepEqual(rp.results.shift(), { error: 'access_denied' });
    await context.close();
  } finally {
    await stop();
  }
});

test('a snapshot page is not a login: the user is told to tap 使用完整服务', async () => {
  const { saoma, rp, stop } = await startBoth({ SAOMA_IN_WECHAT__FETCH_PROFILE: 'true' });
  try {
    const user = await postJson(saoma.base + '/sandbox/api/users', {});
    const { context, page } = await loginInWechat(rp);
    await page.locator('#in-wechat-login').click();
    await page.locator(`#users a[data-user="${user.id}"]`).click();
    await page.locator('#snapshot').click();
    assert.equal(await page.locator('#error-code').textContent(), 'snapshot_user');
    assert.match(await page.locator('body').textContent(), /使用完整服务/);
    assert.deepEqual(rp.results, [], 'nothing reached the app');
    await context.close();
  } finally {
    await stop();
  }
});

test('without the in-WeChat login, the page inside WeChat says to long-press the code', async () => {
  const { rp, stop } = await startBoth({ SAOMA_IN_WECHAT__ENABLED: 'false' });
  try {
    const { context, page } = await loginInWechat(rp);
    await page.locator('#code img').waitFor();
    assert.equal(await page.locator('#in-wechat-login').count(), 0);
    assert.match(await page.locator('#in-wechat').textContent(), /长按/);
    await context.close();
  } finally {
    await stop();
  }
});
