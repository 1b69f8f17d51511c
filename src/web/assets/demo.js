// The demo login page: one tab per provider, the code, a clear text for every state, the
// phone form for need_phone, and the account once logged in. Everything goes through the SDK.
import { deleteMe, exportMe, inWechat, login, me, providers, resumeInWechat, startInWechat } from '/saoma.js';
import { TEXT } from '/demo-text.js';

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
let accessToken = null; // the logged-in account's, for export and deletion
let sandbox = false;
let returned = false; // this tab is where WeChat sent another tab's website login back to

// The website tab's link fallback opens WeChat's QR page in a new tab, which WeChat sends to the
// return URL (this page) once the phone answers; the page that opened it gets the tokens. A new
// page asks whether it is that tab; the opener answers for a while after using the link.
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('saoma-demo') : null;
const OPENED_TAB_MS = 10 * 60 * 1000;
let openedTabUntil = 0;
if (channel) {
  const asking = Math.random().toString(36).slice(2);
  channel.onmessage = ({ data }) => {
    if (data && data.ask && Date.now() < openedTabUntil) {
      openedTabUntil = 0;
      channel.postMessage({ answer: data.ask });
    } else if (data && data.answer === asking) {
      returnedHere();
    }
  };
  // Only a tab that got here by navigating (WeChat's page, then the callback) asks.
  if (history.length > 1) channel.postMessage({ ask: asking });
}

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

/** Where the sandbox phone opens this scene: what its code encodes, or for the official
 *  account (whose code is WeChat's ticket URL) the scene itself. */
function phoneUrl(provider, scene) {
  const id = encodeURIComponent(scene);
  return provider === 'website' ? '/sandbox/phone?state=' + id + '&provider=website' : '/sandbox/phone?scene=' + id;
}

function onStatus(view, handle) {
  current.handle = handle;
  if (sandbox) $('phone-link').href = phoneUrl(current.provider, view.scene);
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
  $('account-message').textContent = '';
  for (const id of ['export-me', 'delete-me']) $(id).hidden = false;
  $('account-json').closest('details').hidden = false;
  accountEl.hidden = false;
  refreshBtn.textContent = t('again');
  refreshBtn.hidden = false;
}

// Self-service: the person's data as JSON, and erasure of the account (PIPL 注销).
$('export-me').addEventListener('click', async () => {
  try {
    $('account-json').textContent = JSON.stringify(await exportMe(accessToken), null, 2);
    $('account-json').closest('details').open = true;
  } catch (e) {
    $('account-message').textContent = describe(e);
  }
});
$('delete-me').addEventListener('click', async () => {
  if (!window.confirm(t('delete_confirm'))) return;
  try {
    await deleteMe(accessToken);
    accessToken = null;
    $('account-fields').replaceChildren();
    $('account-json').closest('details').hidden = true;
    $('export-me').hidden = true;
    $('delete-me').hidden = true;
    $('account-message').textContent = t('deleted');
  } catch (e) {
    $('account-message').textContent = e.code === 'reauthentication_required' ? t('reauthenticate') : describe(e);
  }
});

function returnedHere() {
  returned = true;
  if (current) current.controller.abort();
  codeEl.replaceChildren();
  codeEl.hidden = true;
  sandboxHint.hidden = true;
  phoneForm.hidden = true;
  accountEl.hidden = true;
  statusEl.dataset.state = 'returned';
  statusEl.textContent = t('returned');
  refreshBtn.textContent = t('login_here');
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
      openedText: t('opened_' + provider),
      // The website tab embeds WeChat's QR page (the page's CSP allows that one frame).
      embed: provider === 'website',
    });
    show('confirmed');
    accessToken = tokens.access_token;
    renderAccount(await me(tokens.access_token));
  } catch (e) {
    if (controller.signal.aborted) return;
    if (e.code === 'cancelled') show('cancelled', e.refused ? t('refused_' + e.refused) : undefined);
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

refreshBtn.addEventListener('click', () => {
  if (current && current.provider !== 'in_wechat') start(current.provider);
  else selectTab(tabsEl.querySelector('[role=tab]'), false);
});
codeEl.addEventListener('click', (ev) => {
  if (ev.target.closest('.saoma-fallback a')) openedTabUntil = Date.now() + OPENED_TAB_MS;
});
$('send-sms').addEventListener('click', () => phoneStep('sms'));
phoneForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  phoneStep('bind');
});

const SIMULATED = 'saoma-demo-in-wechat';

/** Inside WeChat's browser (or, in sandbox mode, a page the phone simulator opened "inside
 *  WeChat" with `?in_wechat=1`): "微信一键登录" leads; the code stays below for a long press. */
function offerInWechat() {
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'in-wechat-login';
  button.className = 'primary';
  button.textContent = t('in_wechat_button');
  const hint = document.createElement('p');
  hint.className = 'hint';
  hint.id = 'in-wechat-hint';
  hint.textContent = t('in_wechat_hint');
  button.addEventListener('click', async () => {
    button.disabled = true;
    if (current) current.controller.abort();
    show('loading', t('in_wechat_going'));
    try {
      await startInWechat();
    } catch (e) {
      button.disabled = false;
      show('error', describe(e));
    }
  });
  tabsEl.before(button, hint);
}

/** Back from WeChat's authorization: finish the login this tab started. True when there was one. */
async function resumeHere() {
  const controller = new AbortController();
  current = { provider: 'in_wechat', controller, handle: null };
  let waiting = false;
  try {
    const tokens = await resumeInWechat({
      signal: controller.signal,
      onStatus: (view, handle) => {
        // Still pending: WeChat never sent this browser back through Saoma; start over.
        if (view.status === 'pending') {
          waiting = true;
          controller.abort();
          return;
        }
        codeEl.hidden = true;
        onStatus(view, handle);
      },
    });
    if (!tokens) return false;
    show('confirmed');
    accessToken = tokens.access_token;
    renderAccount(await me(tokens.access_token));
  } catch (e) {
    if (waiting) return false;
    if (e.code === 'cancelled') show('cancelled', e.refused ? t('refused_' + e.refused) : undefined);
    else if (e.code === 'scene_expired') show('expired');
    else if (e.code === 'scene_consumed') show('consumed');
    else show('error', describe(e));
  }
  return true;
}

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
  // The phone simulator's "inside WeChat" lasts for the tab (WeChat's return drops the query).
  if (sandbox && new URLSearchParams(location.search).has('in_wechat')) sessionStorage.setItem(SIMULATED, '1');
  const askedInWechat = sandbox && sessionStorage.getItem(SIMULATED) === '1';
  if (offered.in_wechat && (inWechat() || askedInWechat)) offerInWechat();
  if (location.hash === '#wechat_redirect') history.replaceState(null, '', location.pathname + location.search);
  if (await resumeHere()) return;
  if (!returned) selectTab(tabsEl.querySelector('[role=tab]'), false);
}

main();
