import type { FastifyInstance, FastifyRequest } from 'fastify';
import { refuse } from './errors.js';
import { authorize, sameOrigin, sessionOf } from './guard.js';
import type { HistorySampler } from './history.js';
import type { LiveHub } from './live.js';
import type { ResolvedDashboardOptions } from './options.js';
import { isForwardable } from './proxy.js';
import { SESSION_COOKIE, safeEqual, type SessionCodec } from './session.js';
import { openEventStream } from './sse.js';
import type { Upstream } from './upstream.js';

export interface ApiRouteContext {
  options: ResolvedDashboardOptions;
  codec: SessionCodec;
  upstream: Upstream;
  sampler: HistorySampler;
  hub: LiveHub;
}

/** `/api/session` (sign in and out), `/api/stream` (live overview), and the forwarded service routes. */
export async function apiRoutes(app: FastifyInstance, context: ApiRouteContext): Promise<void> {
  const { options, codec, upstream, sampler, hub } = context;
  const cookiePath = app.prefix === '' ? '/' : app.prefix;

  const describe = (request: FastifyRequest) => {
    const session = sessionOf(request, codec);
    return {
      signedIn: session !== null,
      role: session?.role ?? null,
      readOnly: options.readOnly || session?.role !== 'admin',
      csrfToken: session === null ? null : codec.csrfToken(session),
      expiresAt: session?.exp ?? null,
      tokenRequired: options.adminToken !== undefined,
    };
  };

  app.get('/api/session', async (request, reply) => reply.header('cache-control', 'no-store').send(describe(request)));

  app.post('/api/session', async (request, reply) => {
    if (!sameOrigin(request)) return refuse(reply, 'E_FORBIDDEN', 'cross-origin sign-in refused');
    const token = (request.body as { token?: unknown } | undefined)?.token;
    if (token !== undefined && typeof token !== 'string')
      return refuse(reply, 'E_BAD_REQUEST', 'token must be a string');
    if (options.adminToken !== undefined && (typeof token !== 'string' || !safeEqual(token, options.adminToken))) {
      request.log.warn('dashboard sign-in refused: wrong token');
      return refuse(reply, 'E_UNAUTHORIZED', 'the admin token is wrong');
    }
    const session = codec.create(options.readOnly ? 'viewer' : 'admin', options.sessionTtlMs);
    void reply.setCookie(SESSION_COOKIE, codec.encode(session), {
      path: cookiePath,
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      maxAge: Math.floor(options.sessionTtlMs / 1000),
    });
    return reply.header('cache-control', 'no-store').send({
      signedIn: true,
      role: session.role,
      readOnly: session.role !== 'admin',
      csrfToken: codec.csrfToken(session),
      expiresAt: session.exp,
      tokenRequired: options.adminToken !== undefined,
    });
  });

  app.delete('/api/session', async (request, reply) => {
    if (!sameOrigin(request)) return refuse(reply, 'E_FORBIDDEN', 'cross-origin request refused');
    void reply.clearCookie(SESSION_COOKIE, { path: cookiePath, httpOnly: true, sameSite: 'strict' });
    return reply.send({ signedIn: false });
  });

  app.get('/api/history', async (request, reply) => {
    if (!authorize(request, reply, codec, { mutation: false, readOnly: options.readOnly })) return reply;
    return reply.send({ intervalMs: options.sampleIntervalMs, points: sampler.history() });
  });

  app.get('/api/stream', async (request, reply) => {
    if (!authorize(request, reply, codec, { mutation: false, readOnly: options.readOnly })) return reply;
    const stream = openEventStream(request, reply);
    await hub.add(stream);
    return reply;
  });

  // Per-job events are relayed byte for byte, so ids (and Last-Event-ID resumption) stay the service's.
  // The page resumes after the job's history with `?lastEventId=` (EventSource cannot set the header on
  // its first request); the header, sent on a reconnect, is newer and wins.
  app.get<{ Params: { id: string }; Querystring: { lastEventId?: unknown } }>(
    '/api/tasks/:id/events',
    async (request, reply) => {
      if (!authorize(request, reply, codec, { mutation: false, readOnly: options.readOnly })) return reply;
      const controller = new AbortController();
      request.raw.on('close', () => controller.abort());
      const fromQuery = request.query.lastEventId;
      const header = request.headers['last-event-id'] ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
      let upstreamResponse: Response | null;
      try {
        upstreamResponse = await upstream.stream(
          `/tasks/${encodeURIComponent(request.params.id)}/events`,
          typeof header === 'string' ? header : undefined,
          controller.signal,
        );
      } catch (error) {
        return refuse(reply, 'E_UPSTREAM', `the job event stream is unavailable: ${(error as Error).message}`);
      }
      if (upstreamResponse === null) return refuse(reply, 'E_UPSTREAM', 'the service is not listening on HTTP yet');
      if (!upstreamResponse.ok || !upstreamResponse.body) {
        const text = await upstreamResponse.text();
        return reply.status(upstreamResponse.status).type('application/json').send(text);
      }
      const stream = openEventStream(request, reply);
      stream.signal.addEventListener('abort', () => controller.abort(), { once: true });
      try {
        for await (const chunk of upstreamResponse.body as AsyncIterable<Uint8Array>) stream.raw(chunk);
      } catch {
        // The browser left or the service closed; either way the relay is over.
      }
      stream.close();
      return reply;
    },
  );

  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/api/*',
    handler: async (request, reply) => {
      const method = request.method as 'GET' | 'POST' | 'DELETE';
      const [rawPath = '', query] = request.url.slice(`${app.prefix}/api`.length).split(/\?(.*)/s);
      const path = rawPath === '' ? '/' : rawPath;
      if (!isForwardable(method, path))
        return refuse(reply, 'E_NOT_FOUND', `the dashboard does not forward ${method} ${path}`);
      if (!authorize(request, reply, codec, { mutation: method !== 'GET', readOnly: options.readOnly })) return reply;
      try {
        const answer = await upstream.request(method, query ? `${path}?${query}` : path, request.body ?? undefined);
        return reply.status(answer.status).header('cache-control', 'no-store').send(answer.body);
      } catch (error) {
        return refuse(reply, 'E_UPSTREAM', `the service did not answer: ${(error as Error).message}`);
      }
    },
  });
}
