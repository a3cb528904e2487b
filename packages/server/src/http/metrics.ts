import type { Registry } from 'backplane';
import type { FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';

/**
 * `backplane_http_request_duration_seconds{method,route,status_code}`. The label is the route
 * template (`/tasks/:id`), never the raw URL, so ids do not explode the series count.
 */
export function recordHttpMetrics(app: FastifyInstance, registry: Registry): void {
  // Several apps may share one process registry (tests, embedding); they share the histogram too.
  const existing = registry.getSingleMetric('backplane_http_request_duration_seconds');
  const histogram =
    (existing as Histogram<'method' | 'route' | 'status_code'> | undefined) ??
    new Histogram({
      name: 'backplane_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    });
  app.addHook('onResponse', async (request, reply) => {
    histogram.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}
