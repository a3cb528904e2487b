import { BackplaneError, ERROR_CODES, type ErrorCode, type Logger } from 'backplane';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** Fastify's own error codes, mapped onto ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'E_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'E_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'E_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'E_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'E_BAD_REQUEST',
  FST_ERR_BAD_URL: 'E_BAD_REQUEST',
  FST_ERR_VALIDATION: 'E_VALIDATION',
  FST_ERR_NOT_FOUND: 'E_NOT_FOUND',
};

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** Turns anything thrown in a route into `{ error: { code, message } }` with the status of its code. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof BackplaneError) {
    return { status: error.status, body: errorBody(error.code, error.message, error.details) };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const context = fastifyError.validationContext ?? 'request';
    return {
      status: ERROR_CODES.E_VALIDATION.status,
      body: errorBody(
        'E_VALIDATION',
        `${context}${fastifyError.message?.replace(/^(body|querystring|params|headers)/, '') ?? ' is invalid'}`,
      ),
    };
  }
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return { status: ERROR_CODES[mapped].status, body: errorBody(mapped, fastifyError.message ?? mapped) };
  if (fastifyError.statusCode === 429) {
    return { status: 429, body: errorBody('E_RATE_LIMITED', fastifyError.message ?? 'too many requests') };
  }
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return { status: 400, body: errorBody('E_BAD_REQUEST', fastifyError.message ?? 'malformed request') };
  }
  return { status: 500, body: errorBody('E_INTERNAL', 'internal error; the server log has the details') };
}

export function errorHandler(logger: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const { status, body } = toErrorResponse(error);
    if (status >= 500) logger.error({ err: error, reqId: request.id }, 'request failed');
    void reply.status(status).send(body);
  };
}
