// Saoma's hosted login page for an OpenID client: the demo page's card and words, one provider
// (the one the authorization request chose), and no tokens in the browser: once the phone
// confirms, the scene answers with a one-time URL that signs this browser in and sends it back
// to the app with an authorization code. Inside WeChat's browser (the server decides:
// data-in-wechat), "微信一键登录" leads: an in_wechat scene bound to the same request, WeChat's
// authorize page, and back to this page, which follows that scene with its poll token.
import { login } from '/saoma.js';
import { TEXT } from '/demo-text.js';

const main = document.getElementById('oidc-login');
const { request, provider, lang } = main.dataset;
const sandbox = main.dataset.sandbox === 'true';
const offerInWechat = main.dataset.inWechat === 'true';
// The in-WeChat login this tab started, for this page to resume after WeChat's redirect.
const IN_WECHAT_KEY = 'saoma-oidc-in-wechat';
const t = (key, vars = {}) => (TEXT[lang][key] || key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
const $ = (id) => document.getElementById(id);
const codeEl = $('code');
const statusEl = $('status');
const phoneForm = $('phone-form');
const phoneMessage = $('phone-message');
let handle = null;
let current = null; // the code's login, stopped when the user taps 微信一键登录
for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);

// need_phone (accounts.require_phone): the same steps as the demo page.
async function phoneStep(action) {
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
    phoneMessage.textContent = t('error', { message: e.message || e.code });
  }
}
$('send-sms').addEventListener('click', () => phoneStep('sms'));
phoneForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  phoneStep('bind');
});

function show(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text || t(state);
}

function phoneUrl(scene) {
  const id = encodeURIComponent(scene);
  return provider === 'website' ? '/sandbox/phone?state=' + id + '&provider=website' : '/sandbox/phone?scene=' + id;
}

async function create(signal, extra = {}) {
  const res = await fetch('/oidc/login/scene', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ request, ...extra }),
    credentials: 'same-origin',
    signal,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = new Error(data.message || data.code || 'http_' + res.status);
    error.code = data.code || 'http_' + res.status;
    throw error;
  }
  return data;
}

function leave(reason) {
  location.replace('/oidc/abort?request=' + encodeURIComponent(request) + '&reason=' + reason);
}

function onStatus(view, h) {
  handle = h;
  if (view.status === 'need_phone' && phoneForm.hidden) {
    phoneForm.hidden = false;
    $('phone-number').focus();
  } else if (view.status !== 'need_phone') {
    phoneForm.hidden = true;
  }
  if (sandbox && view.provider !== 'in_wechat') $('phone-link').href = phoneUrl(view.scene);
  const nickname = view.scanned_by && view.scanned_by.nickname;
  if (view.status === 'scanned' && nickname) show('scanned', t('scanned_by', { name: nickname }));
  else show(view.status);
}

/** The login's outcome: on to `/oidc/resume` (logged in) or `/oidc/abort` (refused, expired). */
function finish(result) {
  show('confirmed');
  if (result && result.redirect) location.replace(result.redirect);
  else show('error', t('error', { message: 'no redirect' }));
}

function fail(e) {
  $('sandbox-hint').hidden = true;
  if (e.code === 'cancelled') {
    show('cancelled');
    leave('cancelled');
  } else if (e.code === 'scene_expired') {
    show('expired');
    leave('expired');
  } else if (e.code !== 'aborted') {
    show('error', t('error', { message: e.message || e.code }));
  }
}

async function start() {
  $('sandbox-hint').hidden = !sandbox;
  current = new AbortController();
  try {
    const result = await login({
      provider,
      create,
      container: codeEl,
      signal: current.signal,
      onStatus: (view, h) => onStatus({ provider, ...view }, h),
      alt: t('alt_' + provider),
      linkText: t('link_' + provider),
      openedText: t('opened_' + provider),
      embed: provider === 'website',
    });
    finish(result);
  } catch (e) {
    fail(e);
  }
}

/** 微信一键登录: a scene for this request, remembered in this tab, then WeChat's authorize page. */
async function goToWechat(button) {
  button.disabled = true;
  if (current) current.abort();
  $('sandbox-hint').hidden = true;
  show('loading', t('in_wechat_going'));
  try {
    const created = await create(undefined, { provider: 'in_wechat' });
    const saved = { request, scene: created.scene, poll_token: created.poll_token, interval: created.interval };
    sessionStorage.setItem(IN_WECHAT_KEY, JSON.stringify(saved));
    location.assign(created.qr.url);
  } catch (e) {
    button.disabled = false;
    show('error', t('error', { message: e.message || e.code }));
  }
}

/** Back from WeChat: follow the in-WeChat scene this tab started for this request. True when
 *  there was one (a scene still pending means WeChat never came back through Saoma). */
async function resumeHere() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(IN_WECHAT_KEY) || 'null');
  } catch (_) {}
  sessionStorage.removeItem(IN_WECHAT_KEY);
  if (!saved || saved.request !== request || !saved.scene || !saved.poll_token) return false;
  const controller = new AbortController();
  let waiting = false;
  try {
    const result = await login({
      provider: 'in_wechat',
      create: async () => ({ ...saved, provider: 'in_wechat', qr: {} }),
      signal: controller.signal,
      onStatus: (view, h) => {
        if (view.status === 'pending') {
          waiting = true;
          controller.abort();
          return;
        }
        codeEl.hidden = true;
        onStatus({ ...view, provider: 'in_wechat' }, h);
      },
    });
    finish(result);
  } catch (e) {
    if (waiting) return false;
    fail(e);
  }
  return true;
}

async function begin() {
  // Served by /oidc/authorize: the address becomes this request's own page, so that a reload
  // or WeChat's way back shows the same request instead of starting (or re-posting) a new one.
  const here = '/oidc/login?request=' + encodeURIComponent(request);
  if (location.pathname + location.search !== here || location.hash) history.replaceState(null, '', here);
  const button = $('in-wechat-login');
  if (offerInWechat && button) button.addEventListener('click', () => goToWechat(button));
  if (await resumeHere()) return;
  codeEl.hidden = false;
  start();
}

begin();
