// Times the npm package wechat-crypto on the pushes saoma-bench wrote: the envelope parsed
// with xml2js (what the `wechat` middleware uses), msg_signature checked with getSignature,
// decrypt, the app id checked, the message parsed with xml2js.
//
// Usage: node wechat_crypto_decrypt.js MESSAGES.jsonl TOKEN ENCODING_AES_KEY APP_ID MIN_SECONDS
// Prints one JSON line: {"library": ..., "ops_per_sec": ..., "iterations": ...}.
'use strict';
const fs = require('fs');
const WXBizMsgCrypt = require('wechat-crypto');
const xml2js = require('xml2js');

function parseXml(xml) {
  let out;
  // xml2js calls back synchronously unless `async` is set.
  xml2js.parseString(xml, { explicitArray: false, trim: true }, (err, result) => {
    if (err) throw err;
    out = result.xml;
  });
  return out;
}

function main() {
  const [path, token, key, appId, minSeconds] = process.argv.slice(2);
  const pushes = fs.readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const crypto = new WXBizMsgCrypt(token, key, appId);
  let done = 0;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  for (;;) {
    for (const p of pushes) {
      const envelope = parseXml(p.xml);
      if (crypto.getSignature(p.timestamp, p.nonce, envelope.Encrypt) !== p.msg_signature) {
        throw new Error('bad msg_signature');
      }
      const { message, id } = crypto.decrypt(envelope.Encrypt);
      if (id !== appId) throw new Error('wrong app id');
      const msg = parseXml(message);
      if (msg.MsgType !== 'text') throw new Error(`not a text message: ${msg.MsgType}`);
      done += 1;
    }
    if (elapsed() >= Number(minSeconds)) break;
  }
  const version = require('wechat-crypto/package.json').version;
  console.log(JSON.stringify({
    library: `wechat-crypto ${version} + xml2js`,
    ops_per_sec: done / elapsed(),
    iterations: done,
  }));
}

main();
