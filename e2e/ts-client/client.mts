// A Saoma client as an integrator writes it: types generated from the checked-in
// openapi/openapi.json by openapi-typescript (into .generated/), requests by openapi-fetch.
// It creates a scene, polls it with its poll token (attached once, by a middleware, as the
// document's `PollToken` security scheme says) and obeys `slow_down`. Type-checked with
// `tsc --strict` by e2e/ts-client.test.js, which also runs it against a sandbox Saoma.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './.generated/saoma.js';

export type CreatedScene = components['schemas']['CreatedScene'];
export type SceneView = components['schemas']['SceneView'];
export type Provider = components['schemas']['Provider'];

/** An error answer: its status and its stable `code`. */
export class SaomaError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

/** One poll's outcome: the scene, or how long to wait after `slow_down`. */
export type Poll = { view: SceneView } | { slowDown: number };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The statuses after which nothing changes. */
const FINAL: ReadonlyArray<SceneView['status']> = ['confirmed', 'cancelled', 'expired', 'consumed'];

export function saoma(baseUrl: string) {
  const client = createClient<paths>({ baseUrl });

  async function createScene(provider: Provider): Promise<CreatedScene> {
    const { data, error, response } = await client.POST('/api/v1/scenes', { body: { provider } });
    if (error) throw new SaomaError(response.status, error.code, error.message);
    return data;
  }

  /** A client for one scene: the poll token goes on every request. */
  function scene(created: CreatedScene) {
    const scoped = createClient<paths>({ baseUrl });
    const pollToken: Middleware = {
      onRequest({ request }) {
        request.headers.set('X-Poll-Token', created.poll_token);
        return request;
      },
    };
    scoped.use(pollToken);

    async function poll(): Promise<Poll> {
      const { data, error, response } = await scoped.GET('/api/v1/scenes/{scene}', {
        params: { path: { scene: created.scene } },
      });
      if (data) return { view: data };
      if (error.code === 'slow_down') {
        const retryAfter = Number(response.headers.get('Retry-After') ?? created.interval);
        return { slowDown: Number.isFinite(retryAfter) ? retryAfter : created.interval };
      }
      throw new SaomaError(response.status, error.code, error.message);
    }

    /** Poll every `interval` until the scene is final; `slow_down` waits its Retry-After. */
    async function wait(): Promise<{ view: SceneView; slowDowns: number }> {
      let slowDowns = 0;
      for (;;) {
        const answer = await poll();
        if ('slowDown' in answer) {
          slowDowns += 1;
          await sleep(answer.slowDown * 1000);
          continue;
        }
        if (FINAL.includes(answer.view.status)) return { view: answer.view, slowDowns };
        await sleep(answer.view.interval * 1000);
      }
    }

    return { poll, wait };
  }

  return { createScene, scene };
}
