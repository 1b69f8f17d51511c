// The relying party of the OpenID tests: openid-client (a certified implementation, nobody here
// wrote it) in a small Node server, registered in Saoma's client list as `demo-rp`.
const http = require('node:http');

/** The app: /login starts a login, /cb finishes it with openid-client, /bye is after logout. */
async function startRelyingParty(port, issuer, secret) {
  const oidc = await import('openid-client');
  const base = 'http://127.0.0.1:' + port;
  const config = await oidc.discovery(new URL(issuer), 'demo-rp', secret, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
  });
  // Verify the id_token's signature against the JWKS too (not only its claims).
  oidc.enableNonRepudiationChecks(config);
  const pending = {};
  const results = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, base);
    try {
      if (url.pathname === '/login') {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const nonce = oidc.randomNonce();
        pending[state] = { verifier, nonce };
        const params = {
          redirect_uri: base + '/cb',
          scope: 'openid profile wechat',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        };
        if (url.searchParams.get('prompt')) params.prompt = url.searchParams.get('prompt');
        res.writeHead(302, { Location: oidc.buildAuthorizationUrl(config, params).href }).end();
      } else if (url.pathname === '/cb') {
        if (url.searchParams.get('error')) {
          results.push({ error: url.searchParams.get('error') });
        } else {
          const { verifier, nonce } = pending[url.searchParams.get('state')];
          const tokens = await oidc.authorizationCodeGrant(config, url, {
            pkceCodeVerifier: verifier,
            expectedState: url.searchParams.get('state'),
            expectedNonce: nonce,
            idTokenExpected: true,
          });
          const claims = tokens.claims();
          const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
          results.push({ tokens, claims, userinfo });
        }
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<h1 id="app">logged in to the app</h1>');
      } else if (url.pathname === '/bye') {
        results.push({ loggedOut: url.searchParams.get('state') });
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1 id="bye">bye</h1>');
      } else if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
      } else {
        res.writeHead(404).end();
      }
    } catch (e) {
      results.push({ failure: String(e && (e.stack || e)) });
      res.writeHead(500).end(String(e));
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { oidc, base, config, results, close: () => new Promise((r) => server.close(r)) };
}

/** The `[[oidc.clients]]` entry of the relying party on `port`. */
function clientToml(port, secret) {
  return [
    '[[oidc.clients]]',
    'client_id = "demo-rp"',
    `client_secret = "${secret}"`,
    `redirect_uris = ["http://127.0.0.1:${port}/cb"]`,
    `post_logout_redirect_uris = ["http://127.0.0.1:${port}/bye"]`,
    'name = "Demo RP"',
    '',
  ].join('\n');
}

module.exports = { startRelyingParty, clientToml };
