// The demo page at `/` in headless Chromium, the way a person uses it: read the code on the
// screen, open what it encodes in a second browser (the phone simulator), answer there, and
// watch the first page. Screenshots of every state go to target/screenshots/.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startSaoma } = require('./lib/saoma');
const { launch, readQr, screenshot, shownAccount } = require('./lib/browser');

const SHORT_TTL_SECONDS = 3;
const DESKTOP = { viewport: { width: 520, height: 820 }, locale: 'zh-CN' };
const PHONE = { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };

let saoma;
let shortLived;
let phoneRequired;
let browser;

before(async () => {
  [saoma, shortLived, phoneRequired, browser] = await Promise.all([
    startSaoma(),
    startSaoma({ SAOMA_LIMITS__SCENE_TTL_SECONDS: String(SHORT_TTL_SECONDS) }),
    startSaoma({ SAOMA_ACCOUNTS__REQUIRE_PHONE: 'true' }),
    launch(),
  ]);
});

after(async () => {
  await Promise.all([
    browser && browser.close(),
    saoma && saoma.stop(),
    shortLived && shortLived.stop(),
    phoneRequired && phoneRequired.stop(),
  ]);
});

/** A desktop page on `/`, failing the test on any CSP violation or script error. */
async function openDemo(base, options = DESKTOP) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('response', (r) => r.status() >= 400 && problems.push(r.status() + ' ' + r.url()));
  await page.goto(base + '/');
  return { context, page, problems };
}

const statusOf = (page) => page.locator('#status');

/** Read the code on screen: the URL a phone's camera would open. */
async function scanCode(page, base) {
  const code = page.locator('#code img');
  await code.waitFor();
  const url = await readQr(code);
  assert.ok(url.startsWith(base + '/sandbox/phone?scene='), url);
  return url;
}

/** The phone: open the code's URL in its own browser context. */
async function phoneOpens(url) {
  const context = await browser.newContext(PHONE);
  const phone = await context.newPage();
  await phone.goto(url);
  await phone.locator('#confirm:enabled').waitFor();
  return { context, phone };
}

test('scanning and confirming on the phone logs the page in', async () => {
  const { context, page, problems } = await openDemo(saoma.base);
  await statusOf(page).getByText('请使用微信扫一扫登录').waitFor();
  const alt = await page.locator('#code img').getAttribute('alt');
  assert.match(alt, /小程序码/);
  await screenshot(page, '1-pending');
  const url = await scanCode(page, saoma.base);

  const { context: phoneContext, phone } = await phoneOpens(url);
  await statusOf(page).getByText('扫码成功，请在手机上确认登录').waitFor();
  assert.match(await phone.locator('#question').textContent(), /Chrome/);
  assert.equal(await phone.locator('#requester-ip').textContent(), '127.0.0.1');
  await screenshot(page, '2-scanned');
  await screenshot(phone, 'phone-1-ask');
  await phone.locator('#confirm').click();

  await phone.locator('#result').getByText('已确认登录').waitFor();
  await statusOf(page).getByText('登录成功').waitFor();
  await page.locator('#account').waitFor();
  const account = await shownAccount(page);
  assert.ok(account.id);
  assert.equal(account.identities[0].provider, 'mini_program');
  assert.equal(await page.locator('#code img').count(), 0, 'the code is hidden once logged in');
  await screenshot(page, '3-confirmed');
  await screenshot(phone, 'phone-2-confirmed');
  assert.deepEqual(problems, []);
  await Promise.all([context.close(), phoneContext.close()]);
});

test('cancelling on the phone says so and offers a new code', async () => {
  const { context, page, problems } = await openDemo(saoma.base);
  const url = await scanCode(page, saoma.base);
  const { context: phoneContext, phone } = await phoneOpens(url);

  await phone.locator('#cancel').click();

  await statusOf(page).getByText('你已在手机上取消登录').waitFor();
  assert.equal(await page.locator('#code img').count(), 0, 'the dead code is hidden');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  assert.equal(focused, 'refresh', 'focus moves to the one thing left to do');
  await screenshot(page, '4-cancelled');
  assert.deepEqual(problems, []);
  await Promise.all([context.close(), phoneContext.close()]);
});

test('an expired code says so, and one key press brings a new one', async () => {
  const { context, page, problems } = await openDemo(shortLived.base);
  const first = await scanCode(page, shortLived.base);

  await statusOf(page).getByText('二维码已过期，请刷新').waitFor({ timeout: (SHORT_TTL_SECONDS + 10) * 1000 });
  assert.equal(await page.locator('#code img').count(), 0);
  await screenshot(page, '5-expired');
  await page.keyboard.press('Enter');

  await statusOf(page).getByText('请使用微信扫一扫登录').waitFor();
  const second = await scanCode(page, shortLived.base);
  assert.notEqual(second, first, 'a new scene, a new code');
  assert.deepEqual(problems, []);
  await context.close();
});

test('without Server-Sent Events the page polls, honouring interval and slow_down', async () => {
  const { context, page } = await openDemo(saoma.base);
  await context.route(/\/events$/, (route) => route.abort());
  const polls = [];
  let slowDownSent = false;
  await context.route(/\/api\/v1\/scenes\/[^/]+$/, async (route) => {
    polls.push(Date.now());
    if (!slowDownSent) {
      slowDownSent = true;
      return route.fulfill({
        status: 429,
        contentType: 'application/json',
        headers: { 'Retry-After': '1' },
        body: JSON.stringify({ code: 'slow_down', message: 'poll at most every interval seconds' }),
      });
    }
    return route.continue();
  });
  await page.reload();
  const url = await scanCode(page, saoma.base);
  const { context: phoneContext, phone } = await phoneOpens(url);
  await phone.locator('#confirm').click();

  await statusOf(page).getByText('登录成功').waitFor({ timeout: 30000 });
  await page.locator('#account').waitFor();
  assert.ok(polls.length >= 2, 'polled');
  // After slow_down the interval (2 s) doubles: the second poll waits at least 4 s.
  assert.ok(polls[1] - polls[0] >= 3900, 'slowed down: ' + (polls[1] - polls[0]) + ' ms');
  for (let i = 2; i < polls.length; i++) assert.ok(polls[i] - polls[i - 1] >= 1900, 'interval honoured');
  await Promise.all([context.close(), phoneContext.close()]);
});

test('need_phone: the page asks for a phone, the SMS code binds it, and the page logs in', async () => {
  const { context, page, problems } = await openDemo(phoneRequired.base);
  const url = await scanCode(page, phoneRequired.base);
  const { context: phoneContext, phone } = await phoneOpens(url);
  await phone.locator('#confirm').click();

  await statusOf(page).getByText('请绑定手机号以完成登录').waitFor();
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  assert.equal(focused, 'phone-number', 'focus goes to the phone field');
  await page.keyboard.type('13800138000');
  await page.locator('#send-sms').click();
  await screenshot(page, '6-need-phone');

  // The sandbox's SMS inbox plays the user's phone: read the code it was sent.
  let code;
  for (let i = 0; i < 50 && !code; i++) {
    const res = await fetch(phoneRequired.base + '/sandbox/api/sms?phone=%2B8613800138000');
    const { messages } = await res.json();
    code = messages.length ? messages[messages.length - 1].code : undefined;
    if (!code) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(code, /^\d{6}$/);
  const wrong = code === '000000' ? '111111' : '000000';
  await page.locator('#sms-code').fill(wrong);
  await page.locator('#bind-phone').click();
  await page.locator('#phone-message').getByText(/验证码|code/).waitFor();
  await page.locator('#sms-code').fill(code);
  await page.locator('#bind-phone').click();

  await statusOf(page).getByText('登录成功').waitFor();
  const account = await shownAccount(page);
  assert.equal(account.phone, '+8613800138000');
  await screenshot(page, '6-need-phone-bound');
  // The wrong code's 400 (as a response and as the console's note of it) is the one expected.
  const expected = (p) => /^400 .*\/api\/v1\/phone\/bind$/.test(p) || /status of 400/.test(p);
  assert.equal(problems.filter((p) => /^400 /.test(p)).length, 1, problems.join('\n'));
  assert.deepEqual(problems.filter((p) => !expected(p)), []);
  await Promise.all([context.close(), phoneContext.close()]);
});

test('need_phone: the phone shares its number (getPhoneNumber) and the page logs in', async () => {
  const { context, page, problems } = await openDemo(phoneRequired.base);
  const url = await scanCode(page, phoneRequired.base);
  const { context: phoneContext, phone } = await phoneOpens(url);
  // A WeChat user of its own: the phone picks the sandbox's latest user, who may have a number.
  const before = await phone.locator('#user-select').inputValue();
  await phone.locator('#new-user').click();
  await phone.waitForFunction((old) => document.getElementById('user-select').value !== old, before);
  await phone.locator('#confirm').click();

  await statusOf(page).getByText('请绑定手机号以完成登录').waitFor();
  await phone.locator('#result').getByText('请授权手机号').waitFor();
  await screenshot(phone, 'phone-3-need-phone');
  // The first try gets no answer (the phone's network drops): the same button tries again.
  await phoneContext.route(/\/api\/v1\/mini-program\/phone$/, (route) => route.abort('internetdisconnected'), { times: 1 });
  await phone.locator('#share-phone').click();
  await phone.locator('#result').getByText('网络错误').waitFor();
  await phone.locator('#share-phone:enabled').click();

  await phone.locator('#result').getByText('登录成功').waitFor();
  await statusOf(page).getByText('登录成功').waitFor();
  const account = await shownAccount(page);
  assert.match(account.phone, /^\+86139\d{8}$/, 'the number WeChat vouched for');
  assert.equal(account.identities[0].provider, 'mini_program');
  await screenshot(page, '6-need-phone-shared');
  await screenshot(phone, 'phone-4-phone-shared');
  assert.deepEqual(problems, []);
  await Promise.all([context.close(), phoneContext.close()]);
});

test('a browser that prefers English gets English', async () => {
  const { context, page, problems } = await openDemo(saoma.base, { ...DESKTOP, locale: 'en-US' });

  await statusOf(page).getByText('Scan the code with WeChat to log in').waitFor();

  assert.equal(await page.locator('h1').textContent(), 'Log in with WeChat');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.locator('#code img').getAttribute('alt'), /scan with WeChat/);
  assert.equal(await page.locator('[role=tab][aria-selected=true]').textContent(), 'Mini-program');
  await screenshot(page, '7-pending-en');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a logged-in person exports their data and deletes the account from the page', async () => {
  const { context, page, problems } = await openDemo(saoma.base);
  const url = await scanCode(page, saoma.base);
  const { context: phoneContext, phone } = await phoneOpens(url);
  await phone.locator('#confirm').click();
  await page.locator('#account').waitFor();

  await page.locator('#export-me').click();
  await page.locator('#account-json').getByText('account.created').waitFor();
  const exported = JSON.parse(await page.locator('#account-json').textContent());
  assert.ok(exported.events.some((e) => e.type === 'login.succeeded'));
  await screenshot(page, '8-export');

  page.once('dialog', (dialog) => dialog.accept());
  await page.locator('#delete-me').click();
  await page.locator('#account-message').getByText('账号已注销').waitFor();
  assert.equal(await page.locator('#account-fields dt').count(), 0, 'the account is no longer shown');
  await screenshot(page, '9-deleted');
  assert.deepEqual(problems, []);
  await Promise.all([context.close(), phoneContext.close()]);
});

test('a refused login says why on the page (sign-up closed)', async () => {
  const closed = await startSaoma({ SAOMA_ACCOUNTS__SIGN_UP: 'provisioned_only' });
  try {
    const { context, page } = await openDemo(closed.base);
    const url = await scanCode(page, closed.base);
    const { context: phoneContext, phone } = await phoneOpens(url);
    await phone.locator('#confirm').click();
    await statusOf(page).getByText('本服务仅限受邀用户登录').waitFor();
    await screenshot(page, '10-refused');
    await Promise.all([context.close(), phoneContext.close()]);
  } finally {
    await closed.stop();
  }
});
