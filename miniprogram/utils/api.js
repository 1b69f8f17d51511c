// The mini-program's calls to Saoma and to WeChat, as promises. The server's URL is here and
// nowhere else: in production an https domain listed under the mini-program's "request
// legal domains"; in WeChat DevTools (with "do not verify domains" ticked) any reachable URL.
let baseUrl = 'http://127.0.0.1:8080';

const REQUEST_TIMEOUT_MS = 10000;

/** Point the mini-program at another Saoma (tests, or a DevTools session). */
function setBaseUrl(url) {
  baseUrl = String(url).replace(/\/+$/, '');
}

function getBaseUrl() {
  return baseUrl;
}

/**
 * A failure with a stable `code`: Saoma's error codes (`scene_expired`, `invalid_code`, ...),
 * `network_error` when the server cannot be reached, `wx_login_failed` when WeChat's own
 * wx.login fails (`errno` holds WeChat's number when it gave one).
 */
class ApiError extends Error {
  constructor(code, message, status, errno) {
    super(message || code);
    this.name = 'ApiError';
    this.code = code;
    this.status = status || 0;
    this.errno = errno;
  }
}

function request(path, data, token) {
  return new Promise((resolve, reject) => {
    const header = { 'Content-Type': 'application/json' };
    if (token) header.Authorization = 'Bearer ' + token;
    wx.request({
      url: baseUrl + path,
      method: 'POST',
      data,
      header,
      dataType: 'json',
      timeout: REQUEST_TIMEOUT_MS,
      success(res) {
        if (res.statusCode >= 200 && res.statusCode < 300) {
          resolve(res.data);
          return;
        }
        const body = res.data && typeof res.data === 'object' ? res.data : {};
        reject(new ApiError(body.code || 'http_' + res.statusCode, body.message, res.statusCode));
      },
      fail(err) {
        reject(new ApiError('network_error', (err && err.errMsg) || 'request:fail', 0, err && err.errno));
      },
    });
  });
}

/** wx.login()'s single-use code (5 minutes). */
function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      timeout: REQUEST_TIMEOUT_MS,
      success(res) {
        if (res && res.code) resolve(res.code);
        else reject(new ApiError('wx_login_failed', (res && res.errMsg) || 'login:fail no code'));
      },
      fail(err) {
        reject(new ApiError('wx_login_failed', (err && err.errMsg) || 'login:fail', 0, err && err.errno));
      },
    });
  });
}

/** Tell Saoma the code was scanned; resolves with `{scene, status, requester}`. */
function scan(scene) {
  return request('/api/v1/mini-program/scan', { scene });
}

/** Confirm (approve) or cancel the browser's login; resolves with `{account, tokens, scene_status}`. */
function login(code, scene, approve) {
  return request('/api/v1/mini-program/login', { code, scene, approve });
}

/** Bind the phone number from the getPhoneNumber button's code. */
function bindPhone(code, accessToken) {
  return request('/api/v1/mini-program/phone', { code }, accessToken);
}

module.exports = { ApiError, setBaseUrl, getBaseUrl, wxLogin, scan, login, bindPhone };
