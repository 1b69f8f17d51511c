// The demo login page: shows the code, follows the scene, shows the account once logged in.
import { login, me } from '/saoma.js';

const TEXT = {
  zh: {
    title: '微信扫码登录', mini_program: '小程序码', loading: '正在生成二维码…', refresh: '刷新二维码',
    account: '账号', sandbox_hint: '沙盒模式：用手机模拟器扫码 →', phone: '打开手机模拟器',
    pending: '请使用微信扫一扫登录', scanned: '扫码成功，请在手机上确认登录',
    need_phone: '请在手机上绑定手机号', confirmed: '登录成功', cancelled: '你已在手机上取消登录',
    expired: '二维码已过期，请点击刷新', consumed: '该二维码已被使用，请刷新', error: '出错了：',
    code_alt: '微信小程序码：请用微信扫一扫登录',
  },
  en: {
    title: 'Log in with WeChat', mini_program: 'Mini-program code', loading: 'Getting a code…', refresh: 'New code',
    account: 'Account', sandbox_hint: 'Sandbox: scan with the phone simulator →', phone: 'Open the phone simulator',
    pending: 'Scan the code with WeChat', scanned: 'Scanned. Confirm on your phone',
    need_phone: 'Bind your phone number on your phone', confirmed: 'Logged in (登录成功)', cancelled: 'Login cancelled on the phone',
    expired: 'The code expired. Get a new one', consumed: 'This code was already used. Get a new one', error: 'Something went wrong: ',
    code_alt: 'WeChat mini-program code: scan with WeChat to log in',
  },
};
const lang = (navigator.languages || [navigator.language]).some((l) => /^zh/i.test(l)) || !/^en/i.test(navigator.language || '') ? 'zh' : 'en';
const t = TEXT[lang];
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t[el.dataset.i18n];

const statusEl = document.getElementById('status');
const codeEl = document.getElementById('code');
const refreshBtn = document.getElementById('refresh');
const phoneLink = document.getElementById('phone-link');

function show(state, extra = '') {
  statusEl.dataset.state = state;
  statusEl.textContent = (t[state] || state) + extra;
}

async function start() {
  refreshBtn.hidden = true;
  show('loading');
  try {
    const tokens = await login({
      provider: 'mini_program',
      container: codeEl,
      alt: t.code_alt,
      onStatus: (view) => {
        show(view.status);
        phoneLink.href = '/sandbox/phone?scene=' + encodeURIComponent(view.scene);
      },
    });
    show('confirmed');
    const account = await me(tokens.access_token);
    document.getElementById('account-json').textContent = JSON.stringify(account, null, 2);
    document.getElementById('account').hidden = false;
  } catch (e) {
    if (e && (e.code === 'scene_expired' || e.code === 'scene_consumed' || e.code === 'cancelled')) {
      show(e.code === 'cancelled' ? 'cancelled' : e.code === 'scene_expired' ? 'expired' : 'consumed');
    } else {
      show('error', (e && e.message) || String(e));
    }
    refreshBtn.hidden = false;
    refreshBtn.focus();
  }
}

refreshBtn.addEventListener('click', start);
start();
