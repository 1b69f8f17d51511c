// The official-account and website tabs of the demo page in headless Chromium, as people use
// them: the page shows WeChat's code, a second browser context plays the phone (the sandbox
// phone page), and the first page must end logged in. Screenshots go to target/screenshots/.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startSaoma } = require('./lib/saoma');
const { launch, readQr, screenshot, shownAccount } = require('./lib/browser');

const DESKTOP = { viewport: { width: 520, height: 900 }, locale: 'zh-CN' };
const PHONE = { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };

let saoma;
let browser;

before(async () => {
  [saoma, browser] = await Promise.all([startSaoma(), launch()]);
});

after(async () => {
  await Promise.all([browser && browser.close(), saoma && saoma.stop()]);
});

/** A desktop page on `/` with `provider`'s tab picked; any CSP violation, script error or
 *  failed request is collected in `problems`. */
async function openTab(provider, options = DESKTOP) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('response', (r) => r.status() >= 400 && problems.push(r.status() + ' ' + r.url()));
  await page.goto(saoma.base + '/');
  await page.locator('#tab-' + provider).click();
  return { context, page, problems };
}

const statusOf = (page) => page.locator('#status');

async function loggedInAccount(page) {
  await statusOf(page).getByText('登录成功').waitFor();
  return shownAccount(page);
}

async function newPhone() {
  const context = await browser.newContext(PHONE);
  return { context, phone: await context.newPage() };
}

// Official account ---------------------------------------------------------------------------

test('official account: a new user follows on the phone and the page logs in', async () => {
  const { context, page, problems } = await openTab('official_account');
  const code = page.locator('#code img');
  await code.waitFor();
  await statusOf(page).getByText('请使用微信扫一扫登录').waitFor();
  assert.match(await code.getAttribute('alt'), /公众号/);
  // The code is WeChat's own ticket URL, as on the real platform; the sandbox link opens the
  // phone simulator on the scene.
  assert.match(await readQr(code), /^http:\/\/weixin\.qq\.com\/q\/[\w-]+$/);
  const link = await page.locator('#phone-link').getAttribute('href');
  assert.match(link, /^\/sandbox\/phone\?scene=[\w-]+$/);
  await screenshot(page, 'oa-1-pending');

  const { context: phoneContext, phone } = await newPhone();
  await phone.goto(saoma.base + link);
  const follow = phone.locator('#oa-scan:enabled');
  await follow.getByText('关注公众号并登录').waitFor();
  assert.match(await phone.locator('#question').textContent(), /Chrome/);
  await screenshot(phone, 'phone-oa-1-follow');
  await follow.click();

  await phone.locator('#reply').getByText('登录成功').waitFor();
  const account = await loggedInAccount(page);
  assert.equal(account.identities[0].provider, 'official_account');
  assert.equal(await code.count(), 0, 'the code is gone once logged in');
  await screenshot(page, 'oa-2-confirmed');
  await screenshot(phone, 'phone-oa-2-reply');
  // The user follows now: the phone offers a plain scan next time.
  await phone.locator('#oa-scan').getByText('扫码登录').waitFor();
  assert.deepEqual(problems, []);

  // A follower scans the next code: the QR's own payload (the ticket URL) opens the phone.
  await page.locator('#refresh').click();
  await statusOf(page).getByText('请使用微信扫一扫登录').waitFor();
  const ticket = await readQr(page.locator('#code img'));
  await phone.goto(saoma.base + '/sandbox/phone?url=' + encodeURIComponent(ticket));
  const scan = phone.locator('#oa-scan:enabled');
  await scan.getByText('扫码登录').waitFor();
  await scan.click();

  await phone.locator('#reply').getByText('登录成功').waitFor();
  const again = await loggedInAccount(page);
  assert.equal(again.id, account.id, 'the same person, the same account');
  assert.deepEqual(problems, []);
  await Promise.all([context.close(), phoneContext.close()]);
});

test('official account: a code scanned after the login is answered as used', async () => {
  const { context, page } = await openTab('official_account');
  await page.locator('#code img').waitFor();
  const link = await page.locator('#phone-link').getAttribute('href');
  const { context: phoneContext, phone } = await newPhone();
  await phone.goto(saoma.base + link);
  await phone.locator('#oa-scan:enabled').click();
  await loggedInAccount(page);

  // Another person scans the same (already used) code. (Not the same user again: the same
  // user's scan in the same second is, by WeChat's rule, a retry of the push, answered once.)
  const { context: otherContext, phone: other } = await newPhone();
  await other.goto(saoma.base + link);
  await other.locator('#oa-scan:enabled').waitFor();
  const first = await other.locator('#user-select').inputValue();
  await other.locator('#new-user').click();
  await other.waitForFunction((before) => {
    const select = document.querySelector('#user-select');
    return select.value && select.value !== before;
  }, first);
  await other.locator('#oa-scan:enabled').getByText('关注公众号并登录').click();

  await other.locator('#reply').getByText('二维码已失效').waitFor();
  assert.match(await other.locator('#result').getAttribute('class'), /err/);
  await screenshot(other, 'phone-oa-3-used');
  await Promise.all([context.close(), phoneContext.close(), otherContext.close()]);
});

// Website ------------------------------------------------------------------------------------

/** The website tab's embedded QR page, and the phone URL its code encodes. */
async function embeddedCode(page) {
  const frame = page.frameLocator('#code iframe');
  const qr = frame.locator('#qr');
  await qr.waitFor();
  const url = await readQr(qr);
  assert.ok(url.startsWith(saoma.base + '/sandbox/phone?state='), url);
  assert.ok(url.endsWith('&provider=website'), url);
  return { frame, url };
}

test('website: the embedded QR page, approved on the phone, logs the page in', async () => {
  const { context, page, problems } = await openTab('website');
  await statusOf(page).getByText('请使用微信扫一扫登录').waitFor();
  const { url } = await embeddedCode(page);
  assert.equal(await page.locator('#code iframe').getAttribute('title'), '微信登录二维码：请用微信扫一扫登录');
  assert.equal(saoma.base + (await page.locator('#phone-link').getAttribute('href')), url);
  await screenshot(page, 'website-1-pending');

  const { context: phoneContext, phone } = await newPhone();
  await phone.goto(url);
  await phone.locator('#approve:enabled').waitFor();
  assert.equal(await phone.locator('#website-app').textContent(), 'wxsaomasandboxweb1');
  assert.match(await phone.locator('#question').textContent(), /Chrome/);
  const nickname = (await phone.locator('#user-select option:checked').textContent()).replace(/ \(.*$/, '');
  await screenshot(phone, 'phone-website-1-ask');
  await phone.locator('#approve').click();

  await phone.locator('#result').getByText('请在电脑上查看').waitFor();
  const account = await loggedInAccount(page);
  const identity = account.identities.find((i) => i.provider === 'website');
  assert.ok(identity, JSON.stringify(account));
  assert.equal(identity.nickname, nickname);
  assert.equal(await page.locator('#code iframe').count(), 0, 'the QR page is gone once logged in');
  await screenshot(page, 'website-2-confirmed');
  await screenshot(phone, 'phone-website-2-approved');
  assert.deepEqual(problems, []);
  await Promise.all([context.close(), phoneContext.close()]);
});

test('website: refusing on the phone shows the page the login was cancelled', async () => {
  const { context, page, problems } = await openTab('website');
  const { url } = await embeddedCode(page);
  const { context: phoneContext, phone } = await newPhone();
  await phone.goto(url);
  await phone.locator('#refuse:enabled').click();

  await phone.locator('#result').getByText('已拒绝登录').waitFor();
  await statusOf(page).getByText('你已在手机上取消登录').waitFor();
  assert.equal(await page.locator('#code iframe').count(), 0);
  await screenshot(page, 'website-3-cancelled');
  await screenshot(phone, 'phone-website-3-refused');

  // The same QR page cannot be answered twice.
  await phone.reload();
  await phone.locator('#result').getByText('该二维码已使用').waitFor();
  assert.equal(await phone.locator('#approve').isDisabled(), true);
  assert.deepEqual(problems, []);
  await Promise.all([context.close(), phoneContext.close()]);
});

test('website: the link fallback opens the QR page in a new tab, and the first page logs in', async () => {
  const { context, page, problems } = await openTab('website');
  await embeddedCode(page);
  const [tab] = await Promise.all([
    context.waitForEvent('page'),
    page.locator('.saoma-fallback a').click(),
  ]);
  await page.locator('.saoma-opened').getByText('已在新窗口打开').waitFor();
  assert.equal(await page.locator('#code iframe').count(), 0, 'one QR page waits at a time');
  await screenshot(page, 'website-4-opened-in-tab');
  const url = await readQr(tab.locator('#qr'));

  const { context: phoneContext, phone } = await newPhone();
  await phone.goto(url);
  await phone.locator('#approve:enabled').click();

  await loggedInAccount(page);
  // WeChat sends the tab to the return URL (the demo page itself), which learns from the first
  // page that it is that tab, and says so instead of starting another login.
  await tab.waitForURL(saoma.base + '/');
  await tab.locator('#status').getByText('微信登录已完成').waitFor();
  assert.equal(await tab.locator('#code').isHidden(), true);
  await screenshot(tab, 'website-5-returned-tab');
  assert.deepEqual(problems, []);
  await Promise.all([context.close(), phoneContext.close()]);
});

test('the phone simulator explains a website QR page that is unknown or gone', async () => {
  const { context, phone } = await newPhone();
  await phone.goto(saoma.base + '/sandbox/phone?state=nosuchstate&provider=website');
  await phone.locator('#result').getByText('二维码无效或已过期').waitFor();
  assert.equal(await phone.locator('#website-actions').isHidden(), true);
  await context.close();
});
