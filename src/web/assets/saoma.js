// Saoma browser SDK: `login({provider, container, onStatus})` shows a WeChat code in
// `container` and resolves with the token set once the user confirms on the phone.
// Same origin: waits by Server-Sent Events (the poll-token cookie authorises it) and falls
// back to polling. Another origin: pass `baseUrl`; it polls with the X-Poll-Token header.

export class SaomaError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

async function request(url, options) {
  let res;
  try {
    res = await fetch(url, { credentials: 'include', ...options });
  } catch (e) {
    throw new SaomaError('network_error', String(e), 0);
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new SaomaError(body.code || 'http_' + res.status, body.message, res.status);
    err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw err;
  }
  return body;
}

/** Create a scene; returns `{scene, provider, poll_token, status, expires_in, interval, qr}`. */
export function createScene({ provider = 'mini_program', scene, baseUrl = '' } = {}) {
  return request(baseUrl + '/api/v1/scenes', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(scene ? { provider, scene } : { provider }),
  });
}

function scenePath(baseUrl, scene) {
  return baseUrl + '/api/v1/scenes/' + encodeURIComponent(scene);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll until a final state; `onStatus` sees every status. Resolves with the token set. */
async function poll(created, baseUrl, onStatus, signal) {
  let interval = Math.max(1, created.interval || 2) * 1000;
  let last;
  while (!signal.aborted) {
    let view;
    try {
      view = await request(scenePath(baseUrl, created.scene), {
        headers: { 'X-Poll-Token': created.poll_token },
      });
    } catch (e) {
      if (e.code === 'slow_down') {
        interval += 1000;
        continue;
      }
      if (e.code === 'scene_expired') onStatus({ scene: created.scene, status: 'expired' });
      throw e;
    }
    if (view.status !== last) {
      last = view.status;
      onStatus(view);
    }
    if (view.tokens) return view.tokens;
    if (view.status === 'cancelled') throw new SaomaError('cancelled', 'login cancelled on the phone');
    await sleep(view.interval ? view.interval * 1000 : interval);
  }
  throw new SaomaError('aborted', 'login aborted');
}

/** Wait by SSE; resolves with the token set, rejects with a SaomaError, or with `null` when
 *  the stream cannot be used (the caller falls back to polling). */
function stream(created, baseUrl, onStatus, signal) {
  return new Promise((resolve, reject) => {
    if (typeof EventSource === 'undefined') return reject(null);
    const es = new EventSource(scenePath(baseUrl, created.scene) + '/events', { withCredentials: true });
    let settled = false;
    const finish = (fn, value) => {
      if (settled) return;
      settled = true;
      es.close();
      fn(value);
    };
    signal.addEventListener('abort', () => finish(reject, new SaomaError('aborted', 'login aborted')));
    es.addEventListener('status', (ev) => {
      const view = JSON.parse(ev.data);
      onStatus(view);
      if (view.tokens) finish(resolve, view.tokens);
      else if (view.status === 'cancelled') finish(reject, new SaomaError('cancelled', 'login cancelled on the phone'));
      else if (view.status === 'expired') finish(reject, new SaomaError('scene_expired', 'the code expired'));
      else if (view.status === 'consumed') finish(reject, new SaomaError('scene_consumed', 'already logged in elsewhere'));
    });
    es.onerror = () => finish(reject, null);
  });
}

/** Render the code into `container` (an element). */
export function renderCode(container, created, alt) {
  if (!container) return;
  container.replaceChildren();
  if (created.qr && created.qr.image) {
    const img = document.createElement('img');
    img.src = created.qr.image;
    img.alt = alt || '微信扫码登录 / Scan with WeChat to log in';
    img.className = 'saoma-code';
    img.dataset.scene = created.scene;
    container.append(img);
  } else if (created.qr && created.qr.url) {
    const a = document.createElement('a');
    a.href = created.qr.url;
    a.textContent = alt || 'Log in with WeChat';
    container.append(a);
  }
}

/**
 * Log in with WeChat. Resolves with `{access_token, token_type, expires_in, refresh_token}`.
 * Rejects with a SaomaError: `cancelled`, `scene_expired`, `network_error`, or an API code.
 */
export async function login({ provider = 'mini_program', container, onStatus = () => {}, baseUrl = '', signal, alt } = {}) {
  const controller = new AbortController();
  if (signal) signal.addEventListener('abort', () => controller.abort());
  const created = await createScene({ provider, baseUrl });
  renderCode(container, created, alt);
  onStatus({ scene: created.scene, status: created.status, expires_in: created.expires_in });
  const sameOrigin = !baseUrl || new URL(baseUrl, location.href).origin === location.origin;
  if (sameOrigin) {
    try {
      return await stream(created, baseUrl, onStatus, controller.signal);
    } catch (e) {
      if (e) throw e;
    }
  }
  return poll(created, baseUrl, onStatus, controller.signal);
}

/** The account behind an access token (`GET /api/v1/me`). */
export function me(accessToken, { baseUrl = '' } = {}) {
  return request(baseUrl + '/api/v1/me', { headers: { Authorization: 'Bearer ' + accessToken } });
}
