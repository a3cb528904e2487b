import type { FastifyReply } from 'fastify';

/** The dashboard's own refusals, in the service's error shape `{ error: { code, message } }`. */
export const DASHBOARD_ERRORS = {
  E_UNAUTHORIZED: 401,
  E_FORBIDDEN: 403,
  E_NOT_FOUND: 404,
  E_BAD_REQUEST: 400,
  E_UPSTREAM: 502,
  E_DASHBOARD_NOT_BUILT: 503,
} as const;

export type DashboardErrorCode = keyof typeof DASHBOARD_ERRORS;

export function refuse(reply: FastifyReply, code: DashboardErrorCode, message: string): FastifyReply {
  return reply.status(DASHBOARD_ERRORS[code]).send({ error: { code, message } });
}
