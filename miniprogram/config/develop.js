// The Saoma of the development build: WeChat DevTools and "Preview" (预览) on a phone
// (envVersion "develop"). Any address the phone or DevTools reaches; plain http needs DevTools'
// "Do not verify valid domain names" (不校验合法域名) or the phone's debug mode.
module.exports = {
  baseUrl: 'http://127.0.0.1:8080',
};
