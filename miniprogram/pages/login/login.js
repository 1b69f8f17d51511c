// The login page: opened from a browser's code with `?scene=`, it shows who is asking, and
// on Confirm logs in with wx.login() and confirms that browser's login (Cancel refuses it).
// Every method returns its promise so that tests can wait for it; WeChat ignores it.
const api = require('../../utils/api.js');

const TEXT = {
  no_scene: '没有找到登录请求，请用微信扫描电脑上的二维码',
  confirmed: '登录成功，请回到电脑继续',
  cancelled: '已取消登录',
  expired: '二维码已过期，请在电脑上刷新二维码后重新扫码',
  answered: '该登录请求已处理',
  network: '网络连接失败，请检查网络后重试',
  wx_login: '微信登录失败，请重试',
  invalid_code: '微信登录凭证无效或已过期，请重试',
  wechat: '微信服务暂时不可用，请稍后重试',
  phone_denied: '需要授权手机号才能完成登录',
  phone_quota: '手机号验证次数已用完，请稍后重试',
  phone_unavailable: '服务器暂不支持绑定手机号',
  error: '出错了：',
};

/** The state and message to show for a failure, and whether Retry makes sense. */
function explain(err) {
  switch (err && err.code) {
    case 'network_error':
      return { state: 'error', message: TEXT.network, retry: true };
    case 'scene_expired':
    case 'scene_consumed':
    case 'scene_not_found':
      return { state: 'expired', message: TEXT.expired, retry: false };
    case 'scene_conflict':
      return { state: 'done', message: TEXT.answered, retry: false };
    case 'wx_login_failed':
      return { state: 'error', message: TEXT.wx_login + '（' + err.message + '）', retry: true };
    case 'invalid_code':
      return { state: 'error', message: TEXT.invalid_code, retry: true };
    case 'wechat_error':
    case 'wechat_timeout':
    case 'wechat_quota_exhausted':
      return { state: 'error', message: TEXT.wechat, retry: true };
    case 'not_found':
      return { state: 'error', message: TEXT.phone_unavailable, retry: false };
    default:
      return { state: 'error', message: TEXT.error + ((err && err.message) || err), retry: true };
  }
}

/** "Chrome · Windows" from a User-Agent, for a person to recognise their own browser. */
function describeBrowser(ua) {
  const pick = (rules) => (rules.find((r) => r[0].test(ua || '')) || [])[1];
  const browser = pick([[/Edg\//, 'Edge'], [/MicroMessenger/, '微信'], [/Firefox\//, 'Firefox'],
    [/Chrome\//, 'Chrome'], [/Safari\//, 'Safari']]);
  const system = pick([[/Windows/, 'Windows'], [/Android/, 'Android'], [/iPhone|iPad/, 'iOS'],
    [/Mac OS X/, 'macOS'], [/Linux/, 'Linux']]);
  if (!browser) return ua ? ua.slice(0, 40) : '未知浏览器';
  return system ? browser + ' · ' + system : browser;
}

Page({
  data: {
    state: 'loading', // loading | ask | need_phone | confirmed | cancelled | expired | done | error
    scene: '',
    browser: '',
    ip: '',
    client: '',
    time: '',
    message: '',
    busy: false,
    retry: false,
  },

  onLoad(query) {
    // The code carries the scene URL-encoded (WECHAT.md section 2).
    const scene = query && query.scene ? decodeURIComponent(query.scene) : '';
    this.setData({ scene });
    if (!scene) {
      this.setData({ state: 'error', message: TEXT.no_scene, retry: false });
      return Promise.resolve();
    }
    return this.scan();
  },

  scan() {
    this.retryAction = () => this.scan();
    this.setData({ state: 'loading', message: '', busy: false });
    return api
      .scan(this.data.scene)
      .then((res) => {
        const requester = res.requester || {};
        this.setData({
          state: 'ask',
          browser: describeBrowser(requester.user_agent),
          ip: requester.ip || '',
          client: requester.client_name || '',
          time: requester.created_at ? new Date(requester.created_at).toLocaleTimeString() : '',
        });
      })
      .catch((err) => this.fail(err));
  },

  onConfirm() {
    return this.answer(true);
  },

  onCancel() {
    return this.answer(false);
  },

  answer(approve) {
    if (this.data.busy) return Promise.resolve();
    this.retryAction = () => this.answer(approve);
    this.setData({ busy: true, message: '' });
    return api
      .wxLogin()
      .then((code) => api.login(code, this.data.scene, approve))
      .then((result) => {
        // The mini-program's own session with Saoma: kept for the phone step, never shown.
        this.session = result.tokens;
        const status = result.scene_status;
        if (status === 'need_phone') {
          this.setData({ state: 'need_phone', busy: false });
        } else if (status === 'cancelled') {
          this.setData({ state: 'cancelled', message: TEXT.cancelled, busy: false });
        } else {
          this.setData({ state: 'confirmed', message: TEXT.confirmed, busy: false });
        }
      })
      .catch((err) => this.fail(err));
  },

  /** `<button open-type="getPhoneNumber">`: `detail.code` when the user agreed. */
  onGetPhoneNumber(e) {
    const detail = (e && e.detail) || {};
    if (!detail.code) {
      // No code: the user said no, or WeChat refused (errno 1400001: the quota is used up).
      this.setData({ message: detail.errno === 1400001 ? TEXT.phone_quota : TEXT.phone_denied });
      return Promise.resolve();
    }
    this.retryAction = null;
    this.setData({ busy: true, message: '' });
    return api
      .bindPhone(detail.code, this.session && this.session.access_token)
      .then(() => this.setData({ state: 'confirmed', message: TEXT.confirmed, busy: false }))
      .catch((err) => this.fail(err));
  },

  onRetry() {
    return this.retryAction ? this.retryAction() : this.scan();
  },

  fail(err) {
    const { state, message, retry } = explain(err);
    this.setData({ state, message, retry, busy: false });
  },
});
