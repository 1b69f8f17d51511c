// The demo login page: one tab per provider, the code, a clear text for every state, the
// phone form for need_phone, and the account once logged in. Everything goes through the SDK.
import { login, me, providers } from '/saoma.js';

const TEXT = {
  zh: {
    title: '微信扫码登录', tabs_label: '登录方式', loading: '正在生成二维码…',
    mini_program: '小程序码', official_account: '公众号', website: '网站应用',
    pending: '请使用微信扫一扫登录', scanned: '扫码成功，请在手机上确认登录',
    scanned_by: '扫码成功：{name}，请在手机上确认登录',
    need_phone: '请绑定手机号以完成登录', confirmed: '登录成功', cancelled: '你已在手机上取消登录',
    expired: '二维码已过期，请刷新', consumed: '该二维码已被使用，请刷新', error: '出错了：{message}',
    network_error: '无法连接服务器，请检查网络后重试', no_providers: '此服务器尚未配置任何登录方式',
    refresh: '刷新二维码', again: '重新登录', account: '账号', raw: '/api/v1/me 原始数据',
    account_id: '账号 ID', phone_field: '手机号', phone_none: '未绑定', identities: '微信身份',
    phone_intro: '首次登录需要绑定手机号', phone_label: '手机号', code_label: '短信验证码',
    send_sms: '发送验证码', bind: '绑定并登录', sms_sent: '验证码已发送',
    phone_missing: '请输入手机号', code_missing: '请输入验证码',
    phone_unavailable: '此服务器暂不支持短信验证，请在手机上完成登录',
    sandbox_hint: '沙盒模式：用手机模拟器扫码', phone: '打开手机模拟器',
    alt_mini_program: '微信小程序码：请用微信扫一扫登录',
    alt_official_account: '微信公众号二维码：请用微信扫一扫登录',
    link_website: '打开微信扫码登录页面',
  },
  en: {
    title: 'Log in with WeChat', tabs_label: 'Login method', loading: 'Getting a code…',
    mini_program: 'Mini-program', official_account: 'Official account', website: 'Website',
    pending: 'Scan the code with WeChat to log in', scanned: 'Scanned. Confirm the login on your phone',
    scanned_by: 'Scanned by {name}. Confirm the login on your phone',
    need_phone: 'Bind your phone number to finish logging in', confirmed: 'Logged in',
    cancelled: 'You cancelled the login on your phone', expired: 'The code has expired. Get a new one',
    consumed: 'This code was already used. Get a new one', error: 'Something went wrong: {message}',
    network_error: 'Cannot reach the server. Check your connection and try again',
    no_providers: 'No login method is configured on this server',
    refresh: 'Get a new code', again: 'Log in again', account: 'Account', raw: 'Raw /api/v1/me',
    account_id: 'Account id', phone_field: 'Phone', phone_none: 'not bound', identities: 'WeChat identities',
    phone_intro: 'First login: bind your phone number', phone_label: 'Phone number', code_label: 'SMS code',
    send_sms: 'Send code', bind: 'Bind and log in', sms_sent: 'The code was sent',
    phone_missing: 'Enter your phone number', code_missing: 'Enter the code',
    phone_unavailable: 'This server cannot send SMS codes yet; finish the login on your phone',
    sandbox_hint: 'Sandbox: scan with the phone simulator', phone: 'Open the phone simulator',
    alt_mini_program: 'WeChat mini-program code: scan with WeChat to log in',
    alt_official_account: 'WeChat official account QR code: scan with WeChat to log in',
    link_website: 'Open the WeChat login page',
  },
};

function pickLanguage() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'zh' || asked === 'en') return asked;
  for (const tag of navigator.languages || [navigator.language || '']) {
    if (/^zh\b/i.test(tag)) return 'zh';
    if (/^en\b/i.test(tag)) return 'en';
  }
  return 'zh';
}

const lang = pickLanguage();
const t = (key, vars = {}) => (TEXT[lang][key] || key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
document.title = t('title') + ' · Saoma';
for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));

const $ = (id) => document.getElementById(id);
const tabsEl = $('tabs');
const panel = $('panel');
const codeEl = $('code');
const statusEl = $('status');
const refreshBtn = $('refresh');
const phoneForm = $('phone-form');
const phoneMessage = $('phone-message');
const accountEl = $('account');
const sandboxHint = $('sandbox-hint');
const FINAL = new Set(['cancelled', 'expired', 'consumed', 'error']);

let current = null; // {provider, controller, handle}
let sandbox = false;

function show(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text || t(state);
  const final = FINAL.has(state) || state === 'confirmed';
  if (final) {
    // The code is of no use any more: take it away so that nobody scans a dead code.
    codeEl.replaceChildren();
    codeEl.hidden = state === 'confirmed';
    if (!codeEl.hidden) {
      const mark = document.createElement('div');
      mark.className = 'code-gone';
      mark.dataset.state = state;
      mark.setAttribute('aria-hidden', 'true');
      mark.textContent = state === 'cancelled' ? '✕' : '↻';
      codeEl.append(mark);
    }
    sandboxHint.hidden = true;
    phoneForm.hidden = true;
  }
  if (FINAL.has(state)) {
    refreshBtn.textContent = t('refresh');
    refreshBtn.hidden = false;
    refreshBtn.focus();
  }
}

function onStatus(view, handle) {
  current.handle = handle;
  if (sandbox) $('phone-link').href = '/sandbox/phone?scene=' + encodeURIComponent(view.scene);
  const nickname = view.scanned_by && view.scanned_by.nickname;
  if (view.status === 'scanned' && nickname) show('scanned', t('scanned_by', { name: nickname }));
  else show(view.status);
  if (view.status === 'need_phone' && phoneForm.hidden) {
    phoneForm.hidden = false;
    $('phone-number').focus();
  }
}

function describe(error) {
  if (error.code === 'network_error') return t('network_error');
  return t('error', { message: error.message || error.code });
}

function renderAccount(account) {
  const dl = $('account-fields');
  const row = (term, value) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dl.append(dt, dd);
  };
  dl.replaceChildren();
  row(t('account_id'), account.id);
  row(t('phone_field'), account.phone || t('phone_none'));
  for (const identity of account.identities || []) {
    row(t(identity.provider) + ' · ' + t('identities'), identity.nickname || identity.openid);
  }
  $('account-json').textContent = JSON.stringify(account, null, 2);
  accountEl.hidden = false;
  refreshBtn.textContent = t('again');
  refreshBtn.hidden = false;
}

async function start(provider) {
  if (current) current.controller.abort();
  const controller = new AbortController();
  current = { provider, controller, handle: null };
  codeEl.hidden = false;
  codeEl.replaceChildren();
  refreshBtn.hidden = true;
  accountEl.hidden = true;
  phoneForm.hidden = true;
  phoneForm.reset();
  phoneMessage.textContent = '';
  sandboxHint.hidden = !sandbox;
  show('loading');
  try {
    const tokens = await login({
      provider,
      container: codeEl,
      onStatus,
      signal: controller.signal,
      alt: t('alt_' + provider),
      linkText: t('link_' + provider),
    });
    show('confirmed');
    renderAccount(await me(tokens.access_token));
  } catch (e) {
    if (controller.signal.aborted) return;
    if (e.code === 'cancelled') show('cancelled');
    else if (e.code === 'scene_expired') show('expired');
    else if (e.code === 'scene_consumed') show('consumed');
    else show('error', describe(e));
  }
}

async function phoneStep(action) {
  const handle = current && current.handle;
  const phone = $('phone-number').value.trim();
  const code = $('sms-code').value.trim();
  if (!phone) return (phoneMessage.textContent = t('phone_missing'), $('phone-number').focus());
  if (action === 'bind' && !code) return (phoneMessage.textContent = t('code_missing'), $('sms-code').focus());
  try {
    if (action === 'sms') {
      await handle.sendSms(phone);
      phoneMessage.textContent = t('sms_sent');
      $('sms-code').focus();
    } else {
      await handle.bindPhone(phone, code);
      phoneMessage.textContent = '';
    }
  } catch (e) {
    // The phone endpoints are optional on a server: a 404 means "not here", not "broken".
    phoneMessage.textContent = e.status === 404 && e.code === 'not_found' ? t('phone_unavailable') : describe(e);
  }
}

function selectTab(tab, focus) {
  for (const other of tabsEl.querySelectorAll('[role=tab]')) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
  }
  panel.setAttribute('aria-labelledby', tab.id);
  if (focus) tab.focus();
  start(tab.dataset.provider);
}

// Arrow keys move between tabs (WAI-ARIA tabs pattern); Enter and Space are the buttons' own.
tabsEl.addEventListener('keydown', (ev) => {
  const tabs = [...tabsEl.querySelectorAll('[role=tab]')];
  const at = tabs.indexOf(document.activeElement);
  if (at < 0) return;
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[ev.key];
  if (to === undefined) return;
  ev.preventDefault();
  selectTab(tabs[(to + tabs.length) % tabs.length], true);
});

refreshBtn.addEventListener('click', () => start(current.provider));
$('send-sms').addEventListener('click', () => phoneStep('sms'));
phoneForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  phoneStep('bind');
});

async function main() {
  let offered;
  try {
    offered = await providers();
  } catch (e) {
    show('error', describe(e));
    return;
  }
  sandbox = !!offered.sandbox;
  if (!offered.providers.length) {
    codeEl.hidden = true;
    show('no_providers');
    return;
  }
  for (const provider of offered.providers) {
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.setAttribute('role', 'tab');
    tab.id = 'tab-' + provider;
    tab.dataset.provider = provider;
    tab.setAttribute('aria-controls', 'panel');
    tab.textContent = t(provider);
    tab.addEventListener('click', () => selectTab(tab, false));
    tabsEl.append(tab);
  }
  selectTab(tabsEl.querySelector('[role=tab]'), false);
}

main();
