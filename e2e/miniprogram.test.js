// The mini-program's login page (miniprogram/pages/login) rendered by miniprogram-simulate and
// used as a person would: read the screen, tap 确认登录 / 取消 / the phone button. WeChat is
// played by lib/miniprogram.js: real HTTP to a running Saoma, codes from its sandbox.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { startSaoma, freePort, postJson } = require('./lib/saoma');
const { WeChat, openLoginPage, ROOT } = require('./lib/miniprogram');

const DESKTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';
const SHORT_TTL_SECONDS = 1;

const CONFIRMED = '登录成功，请回到电脑继续';
const PHONE_BUTTON = '授权手机号并登录';

let saoma;
let shortLived;
let phoneRequired;

before(async () => {
  // These tests play a browser that polls right after each phone step, faster than
  // `interval`: slow_down (limits.poll_interval_ms) is off for them.
  const fastPolls = { SAOMA_LIMITS__POLL_INTERVAL_MS: '0' };
  [saoma, shortLived, phoneRequired] = await Promise.all([
    startSaoma(fastPolls),
    startSaoma({ ...fastPolls, SAOMA_LIMITS__SCENE_TTL_SECONDS: String(SHORT_TTL_SECONDS) }),
    startSaoma({ ...fastPolls, SAOMA_ACCOUNTS__REQUIRE_PHONE: 'true' }),
  ]);
});

after(async () => {
  await Promise.all([saoma && saoma.stop(), shortLived && shortLived.stop(), phoneRequired && phoneRequired.stop()]);
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

async function me(base, accessToken) {
  const res = await fetch(base + '/api/v1/me', { headers: { Authorization: 'Bearer ' + accessToken } });
  assert.equal(res.status, 200);
  return res.json();
}

/** A person with WeChat: a new sandbox user of `base`'s sandbox. */
async function person(base, nickname, options = {}) {
  const user = (await postJson(base + '/sandbox/api/users', { nickname })).id;
  return new WeChat({ sandbox: base, user, ...options });
}

/** How WeChat opens the page from a code: the scene arrives URL-encoded in `query.scene`. */
const queryFor = (scene) => ({ scene: encodeURIComponent(scene) });

/** Scan the browser's code: the page opens on the requester, ready for 确认登录. */
async function scan(base, wechat, created) {
  const mp = await openLoginPage({ base, wechat, query: queryFor(created.scene) });
  await mp.waitForText('在电脑上登录？');
  return mp;
}

test('a whole login: the page shows the requester, 确认登录 logs the browser in', async () => {
  const created = await browserCreatesScene(saoma.base);
  const wechat = await person(saoma.base, '小程序用户');

  const mp = await scan(saoma.base, wechat, created);

  assert.match(mp.text(), /浏览器 Chrome · Windows/);
  assert.match(mp.text(), /IP 地址 127\.0\.0\.1/);
  assert.deepEqual(mp.labels(), ['确认登录', '取消']);
  assert.equal((await browserPolls(saoma.base, created)).body.status, 'scanned');

  await mp.tap('确认登录');

  await mp.waitForText(CONFIRMED);
  assert.deepEqual(mp.labels(), [], 'nothing left to tap');
  const polled = await browserPolls(saoma.base, created);
  assert.equal(polled.body.status, 'confirmed');
  const account = await me(saoma.base, polled.body.tokens.access_token);
  assert.equal(account.identities[0].provider, 'mini_program');
  assert.equal(account.id, (await me(saoma.base, mp.page.instance.session.access_token)).id,
    'the browser and the mini-program share one account');
});

test('取消 refuses the browser login', async () => {
  const created = await browserCreatesScene(saoma.base);
  const mp = await scan(saoma.base, await person(saoma.base, '取消的人'), created);

  await mp.tap('取消');

  await mp.waitForText('已取消登录');
  const polled = await browserPolls(saoma.base, created);
  assert.equal(polled.body.status, 'cancelled');
  assert.equal(polled.body.tokens, undefined);
});

test('an expired code says so, on opening and on confirming late; no Retry', async () => {
  const opened = await browserCreatesScene(shortLived.base);
  const lingering = await browserCreatesScene(shortLived.base);
  const wechat = await person(shortLived.base, '太慢的人');
  const late = await scan(shortLived.base, wechat, lingering);

  await new Promise((r) => setTimeout(r, SHORT_TTL_SECONDS * 1000 + 600));
  const mp = await openLoginPage({ base: shortLived.base, wechat, query: queryFor(opened.scene) });
  await late.tap('确认登录');

  for (const page of [mp, late]) {
    await page.waitForText('二维码已过期，请在电脑上刷新二维码后重新扫码');
    assert.deepEqual(page.labels(), []);
  }
  assert.equal((await browserPolls(shortLived.base, lingering)).body.code, 'scene_expired');
});

test('a code the server does not know is worded from its error code, not as a missing feature', async () => {
  const mp = await openLoginPage({
    base: saoma.base,
    wechat: await person(saoma.base, '扫了旧码的人'),
    query: queryFor('mp:never-created-' + randomBytes(4).toString('hex')),
  });

  await mp.waitForText('二维码已过期');
  assert.doesNotMatch(mp.text(), /暂不支持/);
});

test('opening the page without a scene explains what to do', async () => {
  const mp = await openLoginPage({ base: saoma.base, wechat: await person(saoma.base, '无码'), query: {} });

  await mp.waitForText('请用微信扫描电脑上的二维码');
  assert.deepEqual(mp.labels(), []);
});

test('no network on opening: 重试 scans again once the server answers', async () => {
  const created = await browserCreatesScene(saoma.base);
  const nobody = 'http://127.0.0.1:' + (await freePort());
  const wechat = await person(saoma.base, '断网的人');
  const mp = await openLoginPage({ base: nobody, wechat, query: queryFor(created.scene) });

  await mp.waitForText('网络连接失败，请检查网络后重试');
  assert.deepEqual(mp.labels(), ['重试']);

  mp.api.setBaseUrl(saoma.base);
  await mp.tap('重试');

  await mp.waitForText('在电脑上登录？');
  assert.equal((await browserPolls(saoma.base, created)).body.status, 'scanned');
});

test('no network on 确认登录: 重试 confirms (it does not scan again)', async () => {
  const created = await browserCreatesScene(saoma.base);
  const mp = await scan(saoma.base, await person(saoma.base, '确认时断网'), created);
  mp.api.setBaseUrl('http://127.0.0.1:' + (await freePort()));

  await mp.tap('确认登录');
  await mp.waitForText('网络连接失败');
  mp.api.setBaseUrl(saoma.base);
  await mp.tap('重试');

  await mp.waitForText(CONFIRMED);
  assert.equal((await browserPolls(saoma.base, created)).body.status, 'confirmed');
});

test('wx.login failing is a WeChat login failure, spends nothing, and 重试 logs in', async () => {
  const created = await browserCreatesScene(saoma.base);
  const wechat = await person(saoma.base, '微信断网');
  const mp = await scan(saoma.base, wechat, created);
  // WeChat's own servers are out of reach: wx.login fails.
  wechat.sandbox = 'http://127.0.0.1:' + (await freePort());

  await mp.tap('确认登录');

  await mp.waitForText('微信登录失败，请重试');
  assert.equal((await browserPolls(saoma.base, created)).body.status, 'scanned');
  wechat.sandbox = saoma.base;
  await mp.tap('重试');
  await mp.waitForText(CONFIRMED);
});

test('a login code WeChat refuses is reported as an invalid login code', async () => {
  const created = await browserCreatesScene(saoma.base);
  // A code from another WeChat (another Saoma's sandbox) means nothing to this server's.
  const stranger = await person(phoneRequired.base, '别处的用户');
  const mp = await scan(saoma.base, stranger, created);

  await mp.tap('确认登录');

  await mp.waitForText('微信登录凭证无效或已过期，请重试');
  assert.deepEqual(mp.labels(), ['重试']);
});

/** Scan a `need_phone` server's code and confirm: the page asks for the phone number. */
async function reachPhoneStep(wechat) {
  const created = await browserCreatesScene(phoneRequired.base);
  const mp = await scan(phoneRequired.base, wechat, created);
  await mp.tap('确认登录');
  await mp.waitForText('首次登录需要绑定手机号');
  assert.deepEqual(mp.labels(), [PHONE_BUTTON]);
  assert.equal((await browserPolls(phoneRequired.base, created)).body.status, 'need_phone');
  return { created, mp };
}

/** The browser, polling, ends confirmed with tokens for the account that has the number. */
async function browserLoggedInWithPhone(created) {
  const polled = await browserPolls(phoneRequired.base, created);
  assert.equal(polled.body.status, 'confirmed');
  const account = await me(phoneRequired.base, polled.body.tokens.access_token);
  assert.match(account.phone, /^\+86139\d{8}$/);
  return account;
}

test('need_phone: the privacy popup, then the phone button confirms the browser login', async () => {
  const wechat = await person(phoneRequired.base, '要手机号的人');
  const { created, mp } = await reachPhoneStep(wechat);

  const { done } = await mp.tapAndWait(PHONE_BUTTON, '隐私保护提示');
  assert.deepEqual(wechat.privacyPrompts, ['button.getPhoneNumber']);
  assert.match(mp.text(), /《Saoma 小程序隐私保护指引》/);
  await mp.tap('同意');
  await done;

  await mp.waitForText(CONFIRMED);
  await browserLoggedInWithPhone(created);
});

test('refusing the privacy agreement (errno 104) says so, and the phone button asks again', async () => {
  const wechat = await person(phoneRequired.base, '先拒绝隐私的人');
  const { created, mp } = await reachPhoneStep(wechat);

  const refused = await mp.tapAndWait(PHONE_BUTTON, '隐私保护提示');
  await mp.tap('拒绝');
  await refused.done;
  await mp.waitForText('需要先同意隐私保护指引才能授权手机号');
  assert.doesNotMatch(mp.text(), /需要授权手机号才能/);
  assert.deepEqual(mp.labels(), [PHONE_BUTTON]);

  const agreed = await mp.tapAndWait(PHONE_BUTTON, '隐私保护提示');
  await mp.tap('同意');
  await agreed.done;
  await mp.waitForText(CONFIRMED);
  await browserLoggedInWithPhone(created);
});

test('refusing to share the number keeps the phone button', async () => {
  const wechat = await person(phoneRequired.base, '不给手机号的人', { privacyAgreed: true });
  const { created, mp } = await reachPhoneStep(wechat);

  wechat.phoneAnswer = 'deny';
  await mp.tap(PHONE_BUTTON);
  await mp.waitForText('需要授权手机号才能完成登录');
  assert.deepEqual(mp.labels(), [PHONE_BUTTON]);
  assert.equal((await browserPolls(phoneRequired.base, created)).body.status, 'need_phone');

  wechat.phoneAnswer = 'allow';
  await mp.tap(PHONE_BUTTON);
  await mp.waitForText(CONFIRMED);
  await browserLoggedInWithPhone(created);
});

test('WeChat\'s phone quota spent (errno 1400001): an SMS code on the same page finishes the login', async () => {
  const wechat = await person(phoneRequired.base, '额度用完的人', { privacyAgreed: true });
  const { created, mp } = await reachPhoneStep(wechat);
  await postJson(phoneRequired.base + '/sandbox/api/phone-quota', { left: 0 });
  try {
    await mp.tap(PHONE_BUTTON);
    await mp.waitForText('请用短信验证码绑定手机号');
    assert.deepEqual(mp.labels(), ['获取验证码']);
    assert.equal((await browserPolls(phoneRequired.base, created)).body.status, 'need_phone');

    mp.type('sms-phone', '12');
    await mp.tap('获取验证码');
    await mp.waitForText('请输入正确的手机号');
    const phone = '+86139' + String(Date.now()).slice(-8);
    mp.type('sms-phone', phone);
    await mp.tap('获取验证码');
    await mp.waitForText('验证码已发送至 ' + phone);
    const inbox = await (await fetch(phoneRequired.base + '/sandbox/api/sms?phone=' + encodeURIComponent(phone))).json();
    const { code } = inbox.messages[inbox.messages.length - 1];
    mp.type('sms-code', code === '000000' ? '111111' : '000000');
    await mp.tap('验证并登录');
    await mp.waitForText('验证码不正确，请重新输入');
    mp.type('sms-code', code);
    await mp.tap('验证并登录');

    await mp.waitForText(CONFIRMED);
    const polled = await browserPolls(phoneRequired.base, created);
    assert.equal(polled.body.status, 'confirmed');
    assert.equal((await me(phoneRequired.base, polled.body.tokens.access_token)).phone, phone);
  } finally {
    await postJson(phoneRequired.base + '/sandbox/api/phone-quota', { left: 1000 });
  }
});

test('an expired phone code is worded as such, and a new tap finishes the login', async () => {
  const wechat = await person(phoneRequired.base, '手机号码过期', { privacyAgreed: true });
  const { created, mp } = await reachPhoneStep(wechat);
  // The person leaves WeChat's sheet open for more than 5 minutes: the code is dead on arrival.
  wechat.onPhoneCode = async () => {
    wechat.onPhoneCode = null;
    await postJson(phoneRequired.base + '/sandbox/api/clock', { seconds: 301 });
  };

  await mp.tap(PHONE_BUTTON);

  await mp.waitForText('手机号授权已失效，请重新授权手机号');
  assert.doesNotMatch(mp.text(), /微信登录/);
  assert.deepEqual(mp.labels(), [PHONE_BUTTON]);
  await mp.tap(PHONE_BUTTON);
  await mp.waitForText(CONFIRMED);
  await browserLoggedInWithPhone(created);
});

test('no network at the phone step: the phone button is the retry, never a new scan', async () => {
  const wechat = await person(phoneRequired.base, '绑定时断网', { privacyAgreed: true });
  const { created, mp } = await reachPhoneStep(wechat);
  mp.api.setBaseUrl('http://127.0.0.1:' + (await freePort()));

  await mp.tap(PHONE_BUTTON);

  await mp.waitForText('网络连接失败，请检查网络后重新授权手机号');
  assert.deepEqual(mp.labels(), [PHONE_BUTTON]);
  mp.api.setBaseUrl(phoneRequired.base);
  await mp.tap(PHONE_BUTTON);
  await mp.waitForText(CONFIRMED);
  await browserLoggedInWithPhone(created);
});

test('the server address comes from the config file of the build\'s environment', () => {
  const config = path.join(ROOT, 'config');
  const fresh = (file) => {
    delete require.cache[require.resolve(file)];
    return require(file);
  };
  const saved = global.wx;
  try {
    for (const env of ['develop', 'trial', 'release']) {
      global.wx = { getAccountInfoSync: () => ({ miniProgram: { appId: 'wx0', envVersion: env, version: '' } }) };
      const chosen = fresh(path.join(config, 'index.js')).current();
      assert.equal(chosen.envVersion, env);
      assert.equal(chosen.baseUrl, fresh(path.join(config, env + '.js')).baseUrl);
    }
    const urls = ['develop', 'trial', 'release'].map((env) => require(path.join(config, env + '.js')).baseUrl);
    assert.equal(new Set(urls).size, 3, 'each environment has its own server');
    assert.ok(urls.slice(1).every((u) => u.startsWith('https://')), 'trial and release need https');
  } finally {
    global.wx = saved;
  }
});

test('in Moments single-page mode (scene 1154) the page says how to open the full mini-program and logs nothing in', async () => {
  const created = await browserCreatesScene(saoma.base);
  const onMoments = await person(saoma.base, '朋友圈用户', { launchScene: 1154 });
  const mp = await openLoginPage({ base: saoma.base, wechat: onMoments, query: queryFor(created.scene) });
  await mp.waitForText('朋友圈单页模式');
  assert.match(mp.text(), /前往小程序/);
  assert.deepEqual(mp.labels(), [], 'no button that single-page mode would disable');
  assert.equal(onMoments.logins, 0, 'wx.login is not called');
  const polled = await browserPolls(saoma.base, created);
  assert.equal(polled.body.status, 'pending', 'the scene is untouched');

  // 前往小程序: WeChat opens the same page with the same query in the full mini-program.
  const full = new WeChat({ sandbox: saoma.base, user: onMoments.user });
  const opened = await openLoginPage({ base: saoma.base, wechat: full, query: queryFor(created.scene) });
  await opened.waitForText('在电脑上登录？');
  await opened.tap('确认登录');
  await opened.waitForText(CONFIRMED);
  assert.equal(full.logins, 1);
});
