// Saoma's webhooks verified by the official Standard Webhooks library (the `standardwebhooks`
// npm package), not by Saoma's code: a receiver in Node, Saoma started with it in
// [[webhooks]], real logins in the sandbox (a sandbox user, wx.login, the mini-program login).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Webhook } = require('standardwebhooks');
const { startSaoma, freePort } = require('./lib/saoma');

const SECRET = 'whsec_' + Buffer.from('e2e webhook secret, 32 bytes long').toString('base64');
let saoma;
let receiver;
let receiverBase;
const verified = [];
const refused = [];
// Deliveries to the endpoint created through the admin API (path /rotated): raw, verified by
// the test itself with each secret.
const rotated = [];
const ADMIN_SECRET = 'e2e-admin-client-secret-0123456789';

before(async () => {
  const port = await freePort();
  const wh = new Webhook(SECRET);
  receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/rotated') {
        rotated.push({ body, headers: req.headers });
        res.writeHead(204).end();
        return;
      }
      try {
        verified.push({ event: wh.verify(body, req.headers), id: req.headers['webhook-id'] });
        res.writeHead(204).end();
      } catch (e) {
        refused.push(String(e));
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((r) => receiver.listen(port, '127.0.0.1', r));
  const toml = [
    '[[webhooks]]',
    `url = "http://127.0.0.1:${port}/hooks"`,
    `secret = "${SECRET}"`,
    '',
    '[[oidc.clients]]',
    'client_id = "ops"',
    `client_secret = "${ADMIN_SECRET}"`,
    'grant_types = ["client_credentials"]',
    'scopes = ["saoma:admin"]',
    'name = "Ops"',
    '',
  ].join('\n');
  receiverBase = `http://127.0.0.1:${port}`;
  saoma = await startSaoma({}, { toml });
});

after(async () => {
  await Promise.all([saoma && saoma.stop(), receiver && new Promise((r) => receiver.close(r))]);
});

async function post(path, body) {
  const res = await fetch(saoma.base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(res.ok, path + ' answered ' + res.status);
  return res.json();
}

async function newUser(nickname) {
  return (await post('/sandbox/api/users', { nickname })).id;
}

/** The sandbox user logs in to the mini-program: its account id. */
async function login(user) {
  const { code } = await post('/sandbox/api/wx-login', { user });
  const answer = await post('/api/v1/mini-program/login', { code, approve: true });
  return answer.account.id;
}

async function until(done, ms = 15000) {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('waited in vain; received ' + JSON.stringify(verified));
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('every delivery of real sandbox logins verifies with the standardwebhooks library', async () => {
  const [ming, hong] = [await newUser('小明'), await newUser('小红')];
  const accounts = [await login(ming), await login(hong), await login(ming)];
  const of = (type, account) => verified.filter((v) => v.event.type === type && v.event.account_id === account);
  await until(() => of('login.succeeded', accounts[0]).length === 2 && of('account.created', accounts[1]).length > 0);
  assert.deepEqual(refused, []);
  const created = of('account.created', accounts[0])[0];
  assert.equal(created.event.id, created.id, 'the body names the webhook-id');
  assert.equal(created.event.data.login.provider, 'mini_program');
  assert.equal(created.event.actor, 'system');
  // The same person twice is one account: its second login creates nothing.
  assert.equal(accounts[0], accounts[2]);
  assert.equal(of('account.created', accounts[0]).length, 1);
  assert.equal(of('login.succeeded', accounts[0]).length, 2);
  // A tampered body is refused by the same library.
  const wh = new Webhook(SECRET);
  const ts = Math.floor(Date.now() / 1000).toString();
  assert.throws(() => wh.verify('{"type":"account.deleted"}', { 'webhook-id': created.id, 'webhook-timestamp': ts, 'webhook-signature': 'v1,AAAA' }));
});

/** An admin token for the `ops` client (client_credentials). */
async function adminToken() {
  const res = await fetch(saoma.base + '/oidc/token', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from('ops:' + ADMIN_SECRET).toString('base64'),
    },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).access_token;
}

async function admin(token, path, body, status) {
  const res = await fetch(saoma.base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, status, path + ': ' + (await res.clone().text()));
  return res.json();
}

test('after a rotation through the admin API, deliveries verify with the old and the new secret', async () => {
  const token = await adminToken();
  const created = await admin(token, '/admin/v1/webhooks', { url: receiverBase + '/rotated', events: ['login.succeeded'] }, 201);
  const oldSecret = created.secret;
  const turned = await admin(token, `/admin/v1/webhooks/${created.endpoint.id}/rotate`, {}, 200);
  const newSecret = turned.secret;
  assert.notEqual(newSecret, oldSecret);

  const account = await login(await newUser('小刚'));
  const deadline = Date.now() + 15000;
  const mine = () => rotated.filter((d) => JSON.parse(d.body).account_id === account);
  while (mine().length === 0) {
    if (Date.now() > deadline) throw new Error('no delivery to the rotated endpoint');
    await new Promise((r) => setTimeout(r, 100));
  }
  const [delivery] = mine();
  // Both secrets verify the same delivery, through the library a receiver would use.
  for (const secret of [oldSecret, newSecret]) {
    const event = new Webhook(secret).verify(delivery.body, delivery.headers);
    assert.equal(event.type, 'login.succeeded');
    assert.equal(event.account_id, account);
  }
  // A secret that was never the endpoint's does not.
  const stranger = 'whsec_' + Buffer.from('a stranger secret of 32 bytes!!!').toString('base64');
  assert.throws(() => new Webhook(stranger).verify(delivery.body, delivery.headers));
});
