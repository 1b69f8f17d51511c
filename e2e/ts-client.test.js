// The TypeScript client of ts-client/: types generated from the checked-in document by
// openapi-typescript, requests by openapi-fetch, checked by `tsc --strict`; a file of
// deliberate mistakes must fail the check with exactly its marked errors; the compiled client
// logs in against a sandbox Saoma (create, poll with the poll token, slow_down).
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startSaoma, postJson, REPO } = require('./lib/saoma');

const DIR = path.join(__dirname, 'ts-client');
const BIN = path.join(__dirname, 'node_modules', '.bin');

function tsc(project) {
  return spawnSync(path.join(BIN, 'tsc'), ['-p', path.join(DIR, project)], { cwd: __dirname, encoding: 'utf8' });
}

test.before(() => {
  fs.rmSync(path.join(DIR, '.generated'), { recursive: true, force: true });
  fs.rmSync(path.join(DIR, '.build'), { recursive: true, force: true });
  execFileSync(path.join(BIN, 'openapi-typescript'), [
    path.join(REPO, 'openapi', 'openapi.json'),
    '-o',
    path.join(DIR, '.generated', 'saoma.d.ts'),
  ], { stdio: 'pipe' });
});

test('the client type-checks with tsc --strict against the generated types', () => {
  const out = tsc('tsconfig.json');
  assert.equal(out.status, 0, out.stdout + out.stderr);
});

test('the deliberate mistakes fail the check, each with its expected error', () => {
  const source = fs.readFileSync(path.join(DIR, 'type-errors.mts'), 'utf8').split('\n');
  const expected = new Set();
  source.forEach((line, i) => {
    const m = line.match(/\/\/ @expect (TS\d+)/);
    if (m) expected.add(`${i + 1} ${m[1]}`);
  });
  assert.ok(expected.size >= 5, 'the file marks its mistakes');
  const out = tsc('tsconfig.errors.json');
  assert.notEqual(out.status, 0, 'tsc must fail on type-errors.mts');
  const found = new Set();
  for (const m of (out.stdout + out.stderr).matchAll(/type-errors\.mts\((\d+),\d+\): error (TS\d+)/g)) {
    found.add(`${m[1]} ${m[2]}`);
  }
  assert.deepEqual([...found].sort(), [...expected].sort(), out.stdout);
});

test('the compiled client creates a scene, polls it with its token, and obeys slow_down', async (t) => {
  const built = tsc('tsconfig.json');
  assert.equal(built.status, 0, built.stdout);
  const saomaProcess = await startSaoma();
  t.after(() => saomaProcess.stop());
  const base = saomaProcess.base;
  const { saoma } = await import(path.join(DIR, '.build', 'client.mjs'));
  const api = saoma(base);

  const created = await api.createScene('mini_program');
  assert.equal(created.status, 'pending');
  const scene = api.scene(created);
  const first = await scene.poll();
  assert.equal(first.view.status, 'pending');
  // Polled again at once: slow_down, with how long to wait.
  const second = await scene.poll();
  assert.ok(second.slowDown >= 1, JSON.stringify(second));

  // The phone: a sandbox user scans and confirms while the client waits.
  const waiting = scene.wait();
  const user = (await postJson(base + '/sandbox/api/users', { nickname: 'TS' })).id;
  await postJson(base + '/api/v1/mini-program/scan', { scene: created.scene });
  const { code } = await postJson(base + '/sandbox/api/wx-login', { user });
  await postJson(base + '/api/v1/mini-program/login', { code, scene: created.scene, approve: true });

  const { view, slowDowns } = await waiting;
  assert.equal(view.status, 'confirmed');
  assert.equal(view.tokens.token_type, 'Bearer');
  assert.ok(slowDowns >= 1, 'the first wait poll came too soon and was told to slow down');
});
