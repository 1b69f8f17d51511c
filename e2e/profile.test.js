// The fill-in profile (头像昵称填写) on the mini-program's login page, rendered by
// miniprogram-simulate: once the browser's login is confirmed, the page offers WeChat's avatar
// button and nickname input; Saoma has WeChat's content checks pass them (the sandbox's
// msg_sec_check refuses a text containing "违规"; its media_check_async answers when the test
// delivers a verdict) before it shows them.
const { test, before, after } = require('node:test');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');
const { startSaoma, postJson } = require('./lib/saoma');
const { WeChat, openLoginPage } = require('./lib/miniprogram');
const { launch } = require('./lib/browser');

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
  wechats.set(mp, wechat);
  return mp;
}

/** The WeChat of the person on `mp`'s page. */
const wechats = new Map();
const wechatOf = (mp) => wechats.get(mp);

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
  assert.match(mp.text(), /设置头像和昵称/);

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

// A 1x1 PNG, as WeChat's chooseAvatar sheet leaves a temporary file.
const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

test('the chosen avatar is uploaded, pending until WeChat passes it', async () => {
  const mp = await loggedIn();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'saoma-avatar-')), 'tmp_avatar.png');
  fs.writeFileSync(file, Buffer.from(ONE_PIXEL_PNG, 'base64'));
  wechatOf(mp).avatarFile = file;

  await mp.tap('选择头像');

  await mp.waitForText('头像已上传，微信内容安全审核通过后显示');
  const token = mp.page.instance.session.access_token;
  assert.equal((await me(token)).profile.avatar_status, 'pending');
  const pushed = await postJson(saoma.base + '/sandbox/api/media-checks/deliver', { suggest: 'pass' });
  assert.equal(pushed.delivered.length, 1);
  const account = await me(token);
  assert.equal(account.profile.avatar_status, 'accepted');
  const served = await fetch(saoma.base + account.profile.avatar);
  assert.equal(served.headers.get('content-type'), 'image/png');
});

test('an image Saoma cannot use is refused on the page', async () => {
  const mp = await loggedIn();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'saoma-avatar-')), 'tmp_avatar.png');
  fs.writeFileSync(file, 'not an image');
  wechatOf(mp).avatarFile = file;

  await mp.tap('选择头像');

  await mp.waitForText('这张图片无法使用，请换一张 PNG、JPEG 或 WebP 图片');
  assert.equal((await me(mp.page.instance.session.access_token)).profile, undefined);
});

test("the phone simulator's tool refuses a pending avatar: never shown", async () => {
  const mp = await loggedIn();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'saoma-avatar-')), 'tmp_avatar.png');
  fs.writeFileSync(file, Buffer.from(ONE_PIXEL_PNG, 'base64'));
  wechatOf(mp).avatarFile = file;
  await mp.tap('选择头像');
  await mp.waitForText('头像已上传');
  const token = mp.page.instance.session.access_token;
  const { avatar } = (await me(token)).profile;

  const browser = await launch();
  try {
    const phone = await browser.newPage();
    await phone.goto(saoma.base + '/sandbox/phone');
    await phone.getByRole('button', { name: /拒绝待审图片/ }).click();
    await phone.getByText('已推送 1 个审核结果').waitFor();
  } finally {
    await browser.close();
  }

  assert.equal((await me(token)).profile.avatar_status, 'refused');
  assert.equal((await fetch(saoma.base + avatar)).status, 404);
});
