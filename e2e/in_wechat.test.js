// The login inside WeChat's browser (公众号网页授权), as a user does it: the demo page opened with
// WeChat's User-Agent leads with "微信一键登录"; tapping it goes through the sandbox's
// connect/oauth2/authorize and back, and the page ends logged in. Screenshots go to
// target/screenshots/.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startSaoma, postJson } = require('./lib/saoma');
const { launch, screenshot, shownAccount } = require('./lib/browser');

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

/** The demo page in "WeChat", with every script error and failed request collected. */
async function openInWechat(saoma) {
  const context = await browser.newContext(IN_WECHAT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && problems.push(r.status() + ' ' + r.url()));
  await page.goto(saoma.base + '/');
  return { context, page, problems };
}

test('inside WeChat, the demo page leads with 微信一键登录 and logs in silently (snsapi_base)', async () => {
  const saoma = await startSaoma();
  try {
    const user = await postJson(saoma.base + '/sandbox/api/users', { nickname: '小程' });
    const { context, page, problems } = await openInWechat(saoma);
    const button = page.locator('#in-wechat-login');
    await button.waitFor();
    assert.equal((await button.textContent()).trim(), '微信一键登录');
    // The code stays below the button, for a long press.
    await page.locator('#code img').waitFor();
    await screenshot(page, 'in-wechat-offer');

    await button.click();
    // The sandbox's WeChat asks once which fake user browses; snsapi_base has no consent page.
    await page.locator(`#users a[data-user="${user.id}"]`).click();
    await page.locator('#status').getByText('登录成功').waitFor();
    const account = await shownAccount(page);
    await screenshot(page, 'in-wechat-logged-in');
    assert.equal(account.identities.length, 1);
    assert.equal(account.identities[0].provider, 'in_wechat');
    assert.equal(new URL(page.url()).pathname, '/');
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await saoma.stop();
  }
});

test('with in_wechat.fetch_profile, WeChat asks for consent and the nickname comes along', async () => {
  const saoma = await startSaoma({ SAOMA_IN_WECHAT__FETCH_PROFILE: 'true' });
  try {
    const user = await postJson(saoma.base + '/sandbox/api/users', { nickname: '授权用户' });
    const { context, page } = await openInWechat(saoma);
    await page.locator('#in-wechat-login').click();
    await page.locator(`#users a[data-user="${user.id}"]`).click();
    await page.locator('#consent').waitFor();
    await screenshot(page, 'in-wechat-consent');
    await page.locator('#allow').click();
    await page.locator('#status').getByText('登录成功').waitFor();
    const account = await shownAccount(page);
    assert.equal(account.identities[0].nickname, '授权用户');
    await context.close();
  } finally {
    await saoma.stop();
  }
});

test('a snapshot page is not a login: the user is told to tap 使用完整服务', async () => {
  const saoma = await startSaoma({ SAOMA_IN_WECHAT__FETCH_PROFILE: 'true' });
  try {
    const user = await postJson(saoma.base + '/sandbox/api/users', {});
    const { context, page } = await openInWechat(saoma);
    await page.locator('#in-wechat-login').click();
    await page.locator(`#users a[data-user="${user.id}"]`).click();
    await page.locator('#snapshot').click();
    assert.equal(await page.locator('#error-code').textContent(), 'snapshot_user');
    assert.match(await page.locator('body').textContent(), /使用完整服务/);
    await context.close();
  } finally {
    await saoma.stop();
  }
});

test('a desktop browser gets no 微信一键登录', async () => {
  const saoma = await startSaoma();
  try {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(saoma.base + '/');
    await page.locator('#code img').waitFor();
    assert.equal(await page.locator('#in-wechat-login').count(), 0);
    await context.close();
  } finally {
    await saoma.stop();
  }
});
