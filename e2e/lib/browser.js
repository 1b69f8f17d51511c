// Debian's Chromium driven by playwright-core (no browser download), and the QR decoding a
// phone camera would do: a screenshot of the code as shown, decoded with jsQR.
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { PNG } = require('pngjs');
const jsQR = require('jsqr');
const { REPO } = require('./saoma');

const SCREENSHOTS = path.join(REPO, 'target', 'screenshots');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A fresh Chromium (Playwright gives each launch a new, empty user-data-dir). */
function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
}

/** Decode the QR code shown by `locator` (an element on screen). */
async function readQr(locator) {
  const png = PNG.sync.read(await locator.screenshot());
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!found) throw new Error('no QR code could be read from the element');
  return found.data;
}

async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The account the demo page shows once logged in: waits until it is filled in (the page
 *  says 登录成功 first, then fetches /api/v1/me). */
async function shownAccount(page) {
  await page.waitForFunction(() => {
    const el = document.getElementById('account-json');
    return !!el && el.textContent.trim().length > 0;
  });
  return JSON.parse(await page.locator('#account-json').textContent());
}

module.exports = { launch, readQr, screenshot, shownAccount, SCREENSHOTS };
