import { createHash, timingSafeEqual } from 'node:crypto';
import { BackplaneError } from 'backplane';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

/**
 * A preHandler for admin and mutating routes: with a token configured, the request needs
 * `Authorization: Bearer <token>`. Comparing digests in constant time keeps the token's length and
 * prefix from leaking through timing.
 */
export function requireAdmin(token: string | undefined): preHandlerAsyncHookHandler {
  if (token === undefined) return async () => undefined;
  const expected = digest(token);
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (!header)
      throw new BackplaneError('E_UNAUTHORIZED', 'this endpoint needs Authorization: Bearer <BACKPLANE_ADMIN_TOKEN>');
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), expected)) {
      throw new BackplaneError('E_UNAUTHORIZED', 'the bearer token is wrong');
    }
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
