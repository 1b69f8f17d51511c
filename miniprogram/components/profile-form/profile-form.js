// The fill-in profile (头像昵称填写): since wx.getUserProfile was recalled, WeChat gives no
// nickname ("微信用户"); the person types one, or picks WeChat's from the nickname keyboard, and
// Saoma has WeChat check it (msg_sec_check) before it stores and shows it.
const api = require('../../utils/api.js');

const TEXT = {
  nickname_refused: '这个昵称未通过微信的内容安全检测，请换一个',
  invalid_nickname: '昵称需为 1 到 32 个字符，且不能是“微信用户”',
  network_error: '网络不可用，请稍后再试',
  failed: '保存失败，请稍后再试',
};

Component({
  properties: {
    // The mini-program's own access token with Saoma (never shown).
    token: { type: String, value: '' },
  },

  data: {
    nickname: '',
    busy: false,
    saved: '',
    error: '',
  },

  methods: {
    onNicknameInput(e) {
      this.setData({ nickname: (e && e.detail && e.detail.value) || '', error: '' });
    },

    /** 保存昵称: Saoma answers the account, its profile holding the nickname WeChat passed. */
    onSave() {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true, error: '', saved: '' });
      return api
        .setNickname(this.properties.token, this.data.nickname)
        .then((account) => {
          this.setData({ busy: false, saved: (account.profile && account.profile.nickname) || '' });
        })
        .catch((err) => {
          this.setData({ busy: false, error: TEXT[err.code] || TEXT.failed });
        });
    },
  },
});
