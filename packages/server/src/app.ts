import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { dashboardPlugin, isDashboardInternalRequest } from '@backplane/dashboard';
import { BackplaneError, type Backplane, type Logger } from 'backplane';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { requireAdmin } from './http/auth.js';
import { errorBody, errorHandler, toErrorResponse } from './http/errors.js';
import { recordHttpMetrics } from './http/metrics.js';
import { JobEventHub } from './jobs/event-hub.js';
import { jobsHealthCheck } from './jobs/health-check.js';
import { JobStatusCache } from './jobs/status-cache.js';
import { cacheRoutes } from './routes/cache.js';
import { healthRoutes } from './routes/health.js';
import { queueRoutes, Throughput } from './routes/queues.js';
import { taskRoutes } from './routes/tasks.js';
import { metricsRoutes } from './routes/metrics.js';
import { redisRoutes } from './routes/redis.js';

export interface BuildAppOptions {
  backplane: Backplane;
  logger: Logger;
}

export interface App {
  fastify: FastifyInstance;
  /** Marks the app as draining: readiness fails from now on. */
  beginShutdown(): void;
}

/** What every route plugin gets: the process, and the guard for admin and mutating routes. */
export interface RouteContext {
  backplane: Backplane;
  admin: ReturnType<typeof requireAdmin>;
}

/** The HTTP service, without listening: tests drive it with `inject()`. */
export async function buildApp(options: BuildAppOptions): Promise<App> {
  const { backplane } = options;
  const config = backplane.config;
  let shuttingDown = false;
  const fastify = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps FastifyInstance's default generics.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: true,
    // Errors the router raises before any handler (a path that is not valid URL encoding) get our shape too.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const { status, body } = toErrorResponse(error);
      void reply.status(status).send(body);
    },
  });
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  fastify.setErrorHandler(errorHandler(options.logger));
  fastify.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody('E_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
  recordHttpMetrics(fastify, backplane.metrics);

  if (config.rateLimitPerMinute > 0) {
    await fastify.register(rateLimit, {
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      // The dashboard's forwarded calls were already counted once as the browser's own request.
      allowList: (request) => isDashboardInternalRequest(request),
      errorResponseBuilder: (_request, context) =>
        new BackplaneError('E_RATE_LIMITED', `over ${context.max} requests per minute; retry in ${context.after}`),
    });
  }

  await fastify.register(swagger, {
    openapi: {
      info: {
        title: 'backplane',
        version: '0.1.0',
        description: 'Cache, jobs, sessions and health over HTTP. Errors are {"error":{"code","message"}}.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs' });

  const context: RouteContext = { backplane, admin: requireAdmin(config.adminToken) };
  const hub = new JobEventHub(backplane, options.logger);
  const statusCache = new JobStatusCache(backplane, hub);
  const throughput = new Throughput(hub);
  backplane.health.register('jobs', jobsHealthCheck(backplane));
  fastify.addHook('onClose', async () => {
    hub.close();
    backplane.health.unregister('jobs');
  });
  void hub.watchQueue('default').catch(() => undefined);

  await fastify.register(healthRoutes, { ...context, isShuttingDown: () => shuttingDown });
  await fastify.register(redisRoutes, context);
  await fastify.register(metricsRoutes, context);
  await fastify.register(cacheRoutes, context);
  await fastify.register(taskRoutes, { ...context, hub, statusCache });
  await fastify.register(queueRoutes, { ...context, hub, throughput });
  await fastify.register(dashboardPlugin, {
    prefix: '/dashboard',
    adminToken: config.adminToken,
    readOnly: config.dashboardReadOnly,
  });
  await fastify.ready();
  return {
    fastify,
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}
