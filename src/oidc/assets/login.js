// Saoma's hosted login page for an OpenID client: the demo page's card and words, one provider
// (the one the authorization request chose), and no tokens in the browser: once the phone
// confirms, the scene answers with a one-time URL that signs this browser in and sends it back
// to the app with an authorization code.
import { login } from '/saoma.js';
import { TEXT } from '/demo-text.js';

const main = document.getElementById('oidc-login');
const { request, provider, lang } = main.dataset;
const sandbox = main.dataset.sandbox === 'true';
const t = (key, vars = {}) => (TEXT[lang][key] || key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
const $ = (id) => document.getElementById(id);
const codeEl = $('code');
const statusEl = $('status');
const phoneForm = $('phone-form');
const phoneMessage = $('phone-message');
let handle = null;
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

async function create(signal) {
  const res = await fetch('/oidc/login/scene', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ request }),
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

async function start() {
  $('sandbox-hint').hidden = !sandbox;
  try {
    const result = await login({
      provider,
      create,
      container: codeEl,
      onStatus: (view, h) => {
        handle = h;
        if (view.status === 'need_phone' && phoneForm.hidden) {
          phoneForm.hidden = false;
          $('phone-number').focus();
        } else if (view.status !== 'need_phone') {
          phoneForm.hidden = true;
        }
        if (sandbox) $('phone-link').href = phoneUrl(view.scene);
        const nickname = view.scanned_by && view.scanned_by.nickname;
        if (view.status === 'scanned' && nickname) show('scanned', t('scanned_by', { name: nickname }));
        else show(view.status);
      },
      alt: t('alt_' + provider),
      linkText: t('link_' + provider),
      openedText: t('opened_' + provider),
      embed: provider === 'website',
    });
    show('confirmed');
    if (result && result.redirect) location.replace(result.redirect);
    else show('error', t('error', { message: 'no redirect' }));
  } catch (e) {
    $('sandbox-hint').hidden = true;
    if (e.code === 'cancelled') {
      show('cancelled');
      leave('cancelled');
    } else if (e.code === 'scene_expired') {
      show('expired');
      leave('expired');
    } else {
      show('error', t('error', { message: e.message || e.code }));
    }
  }
}

start();
