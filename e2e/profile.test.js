// The fill-in profile (头像昵称填写) on the mini-program's login page, rendered by
// miniprogram-simulate: once the browser's login is confirmed, the page offers WeChat's
// nickname input; Saoma has WeChat's content check (the sandbox's msg_sec_check, which refuses
// a text containing "违规") pass the nickname before it stores it.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startSaoma, postJson } = require('./lib/saoma');
const { WeChat, openLoginPage } = require('./lib/miniprogram');

let saoma;

before(async () => {
  saoma = await startSaoma({ SAOMA_LIMITS__POLL_INTERVAL_MS: '0' });
});

after(async () => {
  await (saoma && saoma.stop());
});

async function me(accessToken) {
  const res = await fetch(saoma.base + '/api/v1/me', { headers: { Authorization: 'Bearer ' + accessToken } });
  assert.equal(res.status, 200);
  return res.json();
}

/** A person whose WeChat gives no nickname scans a browser's code and confirms. */
async function loggedIn() {
  const created = await postJson(saoma.base + '/api/v1/scenes', { provider: 'mini_program' });
  const user = (await postJson(saoma.base + '/sandbox/api/users', { nickname: '微信用户' })).id;
  const wechat = new WeChat({ sandbox: saoma.base, user });
  const mp = await openLoginPage({ base: saoma.base, wechat, query: { scene: encodeURIComponent(created.scene) } });
  await mp.waitForText('在电脑上登录？');
  await mp.tap('确认登录');
  await mp.waitForText('登录成功');
  return mp;
}

/** The person types into the profile form's WeChat nickname input. */
function typeNickname(mp, value) {
  const form = mp.page.querySelector('#profile');
  assert.ok(form, 'the profile form is on screen: ' + mp.text());
  const input = form.querySelector('#nickname');
  const attrs = Object.fromEntries(input.toJSON().attrs.map((a) => [a.name, a.value]));
  assert.equal(attrs.type, 'nickname', "WeChat's nickname input: " + JSON.stringify(attrs));
  input.dispatchEvent('input', { detail: { value } });
}

test('after the login the page offers the nickname, and a nickname WeChat passes is saved', async () => {
  const mp = await loggedIn();
  assert.match(mp.text(), /设置昵称/);

  typeNickname(mp, '小程序昵称');
  await mp.tap('保存昵称');

  await mp.waitForText('昵称已保存：小程序昵称');
  const account = await me(mp.page.instance.session.access_token);
  assert.equal(account.profile.nickname, '小程序昵称');
});

test('a nickname WeChat refuses is not saved, and the page says why', async () => {
  const mp = await loggedIn();

  typeNickname(mp, '违规的昵称');
  await mp.tap('保存昵称');

  await mp.waitForText('这个昵称未通过微信的内容安全检测，请换一个');
  const account = await me(mp.page.instance.session.access_token);
  assert.equal(account.profile, undefined);
});

test("WeChat's placeholder 微信用户 is not a nickname", async () => {
  const mp = await loggedIn();

  typeNickname(mp, '微信用户');
  await mp.tap('保存昵称');

  await mp.waitForText('昵称需为 1 到 32 个字符，且不能是“微信用户”');
  assert.equal((await me(mp.page.instance.session.access_token)).profile, undefined);
});
