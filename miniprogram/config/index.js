// Which Saoma this build talks to: one file per WeChat environment (develop.js, trial.js,
// release.js), chosen by wx.getAccountInfoSync().miniProgram.envVersion. WeChat's require()
// only takes literal paths, hence the three requires.
const ENVIRONMENTS = {
  develop: require('./develop.js'),
  trial: require('./trial.js'),
  release: require('./release.js'),
};

/** "develop", "trial" or "release"; "release" when WeChat does not say (base library < 2.2.2). */
function envVersion() {
  try {
    const env = wx.getAccountInfoSync().miniProgram.envVersion;
    return Object.prototype.hasOwnProperty.call(ENVIRONMENTS, env) ? env : 'release';
  } catch (e) {
    return 'release';
  }
}

/** This build's settings: `{envVersion, baseUrl}`. */
function current() {
  const env = envVersion();
  return Object.assign({ envVersion: env }, ENVIRONMENTS[env]);
}

module.exports = { current, envVersion, ENVIRONMENTS };
