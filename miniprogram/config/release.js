// The Saoma of the released mini-program (正式版, envVersion "release"): an https domain listed
// under the mini-program's request legal domains (request 合法域名). Replace it with yours.
module.exports = {
  baseUrl: 'https://saoma.example.com',
};
