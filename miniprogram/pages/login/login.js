// The login page: opened from a browser's code with `?scene=`, it shows who is asking, and
// on Confirm logs in with wx.login() and confirms that browser's login (Cancel refuses it).
// When the account needs a phone number, the getPhoneNumber button's code finishes it, asked
// only on the person's tap (each number is charged); when WeChat's quota is spent (errno
// 1400001), an SMS code on this same page does. Opened in Moments' single-page mode (scene
// 1154), where wx.login is unavailable, it says how to open the full mini-program instead.
//
// Built with Component() (WeChat's constructor for pages with methods, equivalent to Page()),
// so that miniprogram-simulate renders this very page in the tests. Every method returns its
// promise so that code can wait for it; WeChat ignores it.
const api = require('../../utils/api.js');

const TEXT = {
  no_scene: '没有找到登录请求，请用微信扫描电脑上的二维码',
  single_page: '当前是朋友圈单页模式，无法在这里登录。请点击页面底部的“前往小程序”，在完整的小程序中确认登录',
  confirmed: '登录成功，请回到电脑继续',
  cancelled: '已取消登录',
  expired: '二维码已过期，请在电脑上刷新二维码后重新扫码',
  consumed: '该二维码已被使用，如需再次登录请在电脑上刷新二维码',
  answered: '该登录请求已处理',
  network: '网络连接失败，请检查网络后重试',
  server_busy: '服务器暂时不可用，请稍后重试',
  rate_limited: '操作太频繁，请稍后重试',
  unsupported: '服务器不支持小程序登录，请联系管理员',
  provider_unavailable: '服务器未开启小程序登录，请联系管理员',
  wx_login: '微信登录失败，请重试',
  invalid_code: '微信登录凭证无效或已过期，请重试',
  wechat: '微信服务暂时不可用，请稍后重试',
  phone_denied: '需要授权手机号才能完成登录',
  phone_privacy: '需要先同意隐私保护指引才能授权手机号，请再次点击“授权手机号并登录”',
  phone_undeclared: '小程序的隐私保护指引未声明手机号，请联系开发者',
  phone_quota: '微信手机号快速验证暂不可用，请用短信验证码绑定手机号',
  sms_sent: '验证码已发送至 ',
  sms_phone: '请输入正确的手机号',
  sms_country: '暂不支持该国家或地区的手机号',
  sms_code_wrong: '验证码不正确，请重新输入',
  sms_code_expired: '验证码已失效，请重新获取',
  sms_too_many: '验证码错误次数过多，请重新获取',
  sms_busy: '短信发送太频繁，请稍后再试',
  phone_failed: '获取手机号失败，请重试',
  phone_code: '手机号授权已失效，请重新授权手机号',
  phone_network: '网络连接失败，请检查网络后重新授权手机号',
  phone_invalid: '该手机号无法用于登录，请在微信中更换手机号后重试',
  phone_unavailable: '服务器暂不支持绑定手机号',
  phone_session: '登录状态已失效，请在电脑上刷新二维码后重新扫码',
  error: '出错了：',
};

/** The privacy popup's agree button (`resolve({buttonId})` names it, WeChat checks it was tapped). */
const AGREE_PRIVACY_BUTTON = 'agree-privacy';

/**
 * What a failure at `step` ("scan", "answer" or "phone") means, from Saoma's stable error
 * `code` (or the page's own: network_error, wx_login_failed). `state` is set when the login
 * cannot go on from this page; without it, the step can be tried again.
 */
function explain(err, step) {
  const code = err && err.code;
  if (step === 'phone') {
    switch (code) {
      case 'invalid_code': // the getPhoneNumber code was used or is older than 5 minutes
        return { message: TEXT.phone_code };
      case 'network_error':
        return { message: TEXT.phone_network };
      case 'invalid_phone':
        return { message: TEXT.phone_invalid };
      case 'not_found': // no such route: a Saoma without the phone step
        return { state: 'error', message: TEXT.phone_unavailable };
      case 'unauthenticated':
      case 'token_not_accepted':
        return { state: 'error', message: TEXT.phone_session };
      case 'wechat_quota_exhausted': // WeChat refused the number for its quota: SMS instead
        return { sms: true, message: TEXT.phone_quota };
      case 'phone_country_not_allowed':
        return { message: TEXT.sms_country };
      case 'invalid_sms_code':
        return { message: TEXT.sms_code_wrong };
      case 'sms_code_expired':
        return { message: TEXT.sms_code_expired };
      case 'too_many_attempts':
        return { message: TEXT.sms_too_many };
      case 'rate_limited':
      case 'sms_budget_exhausted':
        return { message: TEXT.sms_busy };
      default:
    }
  }
  switch (code) {
    case 'scene_expired':
    case 'scene_not_found':
      return { state: 'expired', message: TEXT.expired };
    case 'scene_consumed':
      return { state: 'done', message: TEXT.consumed };
    case 'scene_conflict':
      return { state: 'done', message: TEXT.answered };
    case 'provider_unavailable':
      return { state: 'error', message: TEXT.provider_unavailable };
    case 'not_found':
      return { state: 'error', message: TEXT.unsupported };
    case 'network_error':
      return { message: TEXT.network };
    case 'wx_login_failed':
      return { message: TEXT.wx_login + '（' + err.message + '）' };
    case 'invalid_code':
      return { message: TEXT.invalid_code };
    case 'wechat_error':
    case 'wechat_timeout':
    case 'wechat_quota_exhausted':
      return { message: TEXT.wechat };
    case 'rate_limited':
      return { message: TEXT.rate_limited };
    case 'store_unavailable':
    case 'database_unavailable':
    case 'internal':
      return { message: TEXT.server_busy };
    default:
      return { message: TEXT.error + ((err && err.message) || err) };
  }
}

/** Why the getPhoneNumber button gave no code (WeChat's errno, else its errMsg). */
function phoneRefusal(detail) {
  switch (detail.errno) {
    case 104: // the user did not agree to the privacy agreement
      return TEXT.phone_privacy;
    case 112: // the privacy agreement does not declare the phone number
      return TEXT.phone_undeclared;
    case 1400001: // the mini-program's getPhoneNumber quota is used up
      return TEXT.phone_quota;
    default:
  }
  const errMsg = detail.errMsg || '';
  if (/deny|cancel/.test(errMsg)) return TEXT.phone_denied;
  return TEXT.phone_failed + (errMsg ? '（' + errMsg + '）' : '');
}

/** Moments' single-page mode (scene 1154): wx.login and open-type buttons do not work there. */
const SINGLE_PAGE_SCENE = 1154;

function inSinglePageMode() {
  if (typeof wx.getApiCategory === 'function' && wx.getApiCategory() === 'browseOnly') return true;
  const launch = typeof wx.getLaunchOptionsSync === 'function' ? wx.getLaunchOptionsSync() : null;
  return Boolean(launch && launch.scene === SINGLE_PAGE_SCENE);
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

Component({
  data: {
    state: 'loading', // loading | single_page | ask | need_phone | confirmed | cancelled | expired | done | error
    scene: '',
    browser: '',
    ip: '',
    client: '',
    time: '',
    message: '',
    busy: false,
    retry: false,
    sms: false, // the phone step by SMS code (getPhoneNumber's quota is spent)
    smsPhone: '',
    smsCode: '',
    smsSent: false,
    privacy: false, // the privacy agreement popup is shown
    privacyContractName: '《小程序隐私保护指引》',
  },

  methods: {
    onLoad(query) {
      // The code carries the scene URL-encoded (docs/wechat.md section 2).
      const scene = query && query.scene ? decodeURIComponent(query.scene) : '';
      this.setData({ scene });
      if (inSinglePageMode()) {
        // Nothing is asked of Saoma: WeChat's "前往小程序" opens this page, scene and all, in
        // the full mini-program, where the login goes on.
        this.setData({ state: 'single_page', message: TEXT.single_page, retry: false });
        return Promise.resolve();
      }
      this.watchPrivacy();
      if (!scene) {
        this.setData({ state: 'error', message: TEXT.no_scene, retry: false });
        return Promise.resolve();
      }
      return this.scan();
    },

    scan() {
      this.retryAction = () => this.scan();
      this.setData({ state: 'loading', message: '', busy: false, retry: false });
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
        .catch((err) => this.fail(err, 'scan'));
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
            this.setData({ state: 'need_phone', busy: false, retry: false });
          } else if (status === 'cancelled') {
            this.setData({ state: 'cancelled', message: TEXT.cancelled, busy: false, retry: false });
          } else {
            this.setData({ state: 'confirmed', message: TEXT.confirmed, busy: false, retry: false });
          }
        })
        .catch((err) => this.fail(err, 'answer'));
    },

    /**
     * `<button open-type="getPhoneNumber">`: `detail.code` when the user agreed. The code, with
     * the scene, binds the number and confirms the browser's login. A failure leaves the button
     * in place: a new tap is the retry (each tap gives a new single-use code).
     */
    onGetPhoneNumber(e) {
      const detail = (e && e.detail) || {};
      if (this.data.busy) return Promise.resolve();
      if (!detail.code) {
        // No quota left (paid since 2023-08-28): the number by SMS instead, on this page.
        this.setData({ message: phoneRefusal(detail), sms: detail.errno === 1400001 || this.data.sms });
        return Promise.resolve();
      }
      this.setData({ busy: true, message: '' });
      return api
        .bindPhone(detail.code, this.session && this.session.access_token, this.data.scene)
        .then((result) => {
          // A number already on another account moved this identity there: its tokens now.
          if (result.tokens) this.session = result.tokens;
          this.setData({ state: 'confirmed', message: TEXT.confirmed, busy: false, retry: false });
        })
        .catch((err) => this.fail(err, 'phone'));
    },

    onSmsPhoneInput(e) {
      this.setData({ smsPhone: (e && e.detail && e.detail.value) || '' });
    },

    onSmsCodeInput(e) {
      this.setData({ smsCode: (e && e.detail && e.detail.value) || '' });
    },

    /** 获取验证码: Saoma sends a code to the number (every SMS cap of the server applies). */
    onSendSms() {
      if (this.data.busy) return Promise.resolve();
      const phone = this.data.smsPhone.trim();
      if (!/^\+?\d{6,15}$/.test(phone.replace(/[\s-]/g, ''))) {
        this.setData({ message: TEXT.sms_phone });
        return Promise.resolve();
      }
      this.setData({ busy: true, message: '' });
      return api
        .sendSms(this.session && this.session.access_token, this.data.scene, phone)
        .then((sent) => {
          this.setData({ busy: false, smsSent: true, smsPhone: sent.phone, message: TEXT.sms_sent + sent.phone });
        })
        .catch((err) => this.fail(err, 'phone'));
    },

    /** 验证并登录: the code binds the number and confirms the browser's login. */
    onBindSms() {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true, message: '' });
      return api
        .bindSms(this.session && this.session.access_token, this.data.scene, this.data.smsPhone, this.data.smsCode.trim())
        .then(() => {
          this.setData({ state: 'confirmed', message: TEXT.confirmed, busy: false, retry: false, sms: false });
        })
        .catch((err) => this.fail(err, 'phone'));
    },

    /**
     * WeChat's privacy agreement (base library 2.32.3+): before getPhoneNumber gives a code to a
     * user who has not agreed, WeChat calls this listener and waits; the page shows its popup,
     * and the answer goes back through `resolve`. Refusing makes the button fail with errno 104.
     */
    watchPrivacy() {
      if (typeof wx.onNeedPrivacyAuthorization !== 'function') return;
      wx.onNeedPrivacyAuthorization((resolve) => {
        this.privacyResolve = resolve;
        this.setData({ privacy: true, message: '' });
        resolve({ event: 'exposureAuthorization' });
      });
      if (typeof wx.getPrivacySetting === 'function') {
        wx.getPrivacySetting({
          success: (res) => {
            if (res && res.privacyContractName) this.setData({ privacyContractName: res.privacyContractName });
          },
        });
      }
    },

    onOpenPrivacyContract() {
      if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({});
    },

    /** `<button open-type="agreePrivacyAuthorization">`: WeChat records the tap, then resolve. */
    onAgreePrivacy() {
      this.answerPrivacy({ buttonId: AGREE_PRIVACY_BUTTON, event: 'agree' });
    },

    onDisagreePrivacy() {
      this.answerPrivacy({ event: 'disagree' });
    },

    answerPrivacy(answer) {
      const resolve = this.privacyResolve;
      this.privacyResolve = null;
      this.setData({ privacy: false });
      if (resolve) resolve(answer);
    },

    /** Retry the step that failed (the phone step retries with its own button). */
    onRetry() {
      return this.retryAction ? this.retryAction() : Promise.resolve();
    },

    fail(err, step) {
      const { state, message, sms } = explain(err, step);
      if (sms) this.setData({ sms: true });
      if (state) {
        this.retryAction = null;
        this.setData({ state, message, retry: false, busy: false });
      } else if (step === 'phone') {
        this.setData({ state: 'need_phone', message, retry: false, busy: false });
      } else {
        this.setData({ state: 'error', message, retry: true, busy: false });
      }
    },
  },
});
