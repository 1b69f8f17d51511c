// The admin console at /admin/ in headless Chromium, as an operator uses it: log in with WeChat
// through Saoma's own OpenID Provider (the phone simulator confirms as the admin, whose phone
// number is in [admin]), find a user, disable, enable, end their sessions, delete them with a
// typed confirmation; a person who is no admin is told so. Screenshots at desktop width and at
// 375 px go to e2e/screenshots/ (not committed).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startSaoma, postJson } = require('./lib/saoma');
const { launch, readQr } = require('./lib/browser');

const ADMIN_PHONE = '+8613800138000';
const SHOTS = path.join(__dirname, 'screenshots');
const DESKTOP = { viewport: { width: 1100, height: 900 }, locale: 'zh-CN' };
const PHONE = { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };

let saoma;
let browser;

before(async () => {
  [saoma, browser] = await Promise.all([
    startSaoma({ SAOMA_ADMIN__PHONES: JSON.stringify([ADMIN_PHONE]) }),
    launch(),
  ]);
});

after(async () => {
  await Promise.all([browser && browser.close(), saoma && saoma.stop()]);
});

async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
}

/** A sandbox user who logged in once on the mini-program, with `phone` bound if given. */
async function person(nickname, phone) {
  const user = await postJson(saoma.base + '/sandbox/api/users', { nickname });
  const { code } = await postJson(saoma.base + '/sandbox/api/wx-login', { user: user.id });
  const login = await postJson(saoma.base + '/api/v1/mini-program/login', { code, approve: true });
  if (phone) {
    const given = await postJson(saoma.base + '/sandbox/api/phone-code', { user: user.id, phone });
    const res = await fetch(saoma.base + '/api/v1/mini-program/phone', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + login.tokens.access_token },
      body: JSON.stringify({ code: given.code }),
    });
    assert.equal(res.status, 200);
  }
  return { user: user.id, account: login.account.id, accessToken: login.tokens.access_token };
}

/** The mini-program's direct login of `user`: its HTTP status. */
async function miniProgramLogin(user) {
  const { code } = await postJson(saoma.base + '/sandbox/api/wx-login', { user });
  const res = await fetch(saoma.base + '/api/v1/mini-program/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, approve: true }),
  });
  return res.status;
}

/** A console page that fails the test on any script error or CSP violation. */
async function openConsole(options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(saoma.base + '/admin/');
  return { context, page, problems };
}

/** Log in from the console: the hosted login page's code, scanned by the phone simulator as
 *  `user`, who confirms. */
async function logIn(page, user) {
  await page.locator('#login-button').click();
  const code = page.locator('#code img');
  await code.waitFor();
  const phoneContext = await browser.newContext(PHONE);
  const phone = await phoneContext.newPage();
  await phone.goto(await readQr(code));
  await phone.locator('#user-select').selectOption(user);
  await phone.locator('#confirm:enabled').waitFor();
  await phone.locator('#confirm').click();
  await page.waitForURL(saoma.base + '/admin/');
  await phoneContext.close();
}

const message = (page) => page.locator('#message');

/** Run `steps` on `page`; on a failure, a screenshot and what the page said join the error. */
async function watched(page, name, steps) {
  try {
    await steps();
  } catch (e) {
    await shot(page, name + '-failure').catch(() => {});
    const said = await message(page).textContent().catch(() => '?');
    e.message += '\n  at ' + page.url() + ', the page says: ' + JSON.stringify(said);
    throw e;
  }
}

test('an admin finds a user, disables, enables, ends their sessions and deletes them', async () => {
  const admin = await person('管理员', ADMIN_PHONE);
  const target = await person('目标用户', '+8613700137000');
  const { context, page, problems } = await openConsole(DESKTOP);
  await watched(page, 'admin-console', async () => {
    await page.locator('#login').waitFor();
    await shot(page, 'admin-console-login');

    // The list the console shows after the login answers late: it must not replace the
    // search the operator makes meanwhile.
    const everyone = /\/admin\/v1\/accounts\?limit=20$/;
    await page.route(everyone, async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue().catch(() => {});
    });
    const lateList = page.waitForResponse(everyone);
    await logIn(page, admin.user);
    await page.locator('#search').waitFor();
    assert.equal(await page.locator('#whoami').getAttribute('title'), admin.account);

    // The mini-program gives no nickname: the operator searches by the phone number.
    await page.locator('#query').fill('137 0013 7000');
    await page.locator('#search-button').click();
    const found = page.locator(`#results button[data-account="${target.account}"]`);
    await found.waitFor();
    await lateList;
    await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
    await page.unroute(everyone);
    assert.equal(await page.locator('#results li').count(), 1, 'only the matching account');
    await shot(page, 'admin-console-search');
    await found.click();
    await page.locator('#account').waitFor();
    assert.match(await page.locator('#account-fields').textContent(), new RegExp(target.account));
    const lastLogin = page.locator('#account-fields dt:text-is("最近登录") + dd');
    assert.match(await lastLogin.textContent(), /\d{2}:\d{2}:\d{2}/, 'its mini-program login');
    assert.match(await page.locator('#identities').textContent(), /mini_program/);
    assert.match(await page.locator('#sessions').textContent(), /Saoma API/, 'its mini-program session');
    assert.match(await page.locator('#events').textContent(), /login\.succeeded/);
    await shot(page, 'admin-console-account');

    // Disable, with a reason: the person can no longer log in.
    await page.locator('#disable-reason').fill('spam report 42');
    await page.locator('#disable').click();
    await page.locator('#account-state[data-disabled="true"]').waitFor();
    assert.match(await message(page).textContent(), /已停用，结束了 1 个会话/);
    assert.match(await page.locator('#account-fields').textContent(), /spam report 42/);
    assert.equal(await miniProgramLogin(target.user), 403, 'a disabled account logs in no more');
    await shot(page, 'admin-console-disabled');

    // Enable: they log in again, which opens a session; then end it.
    await page.locator('#enable').click();
    await page.locator('#account-state[data-disabled="false"]').waitFor();
    assert.match(await message(page).textContent(), /已启用/);
    assert.equal(await miniProgramLogin(target.user), 200);
    await page.locator('#back').click();
    await found.click();
    await page.locator('#sessions').getByText('Saoma API').waitFor();
    await page.locator('#end-sessions').click();
    await page.locator('#message').getByText('结束了 1 个会话').waitFor();
    await page.locator('#sessions td.empty').waitFor();

    // Delete: only once the account id is typed.
    assert.equal(await page.locator('#delete').isDisabled(), true);
    await page.locator('#delete-confirm').fill('not-the-id');
    assert.equal(await page.locator('#delete').isDisabled(), true);
    await page.locator('#delete-confirm').fill(target.account);
    assert.equal(await page.locator('#delete').isDisabled(), false);
    await page.locator('#delete').click();
    await page.locator('#message').getByText('账号已删除').waitFor();
    await page.locator('#search').waitFor();
    assert.equal(await found.count(), 0, 'gone from the list');
    const me = await fetch(saoma.base + '/api/v1/me', { headers: { Authorization: 'Bearer ' + target.accessToken } });
    assert.equal(me.status, 401, 'the account is gone');

    // The same console at 375 px: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.locator('#query').fill('');
    await page.locator('#search-button').click();
    await page.locator(`#results button[data-account="${admin.account}"]`).click();
    await page.locator('#account').waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, 'the page is ' + width + ' px wide at 375');
    await shot(page, 'admin-console-account-375');
    await page.locator('#back').click();
    await page.locator('#search').waitFor();
    await shot(page, 'admin-console-search-375');
  });
  assert.deepEqual(problems, []);
  await context.close();
});

test('a person who is no admin is told so', async () => {
  const someone = await person('路人', '+8613900139000');
  const { context, page, problems } = await openConsole({ viewport: { width: 375, height: 812 }, locale: 'en-US' });
  await page.locator('#login').waitFor();
  await logIn(page, someone.user);
  await page.locator('#not-admin').waitFor();
  assert.equal(await page.locator('#not-admin h1').textContent(), 'You are not an admin');
  assert.equal(await page.locator('#search').isHidden(), true);
  assert.equal(new URL(page.url()).search, '', 'the code left the address bar');
  await shot(page, 'admin-console-not-admin-375');
  assert.deepEqual(problems, []);
  await context.close();
});
