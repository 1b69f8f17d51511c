// The admin console (docs/admin.md): log in through Saoma's own OpenID Provider with the
// built-in public client `saoma-console` (authorization code + PKCE S256, in this page), keep
// the admin token in sessionStorage, and call the management API (/admin/v1). Everything shown
// is written with DOM APIs (textContent), never parsed as HTML.

const CLIENT_ID = 'saoma-console';
const ADMIN_SCOPE = 'saoma:admin';
const KEY = 'saoma-console.';

const $ = (id) => document.getElementById(id);
const redirectUri = $('console').dataset.redirectUri;
const lang = /^zh/i.test(navigator.language || '') ? 'zh' : 'en';

const T = {
  zh: {
    title: 'Saoma 管理控制台', logout: '退出', login_title: '管理员登录',
    login_intro: '用微信扫码登录。只有配置为管理员的账号可以使用控制台。', login: '微信扫码登录',
    not_admin: '你不是管理员', not_admin_intro: '这个微信账号没有管理权限。请换一个管理员账号登录。',
    switch_account: '换一个账号登录', search_label: '查找账号（账号 ID、手机号、openid、unionid 或昵称）',
    search: '查找', more: '更多', back: '← 返回列表', account: '账号', identities: '微信身份',
    sessions: '会话', events: '最近事件', actions: '操作', reason: '停用原因', disable: '停用',
    enable: '启用', end_sessions: '结束所有会话', delete_label: '删除账号：输入账号 ID 以确认',
    delete: '删除', expired: '登录已过期，请重新登录', login_failed: '登录失败：',
    state_mismatch: '登录请求不是这个页面发起的，请重新登录', error: '出错了：',
    signed_in: '已登录：', enabled: '正常', disabled: '已停用', no_results: '没有找到账号',
    none: '无', f_id: '账号 ID', f_phone: '手机号', f_created: '创建时间', f_last_login: '最近登录',
    f_provisioned: '预先创建', f_disabled_at: '停用时间', f_reason: '停用原因', c_provider: '登录方式',
    c_app: 'AppID', c_openid: 'openid', c_unionid: 'unionid', c_nickname: '昵称', c_client: '客户端',
    c_created: '开始', c_last_used: '最近使用', c_time: '时间', c_type: '类型', c_actor: '操作者', c_detail: '详情',
    saoma_api: 'Saoma API', c_kind: '类型', k_refresh: '刷新令牌', k_sso: '单点登录',
    disabled_done: (n) => '已停用，结束了 ' + n + ' 个会话',
    enabled_done: '已启用', ended_done: (n) => '结束了 ' + n + ' 个会话', deleted_done: '账号已删除',
  },
  en: {
    title: 'Saoma admin console', logout: 'Log out', login_title: 'Admin login',
    login_intro: 'Log in with WeChat. Only accounts configured as admins may use the console.',
    login: 'Log in with WeChat', not_admin: 'You are not an admin',
    not_admin_intro: 'This WeChat account has no admin rights. Log in with an admin account.',
    switch_account: 'Log in with another account',
    search_label: 'Find accounts (account id, phone, openid, unionid or nickname)', search: 'Search',
    more: 'More', back: '← Back to the list', account: 'Account', identities: 'WeChat identities',
    sessions: 'Sessions', events: 'Recent events', actions: 'Actions', reason: 'Reason for disabling',
    disable: 'Disable', enable: 'Enable', end_sessions: 'End all sessions',
    delete_label: 'Delete the account: type its id to confirm', delete: 'Delete',
    expired: 'Your login has expired: log in again', login_failed: 'Login failed: ',
    state_mismatch: 'This login was not started by this page: log in again', error: 'Error: ',
    signed_in: 'Signed in: ', enabled: 'Enabled', disabled: 'Disabled', no_results: 'No account found',
    none: 'none', f_id: 'Account id', f_phone: 'Phone', f_created: 'Created', f_last_login: 'Last login',
    f_provisioned: 'Provisioned', f_disabled_at: 'Disabled at', f_reason: 'Reason', c_provider: 'Provider',
    c_app: 'AppID', c_openid: 'openid', c_unionid: 'unionid', c_nickname: 'Nickname', c_client: 'Client',
    c_created: 'Started', c_last_used: 'Last used', c_time: 'Time', c_type: 'Type', c_actor: 'Actor', c_detail: 'Details',
    saoma_api: 'Saoma API', c_kind: 'Kind', k_refresh: 'refresh token', k_sso: 'single sign-on',
    disabled_done: (n) => 'Disabled; ' + n + ' session(s) ended',
    enabled_done: 'Enabled', ended_done: (n) => n + ' session(s) ended', deleted_done: 'The account is deleted',
  },
}[lang];

/** Thrown once the page has shown why it stops (logged out, not an admin). */
class Shown extends Error {}

// ---- What the page shows ------------------------------------------------------------------

function say(text, kind) {
  $('message').textContent = text || '';
  $('message').dataset.kind = kind || '';
}

function show(panel) {
  for (const id of ['login', 'not-admin', 'search', 'account']) $(id).hidden = id !== panel;
  const session = readSession();
  $('logout').hidden = !session;
  $('whoami').hidden = !session;
  $('whoami').textContent = session ? T.signed_in + session.sub.slice(0, 8) + '…' : '';
  $('whoami').title = session ? session.sub : '';
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB') : T.none;
}

function table(node, columns, rows) {
  const head = el('tr');
  for (const [label] of columns) head.append(el('th', label));
  const body = rows.map((row) => {
    const tr = el('tr');
    for (const [label, value] of columns) {
      const td = el('td', value(row) ?? '—');
      // At phone width each row is a card and each cell names its column (console.css).
      td.dataset.label = label;
      tr.append(td);
    }
    return tr;
  });
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', T.none, 'empty');
    td.colSpan = columns.length;
    tr.append(td);
    body.push(tr);
  }
  node.replaceChildren(el('thead'), el('tbody'));
  node.tHead.append(head);
  node.tBodies[0].append(...body);
}

// ---- The login: authorization code + PKCE with the console's client ----------------------

function b64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function readSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(KEY + 'session') || 'null');
    if (session && session.expires_at > Date.now()) return session;
  } catch (_) {
    // unreadable: no session
  }
  sessionStorage.removeItem(KEY + 'session');
  return null;
}

function endSession(fresh) {
  sessionStorage.removeItem(KEY + 'session');
  // After a logout or a refusal, the next login asks for a scan even with an SSO session.
  if (fresh) sessionStorage.setItem(KEY + 'fresh', '1');
}

async function logIn() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(KEY + 'verifier', verifier);
  sessionStorage.setItem(KEY + 'state', state);
  const params = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid ' + ADMIN_SCOPE,
    state,
    code_challenge: b64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
    ui_locales: lang === 'zh' ? 'zh-CN' : 'en',
  });
  if (sessionStorage.getItem(KEY + 'fresh')) params.set('prompt', 'login');
  location.assign('/oidc/authorize?' + params);
}

/** Back from the login with `?code=&state=` (or `?error=`): exchange the code. */
async function finishLogin(query) {
  const state = sessionStorage.getItem(KEY + 'state');
  const verifier = sessionStorage.getItem(KEY + 'verifier');
  sessionStorage.removeItem(KEY + 'state');
  sessionStorage.removeItem(KEY + 'verifier');
  if (!state || query.get('state') !== state || !verifier) {
    show('login');
    say(T.state_mismatch, 'error');
    return;
  }
  if (query.has('error')) {
    show('login');
    say(T.login_failed + (query.get('error_description') || query.get('error')), 'error');
    return;
  }
  const res = await fetch('/oidc/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      code: query.get('code'),
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    show('login');
    say(T.login_failed + (body.error_description || body.error || res.status), 'error');
    return;
  }
  if (!String(body.scope || '').split(' ').includes(ADMIN_SCOPE)) {
    endSession(true);
    show('not-admin');
    return;
  }
  const claims = JSON.parse(atob(body.id_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
  sessionStorage.removeItem(KEY + 'fresh');
  sessionStorage.setItem(
    KEY + 'session',
    JSON.stringify({
      access_token: body.access_token,
      expires_at: Date.now() + body.expires_in * 1000,
      sub: claims.sub,
    }),
  );
}

// ---- The management API -------------------------------------------------------------------

async function api(method, path, body) {
  const session = readSession();
  if (!session) {
    show('login');
    say(T.expired, 'error');
    throw new Shown();
  }
  const headers = { Authorization: 'Bearer ' + session.access_token };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) {
    endSession(false);
    show('login');
    say(T.expired, 'error');
    throw new Shown();
  }
  if (res.status === 403) {
    // No admin (any more): removed from [admin], or the account was disabled.
    endSession(true);
    show('not-admin');
    say('');
    throw new Shown();
  }
  if (!res.ok) {
    const error = await res.json().catch(() => ({}));
    throw new Error(error.message || String(res.status));
  }
  return res.status === 204 ? null : res.json();
}

const accountPath = (id) => '/admin/v1/accounts/' + encodeURIComponent(id);

/** How many sessions an answer says ended (SSO sessions too, where the API counts them). */
const ended = (done) => done.refresh_sessions_revoked + (done.sso_sessions_ended || 0);

// ---- Search -------------------------------------------------------------------------------

let cursor = null;
let query = '';
// Answers arrive in any order: only the latest search (or account opened) is shown, so the
// list of a search started at login never replaces the one the operator asked for since.
let searches = 0;
let opened = 0;

/** What names an account in a list or a title: its nickname, else its phone number. */
function label(account) {
  const named = account.identities.find((i) => i.nickname);
  return named ? named.nickname : account.phone || T.account;
}

/** An event's payload in a few words: the login's provider and address, else its values. */
function summary(data) {
  if (!data || typeof data !== 'object') return '';
  const parts = [];
  if (data.login) parts.push(data.login.provider, data.login.ip);
  for (const [key, value] of Object.entries(data)) {
    if (key !== 'login' && value !== null && typeof value !== 'object') parts.push(key + ': ' + value);
  }
  return parts.filter(Boolean).join(', ');
}

function resultItem(account) {
  const li = el('li');
  const button = el('button');
  button.type = 'button';
  button.dataset.account = account.id;
  button.append(el('strong', label(account)));
  if (account.phone && label(account) !== account.phone) button.append(el('span', account.phone));
  button.append(el('span', account.id, 'id'));
  if (account.disabled_at) button.append(el('span', T.disabled, 'badge'));
  button.addEventListener('click', () => run(() => openAccount(account.id)));
  li.append(button);
  return li;
}

async function search(more) {
  const mine = ++searches;
  const params = new URLSearchParams({ limit: '20' });
  if (query) params.set('query', query);
  if (more && cursor) params.set('cursor', cursor);
  const page = await api('GET', '/admin/v1/accounts?' + params);
  if (mine !== searches) return;
  const items = page.accounts.map(resultItem);
  if (more) $('results').append(...items);
  else $('results').replaceChildren(...(items.length ? items : [el('li', T.no_results, 'muted')]));
  cursor = page.next_cursor || null;
  $('more').hidden = !cursor;
}

// ---- One account ---------------------------------------------------------------------------

let current = null;

async function openAccount(id) {
  const mine = ++opened;
  const events = (filter) => api('GET', '/admin/v1/events?' + new URLSearchParams({ account: id, ...filter }));
  const [account, sessions, recent, logins] = await Promise.all([
    api('GET', accountPath(id)),
    api('GET', accountPath(id) + '/sessions'),
    events({ limit: '20' }),
    events({ type: 'login.succeeded', limit: '1' }),
  ]);
  if (mine !== opened) return;
  current = account;
  const lastLogin = logins.events[0];
  $('account-title').textContent = label(account);
  const state = $('account-state');
  state.replaceChildren(el('span', account.disabled_at ? T.disabled : T.enabled, account.disabled_at ? 'badge' : 'badge ok'));
  state.dataset.disabled = account.disabled_at ? 'true' : 'false';
  const fields = [
    [T.f_id, account.id],
    [T.f_phone, account.phone || T.none],
    [T.f_created, when(account.created_at)],
    [T.f_last_login, lastLogin ? when(lastLogin.created_at) : T.none],
  ];
  if (account.provisioned_at) fields.push([T.f_provisioned, when(account.provisioned_at)]);
  if (account.disabled_at) {
    fields.push([T.f_disabled_at, when(account.disabled_at)], [T.f_reason, account.disabled_reason || T.none]);
  }
  $('account-fields').replaceChildren(...fields.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
  table($('identities'), [
    [T.c_provider, (i) => i.provider],
    [T.c_app, (i) => i.app_id],
    [T.c_openid, (i) => i.openid],
    [T.c_unionid, (i) => i.unionid],
    [T.c_nickname, (i) => i.nickname],
  ], account.identities);
  // Refresh-token sessions, and the browsers' OpenID SSO sessions where the API lists them.
  const live = [
    ...sessions.refresh.map((s) => ({ ...s, kind: T.k_refresh, clients: s.client_id || T.saoma_api })),
    ...(sessions.sso || []).map((s) => ({ ...s, kind: T.k_sso, clients: s.client_ids.join(', ') })),
  ];
  table($('sessions'), [
    [T.c_kind, (s) => s.kind],
    [T.c_client, (s) => s.clients],
    [T.c_provider, (s) => s.provider],
    [T.c_created, (s) => when(s.created_at)],
    [T.c_last_used, (s) => when(s.last_used_at)],
  ], live);
  table($('events'), [
    [T.c_time, (e) => when(e.created_at)],
    [T.c_type, (e) => e.type],
    [T.c_actor, (e) => e.actor],
    [T.c_detail, (e) => summary(e.data)],
  ], recent.events);
  $('disable-form').hidden = !!account.disabled_at;
  $('enable-row').hidden = !account.disabled_at;
  $('disable-reason').value = '';
  $('delete-confirm').value = '';
  $('delete').disabled = true;
  show('account');
}

// ---- Wiring -------------------------------------------------------------------------------

/** Run an action; what it throws is said on the page. */
async function run(action) {
  try {
    await action();
  } catch (e) {
    if (!(e instanceof Shown)) say(T.error + e.message, 'error');
  }
}

$('login-button').addEventListener('click', () => run(logIn));
$('switch-account').addEventListener('click', () => run(logIn));
$('logout').addEventListener('click', () => {
  endSession(true);
  show('login');
  say('');
});
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  query = $('query').value.trim();
  say('');
  run(() => search(false));
});
$('more').addEventListener('click', () => run(() => search(true)));
$('back').addEventListener('click', () => {
  say('');
  show('search');
  run(() => search(false));
});
$('disable-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const reason = $('disable-reason').value.trim();
  run(async () => {
    const done = await api('POST', accountPath(current.id) + '/disable', reason ? { reason } : {});
    await openAccount(current.id);
    say(T.disabled_done(ended(done)), 'ok');
  });
});
$('enable').addEventListener('click', () => run(async () => {
  await api('POST', accountPath(current.id) + '/enable');
  await openAccount(current.id);
  say(T.enabled_done, 'ok');
}));
$('end-sessions').addEventListener('click', () => run(async () => {
  const done = await api('DELETE', accountPath(current.id) + '/sessions');
  await openAccount(current.id);
  say(T.ended_done(ended(done)), 'ok');
}));
$('delete-confirm').addEventListener('input', () => {
  $('delete').disabled = !current || $('delete-confirm').value.trim() !== current.id;
});
$('delete-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (!current || $('delete-confirm').value.trim() !== current.id) return;
  run(async () => {
    await api('DELETE', accountPath(current.id));
    current = null;
    show('search');
    await search(false);
    say(T.deleted_done, 'ok');
  });
});

async function start() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = T.title;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = T[node.dataset.i18n];
  const back = new URLSearchParams(location.search);
  if (back.has('code') || back.has('error')) {
    // The code is spent either way: it leaves the address bar (and the history) now.
    history.replaceState(null, '', location.pathname);
    await finishLogin(back);
    if (!$('not-admin').hidden || !$('login').hidden) return;
  }
  if (readSession()) {
    show('search');
    await search(false);
  } else {
    show('login');
  }
}

run(start);
