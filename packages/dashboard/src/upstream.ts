import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { DashboardUpstream } from './options.js';

export interface UpstreamResponse {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

/** The service's HTTP API as the dashboard sees it: every call carries the admin bearer token. */
export interface Upstream {
  request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<UpstreamResponse>;
  /** Opens an event stream (per-job events); null when the service cannot be reached over HTTP. */
  stream(path: string, lastEventId: string | undefined, signal: AbortSignal): Promise<Response | null>;
}

/**
 * Marks requests the dashboard makes to its own service. The value is random per process, so only
 * this process can produce it; the service may exempt such requests from its per-address rate limit
 * (they are already counted once as the browser's /dashboard/api call).
 */
export const INTERNAL_REQUEST_HEADER = 'x-backplane-dashboard';
const INTERNAL_REQUEST_VALUE = randomBytes(16).toString('base64url');

/** True for a request the dashboard plugin of this process sent through `inject()`. */
export function isDashboardInternalRequest(request: { headers: Record<string, unknown> }): boolean {
  return request.headers[INTERNAL_REQUEST_HEADER] === INTERNAL_REQUEST_VALUE;
}

export function createUpstream(
  app: FastifyInstance,
  config: DashboardUpstream,
  adminToken: string | undefined,
): Upstream {
  const authorization: Record<string, string> =
    adminToken === undefined ? {} : { authorization: `Bearer ${adminToken}` };

  const baseUrl = (): string | null => {
    if (config.kind === 'url') return config.url.replace(/\/+$/, '');
    const address = app.server.address();
    if (address === null || typeof address === 'string') return null;
    // A wildcard bind is reachable on loopback; a specific address is used as it is.
    const host =
      address.address === '::'
        ? '[::1]'
        : address.address === '0.0.0.0'
          ? '127.0.0.1'
          : address.family === 'IPv6'
            ? `[${address.address}]`
            : address.address;
    return `http://${host}:${address.port}`;
  };

  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };

  return {
    async request(method, path, body) {
      const headers: Record<string, string> = { ...authorization, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const payload = body === undefined ? undefined : JSON.stringify(body);
      if (config.kind === 'inject') {
        const response = await app.inject({
          method,
          url: path,
          headers: { ...headers, [INTERNAL_REQUEST_HEADER]: INTERNAL_REQUEST_VALUE },
          ...(payload === undefined ? {} : { payload }),
        });
        return { status: response.statusCode, body: parse(response.body) };
      }
      const response = await fetch(`${baseUrl()}${path}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        signal: AbortSignal.timeout(15_000),
      });
      return { status: response.status, body: parse(await response.text()) };
    },

    async stream(path, lastEventId, signal) {
      const base = baseUrl();
      if (base === null) return null;
      const headers: Record<string, string> = { ...authorization, accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      if (config.kind === 'inject') headers[INTERNAL_REQUEST_HEADER] = INTERNAL_REQUEST_VALUE;
      return await fetch(`${base}${path}`, { headers, signal });
    },
  };
}
