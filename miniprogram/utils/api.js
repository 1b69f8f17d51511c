// The mini-program's calls to Saoma and to WeChat, as promises. The server's URL comes from
// config/: one file per WeChat environment (develop, trial, release), chosen by the build's
// envVersion.
const config = require('../config/index.js');

let baseUrl = trimUrl(config.current().baseUrl);

const REQUEST_TIMEOUT_MS = 10000;

function trimUrl(url) {
  return String(url).replace(/\/+$/, '');
}

/** Point the mini-program at another Saoma than its config/ file names (the tests' own server). */
function setBaseUrl(url) {
  baseUrl = trimUrl(url);
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

function request(path, data, token, method = 'POST') {
  return new Promise((resolve, reject) => {
    const header = { 'Content-Type': 'application/json' };
    if (token) header.Authorization = 'Bearer ' + token;
    wx.request({
      url: baseUrl + path,
      method,
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

/**
 * Bind the phone number from the getPhoneNumber button's code to the mini-program's account;
 * with the browser's `need_phone` scene, that login is confirmed too. Resolves with
 * `{account, linked, tokens?, scene_status?}`.
 */
function bindPhone(code, accessToken, scene) {
  const body = { code };
  if (scene) body.scene = scene;
  return request('/api/v1/mini-program/phone', body, accessToken);
}

/**
 * When getPhoneNumber's quota is spent: a code by SMS to `phone` for the `need_phone` scene,
 * then the code binds it. Resolve with `{phone, expires_in}` and the scene's view.
 */
function sendSms(accessToken, scene, phone) {
  return request('/api/v1/mini-program/phone/sms', { scene, phone }, accessToken);
}

function bindSms(accessToken, scene, phone, code) {
  return request('/api/v1/mini-program/phone/sms/bind', { scene, phone, code }, accessToken);
}

/**
 * The nickname the person filled in (头像昵称填写), with the mini-program's access token: WeChat's
 * content check must pass it (else `nickname_refused`). Resolves with the account.
 */
function setNickname(accessToken, nickname) {
  return request('/api/v1/me/profile', { nickname }, accessToken, 'PUT');
}

/** A temporary file's bytes (an ArrayBuffer). */
function readFile(filePath) {
  return new Promise((resolve, reject) => {
    wx.getFileSystemManager().readFile({
      filePath,
      success(res) {
        resolve(res.data);
      },
      fail(err) {
        reject(new ApiError('read_failed', (err && err.errMsg) || 'readFile:fail'));
      },
    });
  });
}

/**
 * The avatar the person chose (its bytes as they are, `contentType` image/png, image/jpeg or
 * image/webp), with the mini-program's access token. Resolves with the account: its
 * `profile.avatar_status` is `pending` until WeChat's content check answers.
 */
function setAvatar(accessToken, bytes, contentType) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: baseUrl + '/api/v1/me/avatar',
      method: 'PUT',
      data: bytes,
      header: { 'Content-Type': contentType, Authorization: 'Bearer ' + accessToken },
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

module.exports = {
  ApiError, setBaseUrl, getBaseUrl, wxLogin, scan, login, bindPhone, sendSms, bindSms, setNickname, readFile, setAvatar,
};
