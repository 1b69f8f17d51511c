// The mini-program's login page as WeChat shows it, in Node: Tencent's miniprogram-simulate
// renders miniprogram/pages/login (its WXML compiled by WeChat's own compiler, its bindings, its
// code) into jsdom. The test plays the person (taps buttons by their labels, reads the screen)
// and WeChat itself, through the `wx` APIs the simulator does not have:
// - wx.request: real HTTP to the running Saoma (`fail` when nothing answers, as WeChat does);
// - wx.login: a real code from the sandbox (`POST /sandbox/api/wx-login`) for the test's user;
// - how the page was opened: wx.getLaunchOptionsSync's scene (`launchScene`, 1047 a scanned
//   code, 1154 Moments' single-page mode) and wx.getApiCategory (`browseOnly` in 1154);
// - the getPhoneNumber button: a real code from the sandbox (`POST /sandbox/api/phone-code`),
//   or WeChat's refusals (the user says no, errno 104 when the privacy agreement is refused,
//   errno 1400001 when the sandbox's paid quota is spent);
// - the privacy agreement: wx.onNeedPrivacyAuthorization's listener is called before the
//   first phone number, and WeChat waits for its `resolve`, checking that an
//   `open-type="agreePrivacyAuthorization"` button was tapped before an `agree`.
const path = require('node:path');
const { JSDOM } = require('jsdom');
const { REPO } = require('./saoma');

const ROOT = path.join(REPO, 'miniprogram');
const PAGE = path.join(ROOT, 'pages', 'login', 'login');
const API = path.join(ROOT, 'utils', 'api.js');
const WAIT_MS = 10000;

let simulate = null;

/** jsdom as the page's document, once per process (miniprogram-simulate needs a DOM). */
function simulator() {
  if (simulate) return simulate;
  const { window } = new JSDOM('<!doctype html><html><head></head><body></body></html>', {
    pretendToBeVisual: true,
  });
  global.window = window;
  // The DOM classes that miniprogram-simulate and its renderer use, jsdom's rather than Node's
  // own Event and CustomEvent, which jsdom's elements would refuse.
  for (const name of ['document', 'navigator', 'Node', 'Element', 'HTMLElement', 'Event', 'CustomEvent',
    'TouchEvent', 'getComputedStyle', 'requestAnimationFrame', 'cancelAnimationFrame']) {
    Object.defineProperty(global, name, { value: window[name], configurable: true, writable: true });
  }
  simulate = require('miniprogram-simulate');
  return simulate;
}

/** wx.request over fetch: `success` for any HTTP answer, `fail` when none. */
function request({ url, method = 'GET', data, header = {}, timeout = 60000, success, fail, complete }) {
  const init = { method, headers: header, signal: AbortSignal.timeout(timeout) };
  if (data !== undefined && method !== 'GET') init.body = JSON.stringify(data);
  fetch(url, init)
    .then(async (res) => {
      const text = await res.text();
      let body = text;
      try {
        body = JSON.parse(text);
      } catch (_) {
        // wx.request hands over text that is not JSON as a string
      }
      const answer = { statusCode: res.status, data: body, header: Object.fromEntries(res.headers), errMsg: 'request:ok' };
      if (success) success(answer);
      if (complete) complete(answer);
    })
    .catch((e) => {
      const answer = { errMsg: 'request:fail ' + (e.cause ? e.cause.code || e.cause.message : e.message), errno: 600001 };
      if (fail) fail(answer);
      if (complete) complete(answer);
    });
}

async function sandboxPost(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(url + ' -> ' + res.status + ' ' + JSON.stringify(data));
  return data;
}

/**
 * WeChat on one person's phone: `user` is a sandbox user of the sandbox at `sandbox`.
 * `phoneAnswer` is what the person does on WeChat's phone-number sheet: "allow", "deny", or
 * "quota" (WeChat's errno 1400001: the mini-program's quota is used up). `onPhoneCode(code)`, when
 * set, runs between WeChat issuing a phone code and the page receiving it (e.g. to age it).
 */
class WeChat {
  constructor({ sandbox, user, privacyAgreed = false, launchScene = 1047 }) {
    this.sandbox = sandbox;
    this.user = user;
    this.launchScene = launchScene;
    this.logins = 0;
    this.privacyAgreed = privacyAgreed;
    this.phoneAnswer = 'allow';
    this.onPhoneCode = null;
    this.privacyListener = null;
    this.privacyPrompts = [];
    this.tappedAgreeButtons = new Set();
    this.pendingPrivacy = null;
  }

  /** The `wx` functions this WeChat provides on top of the simulator's. */
  api() {
    return {
      request,
      getLaunchOptionsSync: () => ({ scene: this.launchScene, query: {}, referrerInfo: {} }),
      getApiCategory: () => (this.launchScene === 1154 ? 'browseOnly' : 'default'),
      login: ({ success, fail, complete }) => {
        this.logins += 1;
        sandboxPost(this.sandbox + '/sandbox/api/wx-login', { user: this.user })
          .then((body) => {
            const answer = { code: body.code, errMsg: 'login:ok' };
            if (success) success(answer);
            if (complete) complete(answer);
          })
          .catch((e) => {
            const answer = { errMsg: 'login:fail ' + (e.cause ? e.cause.code || e.cause.message : e.message) };
            if (fail) fail(answer);
            if (complete) complete(answer);
          });
      },
      onNeedPrivacyAuthorization: (listener) => {
        this.privacyListener = listener;
      },
      getPrivacySetting: ({ success, complete }) => {
        const answer = { needAuthorization: !this.privacyAgreed, privacyContractName: '《Saoma 小程序隐私保护指引》', errMsg: 'getPrivacySetting:ok' };
        if (success) success(answer);
        if (complete) complete(answer);
      },
      openPrivacyContract: ({ success } = {}) => success && success({ errMsg: 'openPrivacyContract:ok' }),
    };
  }

  /**
   * Before a privacy API runs for a person who has not agreed: call the page's listener and
   * wait for its answer. Resolves true when the person agreed.
   */
  askPrivacy(referrer) {
    if (this.privacyAgreed) return Promise.resolve(true);
    if (!this.privacyListener) {
      throw new Error('the page registered no wx.onNeedPrivacyAuthorization listener');
    }
    this.tappedAgreeButtons.clear();
    return new Promise((settle, reject) => {
      this.pendingPrivacy = reject;
      this.privacyPrompts.push(referrer);
      this.privacyListener((answer) => {
        if (!answer || answer.event === 'exposureAuthorization') return;
        this.pendingPrivacy = null;
        if (answer.event === 'agree') {
          if (!this.tappedAgreeButtons.has(answer.buttonId)) {
            reject(new Error('resolve({event: "agree"}) names a button that was not tapped: ' + answer.buttonId));
            return;
          }
          this.privacyAgreed = true;
          settle(true);
        } else {
          settle(false);
        }
      }, { referrer });
    });
  }

  /** What the getPhoneNumber button's event carries after the person's tap. */
  async phoneNumberDetail() {
    const agreed = await this.askPrivacy('button.getPhoneNumber');
    if (!agreed) return { errMsg: 'getPhoneNumber:fail privacy permission is not authorized', errno: 104 };
    if (this.phoneAnswer === 'deny') return { errMsg: 'getPhoneNumber:fail user deny' };
    if (this.phoneAnswer === 'quota') return { errMsg: 'getPhoneNumber:fail no permission', errno: 1400001 };
    // WeChat checks the mini-program's paid quota on the tap: none left, no code (errno 1400001).
    const res = await fetch(this.sandbox + '/sandbox/api/phone-code', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: this.user }),
    });
    const body = await res.json();
    if (res.status === 403 && body.errno) return { errMsg: body.errMsg, errno: body.errno };
    if (!res.ok) throw new Error('phone-code -> ' + res.status + ' ' + JSON.stringify(body));
    const { code } = body;
    if (this.onPhoneCode) await this.onPhoneCode(code);
    return { errMsg: 'getPhoneNumber:ok', code };
  }
}

/** The text a person reads on the page, one space between the texts of separate elements. */
function screenText(page) {
  const walker = document.createTreeWalker(page.dom, window.NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    if (text) texts.push(text);
  }
  return texts.join(' ').replace(/\s+/g, ' ');
}

/** Wait until the page shows `text` (a string or RegExp); fails with what it shows instead. */
async function waitForText(page, text, timeoutMs = WAIT_MS) {
  const shown = () => (typeof text === 'string' ? screenText(page).includes(text) : text.test(screenText(page)));
  const until = Date.now() + timeoutMs;
  while (!shown()) {
    if (Date.now() > until) throw new Error('the page never showed ' + text + '; it shows: ' + screenText(page));
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The buttons on screen, with their labels and WXML attributes. */
function buttons(page) {
  // j-component's selectors know classes and ids, not tags: find the buttons in the DOM, and
  // wrap their nodes in j-component's own node class (the root's parent class).
  const Node = Object.getPrototypeOf(page.constructor);
  const nodes = [...page.dom.querySelectorAll('wx-button')].map((el) => new Node(el.__wxElement));
  return nodes.map((node) => {
    const json = node.toJSON();
    const attrs = Object.fromEntries(json.attrs.map((a) => [a.name, a.value]));
    return { node, label: node.dom.textContent.trim(), attrs, events: json.event };
  });
}

function labels(page) {
  return buttons(page).map((b) => b.label);
}

/**
 * Open the login page as WeChat does for a scanned code: `query` is the page's query (the
 * scene arrives URL-encoded), `base` the Saoma the page talks to.
 */
async function openLoginPage({ base, wechat, query }) {
  const sim = simulator();
  Object.assign(global.wx, wechat.api());
  require(API).setBaseUrl(base);
  const id = sim.load(PAGE, { rootPath: ROOT });
  const page = sim.render(id);
  page.attach(document.createElement('parent-wrapper'));
  // WeChat runs onLoad with the query when the page opens.
  await page.instance.onLoad(query);

  /**
   * The person taps the button labelled `label`. WeChat turns the tap into the button's
   * events: `tap`, or for an open-type button the WeChat flow and its event.
   */
  async function tap(label) {
    const button = buttons(page).find((b) => b.label === label);
    if (!button) throw new Error('no button "' + label + '" on screen: ' + screenText(page));
    if (button.attrs.disabled === true) throw new Error('the button "' + label + '" is disabled');
    const openType = button.attrs.openType;
    if (openType === 'getPhoneNumber') {
      const detail = await wechat.phoneNumberDetail();
      button.node.dispatchEvent('getphonenumber', { detail });
    } else if (openType === 'agreePrivacyAuthorization') {
      wechat.tappedAgreeButtons.add(button.attrs.id);
      button.node.dispatchEvent('agreeprivacyauthorization', { detail: {} });
    } else {
      button.node.dispatchEvent('tap', { detail: { x: 0, y: 0 } });
    }
  }

  /**
   * Tap a button whose WeChat flow waits for the person (the phone button before the privacy
   * popup is answered): start it and wait for `text` on screen. `done` settles with the flow.
   */
  async function tapAndWait(label, text) {
    const flow = tap(label);
    await Promise.race([waitForText(page, text), flow]);
    await waitForText(page, text);
    return { done: flow };
  }

  /** The person types `value` into the `<input>` whose id is `id`. */
  function type(id, value) {
    const input = page.querySelector('#' + id);
    if (!input) throw new Error('no input #' + id + ' on screen: ' + screenText(page));
    input.dispatchEvent('input', { detail: { value } });
  }

  return {
    page,
    tap,
    type,
    tapAndWait,
    text: () => screenText(page),
    waitForText: (text, timeoutMs) => waitForText(page, text, timeoutMs),
    labels: () => labels(page),
    api: require(API),
  };
}

module.exports = { WeChat, openLoginPage, ROOT };
