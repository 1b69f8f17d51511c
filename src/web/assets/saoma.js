// Saoma browser SDK (an ES module, no dependencies).
//
//   import { login, me } from 'https://login.example.com/saoma.js';
//   const tokens = await login({ provider: 'mini_program', container: el, onStatus: (v) => ... });
//
// `login` creates a scene, shows its code in `container`, waits for the phone, and resolves with
// the token set `{access_token, token_type, expires_in, refresh_token}`. It waits by
// Server-Sent Events and falls back to polling at the server's `interval` (slowing down on
// 429 `slow_down`). On another origin pass `baseUrl` (the origin must be in the server's
// `[web] cors_origins`). Failures reject with a SaomaError whose `code` is stable:
// `cancelled`, `scene_expired`, `scene_consumed`, `network_error`, `aborted`, or an API code.

export class SaomaError extends Error {
  constructor(code, message, status = 0) {
    super(message || code);
    this.name = 'SaomaError';
    this.code = code;
    this.status = status;
    this.retryAfter = 0;
  }
}

const MAX_INTERVAL_S = 30;
const NETWORK_RETRIES = 3;

async function request(url, { method = 'GET', body, headers = {}, signal } = {}) {
  const init = { method, headers: { ...headers }, credentials: 'include', signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    if (signal && signal.aborted) throw new SaomaError('aborted', 'login aborted');
    throw new SaomaError('network_error', 'the server cannot be reached (' + e + ')');
  }
  const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new SaomaError(data.code || 'http_' + res.status, data.message, res.status);
    err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw err;
  }
  return data;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    if (signal) {
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new SaomaError('aborted', 'login aborted'));
      }, { once: true });
    }
  });
}

function scenePath(baseUrl, scene) {
  return baseUrl + '/api/v1/scenes/' + encodeURIComponent(scene);
}

/** The providers the server offers: `{providers: [...], sandbox}`. */
export function providers({ baseUrl = '' } = {}) {
  return request(baseUrl + '/api/v1/providers');
}

/** Create a scene: `{scene, provider, poll_token, status, expires_in, interval, qr}`. */
export function createScene({ provider = 'mini_program', scene, baseUrl = '', signal } = {}) {
  return request(baseUrl + '/api/v1/scenes', {
    method: 'POST',
    body: scene ? { provider, scene } : { provider },
    signal,
  });
}

/** Show the scene's code in `container`: an image; for website scenes a link to WeChat's QR
 *  page, or with `embed: true` that page in an iframe (`qr.wx_login.iframe_url`, which stays in
 *  its frame) with the link below it as a fallback. The page's CSP must then allow the frame
 *  (`frame-src https://open.weixin.qq.com`). `openedText` replaces the frame once the link is
 *  used, so that one QR page at a time waits for the phone. */
export function renderCode(container, created, { alt, linkText, openedText, embed = false } = {}) {
  if (!container) return;
  container.replaceChildren();
  const qr = created.qr || {};
  const link = (className) => {
    const a = document.createElement('a');
    a.href = qr.url;
    a.target = '_blank';
    a.rel = 'noopener';
    a.className = className;
    a.textContent = linkText || alt || '使用微信登录 / Log in with WeChat';
    return a;
  };
  const iframeUrl = qr.wx_login && qr.wx_login.iframe_url;
  if (qr.image) {
    const img = document.createElement('img');
    img.src = qr.image;
    img.alt = alt || '微信扫码登录 / Scan with WeChat to log in';
    img.className = 'saoma-code';
    img.width = 240;
    img.height = 240;
    container.append(img);
  } else if (embed && iframeUrl) {
    const frame = document.createElement('iframe');
    frame.src = iframeUrl;
    frame.title = alt || 'WeChat login';
    frame.className = 'saoma-frame';
    container.append(frame);
    if (qr.url) {
      const fallback = document.createElement('p');
      fallback.className = 'saoma-fallback';
      const a = link('saoma-fallback-link');
      a.addEventListener('click', () => {
        const note = document.createElement('p');
        note.className = 'saoma-opened';
        note.textContent = openedText || '已在新窗口打开 / Opened in a new window';
        frame.replaceWith(note);
      });
      fallback.append(a);
      container.append(fallback);
    }
  } else if (qr.url) {
    container.append(link('saoma-link'));
  }
}

/** What a page can do while a scene waits: bind a phone when the status is `need_phone`. */
function handleFor(created, baseUrl, signal) {
  const headers = { 'X-Poll-Token': created.poll_token };
  const post = (path, body) =>
    request(baseUrl + path, { method: 'POST', body: { scene: created.scene, ...body }, headers, signal });
  return {
    scene: created.scene,
    provider: created.provider,
    /** Send an SMS code to `phone` (`POST /api/v1/phone/sms`). */
    sendSms: (phone) => post('/api/v1/phone/sms', { phone }),
    /** Bind `phone` with the SMS `code`; confirms the scene (`POST /api/v1/phone/bind`). */
    bindPhone: (phone, code) => post('/api/v1/phone/bind', { phone, code }),
  };
}

/** The outcome a final view means: tokens, or a SaomaError. `undefined` while waiting. */
function outcome(view) {
  if (view.tokens) return { tokens: view.tokens };
  if (view.redirect) return { redirect: view.redirect };
  if (view.status === 'cancelled') {
    // `refused`: Saoma refused the person (`account_disabled`, `not_provisioned`), not the phone.
    const error = new SaomaError('cancelled', view.refused ? 'login refused: ' + view.refused : 'login cancelled on the phone');
    error.refused = view.refused || null;
    return { error };
  }
  if (view.status === 'expired') return { error: new SaomaError('scene_expired', 'the code expired') };
  if (view.status === 'consumed') return { error: new SaomaError('scene_consumed', 'this code was already used') };
  return undefined;
}

/** Wait by SSE. Resolves with an outcome, or `null` when the stream cannot be used (the
 *  caller then polls, which also learns why: 401, 410, ...). */
function stream(created, baseUrl, report, signal) {
  return new Promise((resolve) => {
    if (typeof EventSource === 'undefined') return resolve(null);
    const crossOrigin = baseUrl && new URL(baseUrl, location.href).origin !== location.origin;
    const es = new EventSource(scenePath(baseUrl, created.scene) + '/events', { withCredentials: !!crossOrigin });
    let settled = false;
    const finish = (value) => {
      if (settled) return;
      settled = true;
      es.close();
      resolve(value);
    };
    signal.addEventListener('abort', () => finish({ error: new SaomaError('aborted', 'login aborted') }), { once: true });
    es.addEventListener('status', (ev) => {
      let view;
      try {
        view = JSON.parse(ev.data);
      } catch (_) {
        return;
      }
      report(view);
      const done = outcome(view);
      if (done) finish(done);
    });
    // A server's `event: error` ({code, message}: the tokens could not be handed out just now)
    // arrives here too, with data: the stream reads again by itself, so keep listening.
    es.onerror = (ev) => {
      if (ev && typeof ev.data === 'string') return;
      finish(null);
    };
  });
}

/** Poll until a final state, honouring `interval`, `slow_down` and Retry-After. */
async function poll(created, baseUrl, report, signal) {
  let interval = Math.max(1, created.interval || 2);
  let failures = 0;
  for (;;) {
    let view;
    try {
      view = await request(scenePath(baseUrl, created.scene), {
        headers: { 'X-Poll-Token': created.poll_token },
        signal,
      });
      failures = 0;
    } catch (e) {
      if (e.code === 'slow_down') {
        interval = Math.min(MAX_INTERVAL_S, interval * 2);
        await sleep(Math.max(interval, e.retryAfter) * 1000, signal);
        continue;
      }
      if ((e.code === 'network_error' || e.status >= 502) && ++failures <= NETWORK_RETRIES) {
        await sleep(Math.max(interval, e.retryAfter) * 1000, signal);
        continue;
      }
      if (e.code === 'scene_expired') report({ scene: created.scene, status: 'expired', expires_in: 0 });
      if (e.code === 'scene_consumed') report({ scene: created.scene, status: 'consumed', expires_in: 0 });
      return { error: e };
    }
    report(view);
    const done = outcome(view);
    if (done) return done;
    interval = Math.min(MAX_INTERVAL_S, Math.max(interval, view.interval || 0));
    await sleep(interval * 1000, signal);
  }
}

/** Wait for a created scene's outcome, reporting every status: tokens, `{redirect}`, or a
 *  SaomaError. */
async function follow(created, baseUrl, onStatus, signal) {
  const handle = handleFor(created, baseUrl, signal);
  let last = '';
  const report = (view) => {
    const key = view.status + (view.tokens || view.redirect ? '+done' : '');
    if (key === last) return;
    last = key;
    onStatus(view, handle);
  };
  if (created.status) report({ scene: created.scene, status: created.status, expires_in: created.expires_in, interval: created.interval });
  const result = (await stream(created, baseUrl, report, signal)) || (await poll(created, baseUrl, report, signal));
  if (result.error) throw result.error;
  return result.redirect ? { redirect: result.redirect } : result.tokens;
}

const IN_WECHAT_KEY = 'saoma-in-wechat';

/** Whether this page runs inside WeChat's browser (its User-Agent says `MicroMessenger`). */
export function inWechat() {
  return /MicroMessenger/i.test(navigator.userAgent || '');
}

/**
 * Log in inside WeChat's browser, with no code to scan (the official account's web
 * authorization): creates an `in_wechat` scene, remembers it in this tab (sessionStorage), and
 * sends the browser to WeChat, which sends it back to `returnUrl` (default: the server's
 * `in_wechat.return_url`). There, `resumeInWechat` finishes the login.
 */
export async function startInWechat({ baseUrl = '', returnUrl } = {}) {
  baseUrl = baseUrl.replace(/\/+$/, '');
  const body = { provider: 'in_wechat' };
  if (returnUrl) body.return_url = returnUrl;
  const created = await request(baseUrl + '/api/v1/scenes', { method: 'POST', body });
  const saved = { scene: created.scene, poll_token: created.poll_token, interval: created.interval, baseUrl };
  sessionStorage.setItem(IN_WECHAT_KEY, JSON.stringify(saved));
  location.assign(created.qr.url);
  return created;
}

/**
 * Back from WeChat: follow the login `startInWechat` began in this tab. Resolves with the token
 * set (as `login` does), or `null` when this tab has no in-WeChat login pending. `onStatus` as
 * for `login` (`need_phone` included).
 */
export async function resumeInWechat({ onStatus = () => {}, signal } = {}) {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(IN_WECHAT_KEY) || 'null');
  } catch (_) {}
  sessionStorage.removeItem(IN_WECHAT_KEY);
  if (!saved || !saved.scene || !saved.poll_token) return null;
  const controller = new AbortController();
  if (signal) signal.addEventListener('abort', () => controller.abort(), { once: true });
  try {
    const created = { ...saved, provider: 'in_wechat' };
    return await follow(created, saved.baseUrl || '', onStatus, controller.signal);
  } finally {
    controller.abort();
  }
}

/**
 * Log in with WeChat. Resolves with `{access_token, token_type, expires_in, refresh_token}`.
 *
 * - `provider`: `mini_program` (default), `official_account` or `website`.
 * - `container`: the element that shows the code (optional: render it yourself from onStatus).
 * - `onStatus(view, handle)`: called on every status (`pending`, `scanned`, `need_phone`,
 *   `confirmed`, `cancelled`, `expired`, `consumed`); `handle.sendSms(phone)` and
 *   `handle.bindPhone(phone, code)` answer `need_phone`.
 * - `baseUrl`: the Saoma origin when the page is elsewhere; `signal`: an AbortSignal.
 * - `alt`, `linkText`, `openedText`, `embed`: how the code is rendered (see renderCode).
 * - `create(signal)`: creates the scene instead of `POST /api/v1/scenes` (Saoma's hosted
 *   OpenID login page). Such a scene never yields tokens: `login` resolves with `{redirect}`,
 *   the one-time URL the browser goes to next.
 */
export async function login({ provider = 'mini_program', container, onStatus = () => {}, baseUrl = '', signal, alt, linkText, openedText, embed, create } = {}) {
  baseUrl = baseUrl.replace(/\/+$/, '');
  const controller = new AbortController();
  if (signal) {
    if (signal.aborted) controller.abort();
    signal.addEventListener('abort', () => controller.abort(), { once: true });
  }
  let shown = false;
  try {
    const created = create
      ? await create(controller.signal)
      : await createScene({ provider, baseUrl, signal: controller.signal });
    renderCode(container, created, { alt, linkText, openedText, embed });
    shown = true;
    return await follow(created, baseUrl, onStatus, controller.signal);
  } finally {
    controller.abort();
    // Whatever the outcome, the code is dead now: nobody should scan it.
    if (shown && container) container.replaceChildren();
  }
}

/** The account behind an access token (`GET /api/v1/me`). */
export function me(accessToken, { baseUrl = '' } = {}) {
  return request(baseUrl.replace(/\/+$/, '') + '/api/v1/me', { headers: { Authorization: 'Bearer ' + accessToken } });
}

/** Everything Saoma holds about the account (`GET /api/v1/me/export`). */
export function exportMe(accessToken, { baseUrl = '' } = {}) {
  return request(baseUrl + '/api/v1/me/export', { headers: { Authorization: 'Bearer ' + accessToken } });
}

/** Erase the account (`DELETE /api/v1/me`): needs the tokens of a login within 10 minutes,
 *  else a SaomaError `reauthentication_required`. */
export function deleteMe(accessToken, { baseUrl = '' } = {}) {
  return request(baseUrl + '/api/v1/me', { method: 'DELETE', headers: { Authorization: 'Bearer ' + accessToken } });
}
