// The fill-in profile (头像昵称填写): since wx.getUserProfile was recalled, WeChat gives no
// nickname ("微信用户") and a grey avatar; the person chooses an avatar (chooseAvatar) and types a
// nickname, or picks WeChat's from the nickname keyboard. Saoma has WeChat check both
// (msg_sec_check at once, media_check_async later) before it shows them to anyone else.
const api = require('../../utils/api.js');

const TEXT = {
  nickname_refused: '这个昵称未通过微信的内容安全检测，请换一个',
  invalid_nickname: '昵称需为 1 到 32 个字符，且不能是“微信用户”',
  invalid_avatar: '这张图片无法使用，请换一张 PNG、JPEG 或 WebP 图片',
  body_too_large: '图片太大，请换一张小一些的',
  unsupported_media_type: '这张图片无法使用，请换一张 PNG、JPEG 或 WebP 图片',
  network_error: '网络不可用，请稍后再试',
  failed: '保存失败，请稍后再试',
};

/** The Content-Type of a chosen image, from its file name (WeChat's are .jpg or .png). */
function imageType(file) {
  const name = String(file).toLowerCase();
  if (name.endsWith('.png')) return 'image/png';
  if (name.endsWith('.webp')) return 'image/webp';
  return 'image/jpeg';
}

Component({
  properties: {
    // The mini-program's own access token with Saoma (never shown).
    token: { type: String, value: '' },
  },

  data: {
    nickname: '',
    avatarUrl: '', // the chosen image's temporary file, shown while it is checked
    avatarSaved: false,
    busy: false,
    saved: '',
    error: '',
  },

  methods: {
    onNicknameInput(e) {
      this.setData({ nickname: (e && e.detail && e.detail.value) || '', error: '' });
    },

    /**
     * `<button open-type="chooseAvatar">`: a temporary file. Saoma re-encodes it and has WeChat
     * check it; it is shown to others once WeChat passed it.
     */
    onChooseAvatar(e) {
      const file = e && e.detail && e.detail.avatarUrl;
      if (!file || this.data.busy) return Promise.resolve();
      this.setData({ busy: true, error: '', avatarSaved: false, avatarUrl: file });
      return api
        .readFile(file)
        .then((bytes) => api.setAvatar(this.properties.token, bytes, imageType(file)))
        .then(() => this.setData({ busy: false, avatarSaved: true }))
        .catch((err) => this.setData({ busy: false, avatarUrl: '', error: TEXT[err.code] || TEXT.failed }));
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
