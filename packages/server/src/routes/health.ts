import type { Backplane } from 'backplane';
import type { FastifyInstance } from 'fastify';

export interface HealthRouteOptions {
  backplane: Backplane;
  /** True once shutdown began: readiness fails so load balancers stop sending traffic. */
  isShuttingDown: () => boolean;
}

/** `/health` (all checks), `/health/live` (the process answers), `/health/ready` (send traffic here). */
export async function healthRoutes(app: FastifyInstance, options: HealthRouteOptions): Promise<void> {
  const { backplane, isShuttingDown } = options;

  // Checks run at most once per second however often /health is polled: a probe storm must not turn
  // into a Redis storm. Shutdown shows at once (it is not part of the cached result).
  let cached: { at: number; result: Promise<Awaited<ReturnType<typeof backplane.health.run>>> } | undefined;
  const run = () => {
    const now = Date.now();
    if (!cached || now - cached.at >= 1000) cached = { at: now, result: backplane.health.run() };
    return cached.result;
  };

  const report = async () => {
    const result = await run();
    if (isShuttingDown())
      return { status: 'down' as const, checks: { ...result.checks, shutdown: { status: 'down' as const } } };
    return result;
  };

  app.get('/health', async (_request, reply) => {
    const result = await report();
    return reply.status(result.status === 'down' ? 503 : 200).send(result);
  });

  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    const result = await report();
    return reply.status(result.status === 'down' ? 503 : 200).send(result);
  });
}
