// OpenID Connect Back-Channel Logout 1.0 as a relying party checks it: a receiver in Node
// verifies every logout token with `jose` (nobody here wrote it) against Saoma's JWKS, and
// checks each claim the specification (section 2.6) requires. A real login in the sandbox (the
// hosted page's scene confirmed by a sandbox user), two clients (RS256 and EdDSA id_tokens)
// through one SSO session, then RP-initiated logout.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startSaoma, freePort } = require('./lib/saoma');

const SECRET = 'backchannel-e2e-secret';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
let saoma;
let receiver;
let rpBase;
const verified = [];
const refused = [];

/** The `[[oidc.clients]]` entry of `id`, its logout URI on the receiver. */
function clientToml(id, alg) {
  return [
    '[[oidc.clients]]',
    ...(alg ? [`id_token_signed_response_alg = "${alg}"`] : []),
    `client_id = "${id}"`,
    `client_secret = "${SECRET}"`,
    `redirect_uris = ["${rpBase}/cb/${id}"]`,
    `post_logout_redirect_uris = ["${rpBase}/bye"]`,
    `name = "RP ${id}"`,
    `backchannel_logout_uri = "${rpBase}/backchannel/${id}"`,
    'backchannel_logout_session_required = true',
    '',
  ].join('\n');
}

before(async () => {
  const port = await freePort();
  rpBase = 'http://127.0.0.1:' + port;
  const jose = await import('jose');
  let jwks;
  receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const client = req.url.split('/').pop();
      try {
        assert.equal(req.method, 'POST');
        assert.match(req.headers['content-type'], /^application\/x-www-form-urlencoded/);
        const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('logout_token');
        jwks = jwks || jose.createRemoteJWKSet(new URL(saoma.base + '/oidc/jwks'));
        // Section 2.6: the signature (the JWKS), iss, aud, iat; typed logout+jwt; exp.
        const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
          issuer: saoma.base,
          audience: client,
          typ: 'logout+jwt',
          requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti', 'events'],
          maxTokenAge: '2 minutes',
        });
        // The events claim names the back-channel logout event (a JSON object).
        assert.deepEqual(payload.events[EVENT], {});
        // sub or sid (sid: backchannel_logout_session_required), and never a nonce.
        assert.ok(payload.sid && payload.sub, 'sid and sub');
        assert.equal(payload.nonce, undefined);
        verified.push({ client, payload, protectedHeader });
        res.writeHead(200, { 'Cache-Control': 'no-store' }).end();
      } catch (e) {
        refused.push(client + ': ' + String(e));
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((r) => receiver.listen(port, '127.0.0.1', r));
  saoma = await startSaoma({}, { toml: clientToml('rp-one') + clientToml('rp-two', 'EdDSA') + clientToml('rp-idle') });
});

after(async () => {
  await Promise.all([saoma && saoma.stop(), receiver && new Promise((r) => receiver.close(r))]);
});

/** A browser without one: a cookie jar and no redirects followed. */
function browser() {
  const jar = new Map();
  return async (path, init = {}) => {
    const headers = { ...(init.headers || {}) };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => k + '=' + v).join('; ');
    const res = await fetch(new URL(path, saoma.base), { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value) jar.set(name, value);
      else jar.delete(name);
    }
    return res;
  };
}

async function post(path, body) {
  const res = await fetch(saoma.base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(res.ok, path + ' answered ' + res.status);
  return res.json();
}

function authorizeUrl(client) {
  const q = new URLSearchParams({
    client_id: client,
    redirect_uri: `${rpBase}/cb/${client}`,
    response_type: 'code',
    scope: 'openid',
    state: 'st-' + client,
    nonce: 'n-' + client,
  });
  return '/oidc/authorize?' + q;
}

/** The code in a redirect to the client's callback. */
function codeOf(res) {
  assert.equal(res.status, 303, 'a redirect to the client');
  return new URL(res.headers.get('location')).searchParams.get('code');
}

async function idToken(client, code) {
  const res = await fetch(saoma.base + '/oidc/token', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(client + ':' + SECRET).toString('base64'),
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: `${rpBase}/cb/${client}` }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).id_token;
}

async function until(done, ms = 15000) {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('waited in vain; verified ' + JSON.stringify(verified) + ' refused ' + refused);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('logout tokens verify against the JWKS with jose and name the id_tokens session', async () => {
  const jose = await import('jose');
  const go = browser();
  // rp-one: the hosted login page, its scene confirmed on the phone (a sandbox user).
  const page = await (await go(authorizeUrl('rp-one'))).text();
  const request = page.split('data-request="')[1].split('"')[0];
  const created = await (
    await go('/oidc/login/scene', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request }),
    })
  ).json();
  const user = (await post('/sandbox/api/users', { nickname: '小白' })).id;
  await post('/api/v1/mini-program/scan', { scene: created.scene });
  const { code: wxCode } = await post('/sandbox/api/wx-login', { user });
  await post('/api/v1/mini-program/login', { code: wxCode, scene: created.scene, approve: true });
  const view = await (
    await fetch(saoma.base + '/api/v1/scenes/' + encodeURIComponent(created.scene), {
      headers: { 'X-Poll-Token': created.poll_token },
    })
  ).json();
  const one = jose.decodeJwt(await idToken('rp-one', codeOf(await go(view.redirect))));
  // rp-two: single sign-on, no scan.
  const two = jose.decodeJwt(await idToken('rp-two', codeOf(await go(authorizeUrl('rp-two')))));
  assert.equal(two.sid, one.sid);
  assert.equal(verified.length, 0);

  // RP-initiated logout by rp-one ends the session: both clients are told, rp-idle is not.
  const hint = await idToken('rp-one', codeOf(await go(authorizeUrl('rp-one'))));
  const bye = await go('/oidc/logout?' + new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: rpBase + '/bye' }));
  assert.equal(bye.status, 303);
  await until(() => verified.length >= 2);
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(refused, []);
  assert.deepEqual(verified.map((v) => v.client).sort(), ['rp-one', 'rp-two']);
  for (const { client, payload, protectedHeader } of verified) {
    assert.equal(payload.sid, one.sid);
    assert.equal(payload.sub, one.sub);
    assert.equal(protectedHeader.alg, client === 'rp-two' ? 'EdDSA' : 'RS256', 'the id_token key');
  }
  assert.notEqual(verified[0].payload.jti, verified[1].payload.jti);
});
