// The Saoma of the trial build (体验版, envVersion "trial"): an https domain listed under the
// mini-program's request legal domains (request 合法域名). Replace it with yours.
module.exports = {
  baseUrl: 'https://saoma-trial.example.com',
};
