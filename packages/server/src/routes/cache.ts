import { BackplaneError } from 'backplane';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../app.js';

const clearBody = z
  .object({
    namespace: z.string().min(1).max(200).optional(),
    tag: z.string().min(1).max(200).optional(),
    prefix: z.string().min(1).max(200).optional(),
  })
  .strict()
  .optional();

/** `/cache/stats` and `/cache/clear` (admin): all, or one namespace, tag or key prefix. */
export async function cacheRoutes(app: FastifyInstance, options: RouteContext): Promise<void> {
  const { backplane, admin } = options;
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/cache/stats',
    { schema: { summary: 'Hits per tier, misses, stale hits, loads, errors, hit rate, latency, circuit state' } },
    async () => backplane.cache.stats(),
  );

  typed.post(
    '/cache/clear',
    {
      preHandler: admin,
      schema: {
        summary: 'Clear the whole cache, or one namespace, tag or key prefix (give at most one)',
        body: clearBody,
        security: [{ bearer: [] }],
      },
    },
    async (request) => {
      const body = request.body ?? {};
      const given = (['namespace', 'tag', 'prefix'] as const).filter((field) => body[field] !== undefined);
      if (given.length > 1)
        throw new BackplaneError('E_VALIDATION', `give one of namespace, tag or prefix, not ${given.join(' and ')}`);
      const cache = backplane.cache;
      if (body.namespace !== undefined) await cache.namespace(body.namespace).clear();
      else if (body.tag !== undefined) await cache.invalidateTags([body.tag]);
      else if (body.prefix !== undefined) await cache.invalidatePrefix(body.prefix);
      else await cache.clear();
      const scope = given[0] ? { [given[0]]: body[given[0]] } : { all: true };
      return { cleared: scope };
    },
  );
}
