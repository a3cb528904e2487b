import type { FastifyReply, FastifyRequest } from 'fastify';
import { refuse } from './errors.js';
import { CSRF_HEADER, SESSION_COOKIE, type DashboardSession, type SessionCodec } from './session.js';

/** The session of a request, or null. */
export function sessionOf(request: FastifyRequest, codec: SessionCodec): DashboardSession | null {
  return codec.decode(request.cookies[SESSION_COOKIE]);
}

/**
 * A browser always sends Origin on cross-site requests that change state; when it is there it must
 * name this very host. SameSite=Strict already keeps the cookie off cross-site requests: this and the
 * CSRF header are the belt and braces.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    // Through URL both sides lose a default port (a browser sends "localhost", a client may send "localhost:80").
    return new URL(origin).host === new URL(`${request.protocol}://${request.headers.host ?? ''}`).host;
  } catch {
    return false;
  }
}

/** Lets a request through with a valid session; mutations also need admin rights, same origin and the CSRF header. */
export function authorize(
  request: FastifyRequest,
  reply: FastifyReply,
  codec: SessionCodec,
  options: { mutation: boolean; readOnly: boolean },
): DashboardSession | null {
  const session = sessionOf(request, codec);
  if (session === null) {
    void refuse(reply, 'E_UNAUTHORIZED', 'sign in to the dashboard first (the session is missing or expired)');
    return null;
  }
  if (!options.mutation) return session;
  if (!sameOrigin(request)) {
    void refuse(reply, 'E_FORBIDDEN', 'cross-origin request refused');
    return null;
  }
  const header = request.headers[CSRF_HEADER];
  if (!codec.csrfMatches(session, typeof header === 'string' ? header : undefined)) {
    void refuse(reply, 'E_FORBIDDEN', `the ${CSRF_HEADER} header is missing or wrong`);
    return null;
  }
  if (options.readOnly || session.role !== 'admin') {
    void refuse(reply, 'E_FORBIDDEN', 'the dashboard is read-only');
    return null;
  }
  return session;
}
