// The SDK on another origin, as an integrator uses it: a shop's page (its own server, another
// origin and site) imports /saoma.js from Saoma, calls login() with baseUrl, and gets tokens.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startSaoma, freePort } = require('./lib/saoma');
const { launch, readQr, screenshot } = require('./lib/browser');

let saoma;
let shop;
let shopOrigin;
let browser;

/** The integrator's page: the README's ten lines, and a place to show the outcome. */
function shopPage(saomaBase) {
  return `<!doctype html><meta charset="utf-8"><title>Shop</title>
<h1>Shop</h1><div id="login"></div><p id="who">not logged in</p>
<script type="module">
import { login, me } from '${saomaBase}/saoma.js';
const baseUrl = '${saomaBase}';
const who = document.getElementById('who');
try {
  const tokens = await login({ baseUrl, container: document.getElementById('login'),
    onStatus: (view) => { who.dataset.status = view.status; } });
  const account = await me(tokens.access_token, { baseUrl });
  who.textContent = 'logged in as ' + account.id;
} catch (e) {
  who.textContent = 'failed: ' + e.code;
}
</script>`;
}

before(async () => {
  const port = await freePort();
  shopOrigin = 'http://localhost:' + port;
  saoma = await startSaoma({ SAOMA_WEB__CORS_ORIGINS: JSON.stringify([shopOrigin]) });
  shop = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(shopPage(saoma.base));
  });
  await new Promise((r) => shop.listen(port, '127.0.0.1', r));
  browser = await launch();
});

after(async () => {
  await Promise.all([browser && browser.close(), saoma && saoma.stop(), shop && new Promise((r) => shop.close(r))]);
});

test('a page on an allowed origin logs in with the SDK', async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(shopOrigin + '/');
  const code = page.locator('#login img');
  await code.waitFor();
  const url = await readQr(code);
  assert.ok(url.startsWith(saoma.base + '/sandbox/phone?scene='), url);

  const phone = await (await browser.newContext({ isMobile: true, viewport: { width: 390, height: 760 } })).newPage();
  await phone.goto(url);
  await phone.locator('#confirm:enabled').click();

  await page.locator('#who').getByText('logged in as').waitFor({ timeout: 20000 });
  assert.equal(await page.locator('#who').getAttribute('data-status'), 'confirmed');
  assert.equal(await code.count(), 0, 'the SDK takes the used code away');
  await screenshot(page, 'sdk-other-origin');
  await context.close();
  await phone.context().close();
});
