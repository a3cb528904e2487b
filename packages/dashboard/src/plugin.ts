import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { apiRoutes } from './api-routes.js';
import { refuse } from './errors.js';
import { HistorySampler } from './history.js';
import { LiveHub } from './live.js';
import { resolveOptions, type DashboardOptions } from './options.js';
import { SessionCodec } from './session.js';
import { createUpstream } from './upstream.js';

/** Strict enough that an injected script could neither load code nor send data elsewhere. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

/**
 * The web dashboard. Register it with a prefix (`{ prefix: '/dashboard' }`): it serves the built
 * front end there and an API under `<prefix>/api` that checks the session cookie and forwards to the
 * service's own routes with the admin token added server-side, so the API's auth stays in one place.
 */
export async function dashboardPlugin(app: FastifyInstance, input: DashboardOptions = {}): Promise<void> {
  const options = resolveOptions(input);
  const codec = new SessionCodec(options.sessionSecret, options.adminToken);
  const upstream = createUpstream(app, options.upstream, options.adminToken);
  const sampler = new HistorySampler(upstream, options.sampleIntervalMs, options.historyMs);
  const hub = new LiveHub(upstream, sampler, options.snapshotIntervalMs);

  // The dashboard's routes are its own business, not part of the service's public API document.
  app.addHook('onRoute', (route) => {
    // `hide` is @fastify/swagger's flag; this package does not depend on swagger's type augmentation.
    const hidden: FastifySchema & { hide?: boolean } = { ...route.schema, hide: true };
    route.schema = hidden;
  });
  if (!app.hasRequestDecorator('cookies')) await app.register(cookie);
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    return payload;
  });
  app.addHook('onReady', async () => sampler.start());
  app.addHook('onClose', async () => {
    sampler.stop();
    hub.close();
  });

  await app.register(apiRoutes, { options, codec, upstream, sampler, hub });

  const index = join(options.assetsDir, 'index.html');
  const built = existsSync(index);
  if (built) {
    await app.register(fastifyStatic, {
      root: options.assetsDir,
      prefix: '/',
      index: false,
      wildcard: true,
      // Vite puts a content hash in every asset name: they never change, so browsers may keep them.
      setHeaders: (reply, path) => {
        void reply.header(
          'cache-control',
          path.includes(join('assets', '')) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }

  // The page uses relative URLs, so it must be served from "<prefix>/" with the slash.
  app.get('/', async (request, reply) => {
    const [path = '', query] = request.url.split(/\?(.*)/s);
    if (!path.endsWith('/')) return reply.redirect(`${path}/${query ? `?${query}` : ''}`, 308);
    if (!built) {
      return refuse(
        reply,
        'E_DASHBOARD_NOT_BUILT',
        `the dashboard front end is not built (${index} is missing): run "npm run build"`,
      );
    }
    return reply.header('cache-control', 'no-store').sendFile('index.html');
  });
}
