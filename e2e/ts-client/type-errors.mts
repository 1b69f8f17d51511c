// Deliberate mistakes a generated client must catch: `tsc --strict` has to FAIL on this file,
// with exactly the errors marked `// @expect TSxxxx` on their lines (e2e/ts-client.test.js).
import createClient from 'openapi-fetch';
import type { paths } from './.generated/saoma.js';

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:8080' });

export async function mistakes() {
  // A provider that does not exist.
  await client.POST('/api/v1/scenes', { body: { provider: 'qq' } }); // @expect TS2322
  // A path that does not exist.
  await client.GET('/api/v1/scene/{scene}', {}); // @expect TS2345

  const { data, error } = await client.GET('/api/v1/scenes/{scene}', {
    params: { path: { scene: 'Hk3v9Qm2TzL8wXr4bN6pYa' } },
  });
  if (error) {
    // getScene never answers scene_exists: the document lists its codes.
    if (error.code === 'scene_exists') return; // @expect TS2367
    return;
  }
  // `tokens` is there once, in the first answer that sees `confirmed`.
  const token: string = data.tokens.access_token; // @expect TS18048
  // `expires_in` is a number.
  const expires: string = data.expires_in; // @expect TS2322
  return [token, expires];
}
