import type { Backplane } from 'backplane';
import type { FastifyInstance } from 'fastify';

/** `/metrics`: Prometheus text for HTTP, Redis connections, the process and every component. */
export async function metricsRoutes(app: FastifyInstance, options: { backplane: Backplane }): Promise<void> {
  const registry = options.backplane.metrics;
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
