import type { Backplane } from 'backplane';
import type { FastifyInstance } from 'fastify';

/** `/redis/status`: INFO figures per component connection, or `{ backend: 'memory' }`. */
export async function redisRoutes(app: FastifyInstance, options: { backplane: Backplane }): Promise<void> {
  app.get('/redis/status', async () => options.backplane.redisStatus());
}
