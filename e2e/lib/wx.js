// A stand-in for the mini-program runtime, enough to run miniprogram/pages/login in Node:
// `Page()` is captured, `setData` applies to `data`, `wx.request` makes real HTTP calls and
// `wx.login` asks the sandbox for a code, as WeChat would give the real mini-program one.
const path = require('node:path');
const { REPO } = require('./saoma');

const PAGE = path.join(REPO, 'miniprogram', 'pages', 'login', 'login.js');
const API = path.join(REPO, 'miniprogram', 'utils', 'api.js');

/** What `wx.request` does, over fetch: `success` for any HTTP answer, `fail` when none. */
function request({ url, method = 'GET', data, header = {}, timeout = 60000, success, fail }) {
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
      success && success({ statusCode: res.status, data: body, header: Object.fromEntries(res.headers), errMsg: 'request:ok' });
    })
    .catch((e) => fail && fail({ errMsg: 'request:fail ' + (e.cause ? e.cause.code || e.cause.message : e.message), errno: 600001 }));
}

/**
 * Load the real login page with a fresh module cache. `sandbox` is where wx.login gets codes,
 * `user` the sandbox user playing the phone's owner; `login` replaces wx.login entirely.
 */
function loadLoginPage({ base, sandbox = base, user, login } = {}) {
  let config = null;
  const wx = {
    request,
    login:
      login ||
      (({ success, fail }) => {
        fetch(sandbox + '/sandbox/api/wx-login', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ user }),
        })
          .then((res) => res.json())
          .then((body) => success({ code: body.code, errMsg: 'login:ok' }))
          .catch((e) => fail({ errMsg: 'login:fail ' + e.message }));
      }),
  };
  global.wx = wx;
  global.Page = (c) => {
    config = c;
  };
  global.getApp = () => ({ globalData: {} });
  delete require.cache[PAGE];
  delete require.cache[API];
  require(PAGE);
  const api = require(API);
  api.setBaseUrl(base);
  if (!config) throw new Error('the page did not call Page()');

  const page = { ...config, data: structuredClone(config.data), history: [] };
  page.setData = function setData(patch) {
    Object.assign(this.data, patch);
    this.history.push({ ...this.data });
  };
  return { page, api, wx };
}

module.exports = { loadLoginPage };
