// The mini-program's login page (miniprogram/pages/login) driven in Node against a real Saoma:
// the page's own code, a stand-in `wx` whose request is real HTTP and whose login comes from
// the sandbox.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const { startSaoma, freePort, postJson } = require('./lib/saoma');
const { loadLoginPage } = require('./lib/wx');

const DESKTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';
const SHORT_TTL_SECONDS = 1;

let saoma;
let shortLived;

before(async () => {
  // These tests play a browser that polls right after each phone step, faster than
  // `interval`: slow_down (limits.poll_interval_ms) is off for them.
  const fastPolls = { SAOMA_LIMITS__POLL_INTERVAL_MS: '0' };
  [saoma, shortLived] = await Promise.all([
    startSaoma(fastPolls),
    startSaoma({ ...fastPolls, SAOMA_LIMITS__SCENE_TTL_SECONDS: String(SHORT_TTL_SECONDS) }),
  ]);
});

after(async () => {
  await Promise.all([saoma && saoma.stop(), shortLived && shortLived.stop()]);
});

/** What the browser does: create a scene (with characters that the code URL-encodes). */
async function browserCreatesScene(base) {
  const scene = 'mp:' + randomBytes(6).toString('hex') + '/*!';
  const res = await fetch(base + '/api/v1/scenes', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': DESKTOP_UA },
    body: JSON.stringify({ provider: 'mini_program', scene }),
  });
  assert.equal(res.status, 201);
  return res.json();
}

async function browserPolls(base, created) {
  const res = await fetch(base + '/api/v1/scenes/' + encodeURIComponent(created.scene), {
    headers: { 'X-Poll-Token': created.poll_token },
  });
  return { status: res.status, body: await res.json() };
}

async function newUser(base, nickname) {
  return (await postJson(base + '/sandbox/api/users', { nickname })).id;
}

/** How WeChat opens the page from a code: the scene arrives URL-encoded in `query.scene`. */
const queryFor = (scene) => ({ scene: encodeURIComponent(scene) });

test('a whole login: the page shows the requester, Confirm logs the browser in', async () => {
  const created = await browserCreatesScene(saoma.base);
  const user = await newUser(saoma.base, '小程序用户');
  const { page } = loadLoginPage({ base: saoma.base, user });

  await page.onLoad(queryFor(created.scene));

  assert.equal(page.data.state, 'ask');
  assert.equal(page.data.scene, created.scene);
  assert.equal(page.data.browser, 'Chrome · Windows');
  assert.equal(page.data.ip, '127.0.0.1');
  assert.equal((await browserPolls(saoma.base, created)).body.status, 'scanned');

  await page.onConfirm();

  assert.equal(page.data.state, 'confirmed');
  assert.match(page.data.message, /登录成功/);
  const polled = await browserPolls(saoma.base, created);
  assert.equal(polled.body.status, 'confirmed');
  assert.ok(polled.body.tokens.access_token, 'the browser picks up its tokens');
  const me = await fetch(saoma.base + '/api/v1/me', {
    headers: { Authorization: 'Bearer ' + polled.body.tokens.access_token },
  }).then((r) => r.json());
  const mine = await fetch(saoma.base + '/api/v1/me', {
    headers: { Authorization: 'Bearer ' + page.session.access_token },
  }).then((r) => r.json());
  assert.equal(me.id, mine.id, 'the browser and the mini-program share one account');
  assert.equal(me.identities[0].provider, 'mini_program');
});

test('Cancel refuses the browser login', async () => {
  const created = await browserCreatesScene(saoma.base);
  const user = await newUser(saoma.base, '取消的人');
  const { page } = loadLoginPage({ base: saoma.base, user });
  await page.onLoad(queryFor(created.scene));

  await page.onCancel();

  assert.equal(page.data.state, 'cancelled');
  assert.match(page.data.message, /取消/);
  const polled = await browserPolls(saoma.base, created);
  assert.equal(polled.body.status, 'cancelled');
  assert.equal(polled.body.tokens, undefined);
});

test('an expired scene says so, on opening and on confirming late', async () => {
  const opened = await browserCreatesScene(shortLived.base);
  const lingering = await browserCreatesScene(shortLived.base);
  const user = await newUser(shortLived.base, '太慢的人');
  const late = loadLoginPage({ base: shortLived.base, user }).page;
  await late.onLoad(queryFor(lingering.scene));
  assert.equal(late.data.state, 'ask');

  await new Promise((r) => setTimeout(r, SHORT_TTL_SECONDS * 1000 + 600));
  const { page } = loadLoginPage({ base: shortLived.base, user });
  await page.onLoad(queryFor(opened.scene));
  await late.onConfirm();

  for (const p of [page, late]) {
    assert.equal(p.data.state, 'expired');
    assert.match(p.data.message, /二维码已过期/);
    assert.equal(p.data.retry, false);
  }
  assert.equal((await browserPolls(shortLived.base, lingering)).body.code, 'scene_expired');
});

test('a network error offers Retry, which works once the server is back', async () => {
  const created = await browserCreatesScene(saoma.base);
  const user = await newUser(saoma.base, '断网的人');
  const nobody = 'http://127.0.0.1:' + (await freePort());
  const { page, api } = loadLoginPage({ base: nobody, sandbox: saoma.base, user });

  await page.onLoad(queryFor(created.scene));

  assert.equal(page.data.state, 'error');
  assert.match(page.data.message, /网络连接失败/);
  assert.equal(page.data.retry, true);

  api.setBaseUrl(saoma.base);
  await page.onRetry();

  assert.equal(page.data.state, 'ask');
});

test('a failing wx.login shows a WeChat error and spends nothing', async () => {
  const created = await browserCreatesScene(saoma.base);
  const { page } = loadLoginPage({
    base: saoma.base,
    login: ({ fail }) => fail({ errMsg: 'login:fail timeout', errno: 1 }),
  });
  await page.onLoad(queryFor(created.scene));

  await page.onConfirm();

  assert.equal(page.data.state, 'error');
  assert.match(page.data.message, /微信登录失败/);
  assert.equal((await browserPolls(saoma.base, created)).body.status, 'scanned');
});

test('a code WeChat refuses is reported as an invalid login code', async () => {
  const created = await browserCreatesScene(saoma.base);
  const { page } = loadLoginPage({
    base: saoma.base,
    login: ({ success }) => success({ code: 'not-a-real-code', errMsg: 'login:ok' }),
  });
  await page.onLoad(queryFor(created.scene));

  await page.onConfirm();

  assert.equal(page.data.state, 'error');
  assert.match(page.data.message, /凭证无效/);
});

test('opening the page without a scene explains what to do', async () => {
  const { page } = loadLoginPage({ base: saoma.base });

  await page.onLoad({});

  assert.equal(page.data.state, 'error');
  assert.match(page.data.message, /扫描电脑上的二维码/);
});

test('refusing to share the phone number explains that it is needed', async () => {
  const { page } = loadLoginPage({ base: saoma.base });
  page.setData({ state: 'need_phone' });

  await page.onGetPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } });
  const denied = page.data.message;
  await page.onGetPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail', errno: 1400001 } });

  assert.equal(page.data.state, 'need_phone');
  assert.match(denied, /需要授权手机号/);
  assert.match(page.data.message, /次数已用完/);
});
