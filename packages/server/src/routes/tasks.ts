import { BackplaneError, type Duration, type JobOptions } from 'backplane';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../app.js';
import { lastEventIdOf, openSse } from '../http/sse.js';
import type { JobEventHub } from '../jobs/event-hub.js';
import { FINAL_STATES, toJobJson } from '../jobs/job-json.js';
import type { JobStatusCache } from '../jobs/status-cache.js';

export interface TaskRouteOptions extends RouteContext {
  hub: JobEventHub;
  statusCache: JobStatusCache;
}

const duration = z.union([z.coerce.number().min(0), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/)], {
  error: 'must be milliseconds (0 or more) or a duration such as 500ms, 30s, 5m, 2h or 1d',
});
/** A job's own retention: a duration (0 removes it as soon as it ends) or 'forever'. */
const retention = z.union([z.literal('forever'), duration]);
const jobOptionsQuery = z
  .object({
    delay: duration.optional(),
    runAt: z.string().optional(),
    priority: z.coerce.number().int().min(0).max(1000).optional(),
    attempts: z.coerce.number().int().min(1).max(100).optional(),
    timeout: duration.optional(),
    queue: z.string().min(1).max(100).optional(),
    group: z.string().min(1).max(200).optional(),
    keepCompleted: retention
      .optional()
      .describe("How long the job is kept once completed: a duration, 0, or 'forever'"),
    keepFailed: retention
      .optional()
      .describe("How long the job is kept once failed or cancelled: a duration, 0, or 'forever'"),
  })
  .strict();
type JobOptionsQuery = z.infer<typeof jobOptionsQuery>;

const envelope = z
  .object({
    name: z.string().min(1).max(200),
    data: z.unknown().optional(),
    options: jobOptionsQuery.optional(),
  })
  .strict();

const idParams = z.object({ id: z.string().min(1).max(300) });
const accepted = z.object({ id: z.string(), state: z.string() });
const STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled'] as const;

function toJobOptions(query: JobOptionsQuery, idempotencyKey: string | undefined): JobOptions {
  const options: JobOptions = {};
  if (query.delay !== undefined) options.delay = query.delay as JobOptions['delay'];
  if (query.runAt !== undefined) {
    const at = /^\d+$/.test(query.runAt) ? Number(query.runAt) : Date.parse(query.runAt);
    if (!Number.isFinite(at))
      throw new BackplaneError('E_VALIDATION', 'runAt must be an ISO date or milliseconds since epoch');
    options.runAt = at;
  }
  if (query.priority !== undefined) options.priority = query.priority;
  if (query.attempts !== undefined) options.attempts = query.attempts;
  if (query.timeout !== undefined) options.timeout = query.timeout as JobOptions['timeout'];
  if (query.queue !== undefined) options.queue = query.queue;
  if (query.group !== undefined) options.group = query.group;
  if (idempotencyKey !== undefined) options.idempotencyKey = idempotencyKey;
  if (query.keepCompleted !== undefined || query.keepFailed !== undefined) {
    options.retention = {};
    if (query.keepCompleted !== undefined) options.retention.completed = query.keepCompleted as Duration | 'forever';
    if (query.keepFailed !== undefined) options.retention.failed = query.keepFailed as Duration | 'forever';
  }
  return options;
}

/** Tasks: enqueue, read (cache-first), list, cancel, retry, and live events over SSE. */
export async function taskRoutes(app: FastifyInstance, options: TaskRouteOptions): Promise<void> {
  const { backplane, admin, hub, statusCache } = options;
  const jobs = backplane.jobs;
  const typed = app.withTypeProvider<ZodTypeProvider>();

  const enqueue = async (name: string, data: unknown, jobOptions: JobOptions) => {
    const id = await jobs.enqueue(name, data, jobOptions);
    const job = await statusCache.refresh(id);
    if (job) void hub.watchQueue(job.queue);
    return { id, state: job?.state ?? 'waiting' };
  };

  typed.get(
    '/task-definitions',
    {
      schema: {
        summary:
          'The tasks this service can enqueue, by name: queue, default attempts, priority, timeout and backoff, and the payload schema',
        description:
          '`payloadSchema` is a JSON Schema, given when the task validates its payload with a zod schema; `validatesPayload` says whether it validates at all.',
      },
    },
    async () => ({ tasks: jobs.listTasks() }),
  );

  typed.post(
    '/tasks/:name',
    {
      preHandler: admin,
      schema: {
        summary: 'Enqueue a job of a task; the body is its payload',
        params: z.object({ name: z.string().min(1).max(200) }),
        querystring: jobOptionsQuery,
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }).passthrough(),
        body: z.unknown().optional(),
        response: { 202: accepted },
        security: [{ bearer: [] }],
      },
    },
    async (request, reply) => {
      const body = request.body === undefined || request.body === null ? {} : request.body;
      const result = await enqueue(
        request.params.name,
        body,
        toJobOptions(request.query, request.headers['idempotency-key']),
      );
      return reply.status(202).send(result);
    },
  );

  typed.post(
    '/tasks',
    {
      preHandler: admin,
      schema: {
        summary: 'Enqueue a job from an envelope { name, data, options }',
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }).passthrough(),
        body: envelope,
        response: { 202: accepted },
        security: [{ bearer: [] }],
      },
    },
    async (request, reply) => {
      const { name, data, options: query } = request.body;
      const result = await enqueue(name, data ?? {}, toJobOptions(query ?? {}, request.headers['idempotency-key']));
      return reply.status(202).send(result);
    },
  );

  typed.get(
    '/tasks/:id',
    { schema: { summary: 'A job: state, progress, result or error (served from the cache)', params: idParams } },
    async (request) => {
      const job = await statusCache.get(request.params.id);
      if (!job) throw new BackplaneError('E_JOB_NOT_FOUND', `no job ${request.params.id}`);
      return job;
    },
  );

  typed.get(
    '/tasks/:id/logs',
    {
      schema: {
        summary: "A job's own log: what its handler wrote through ctx.log, oldest first (the newest lines are kept)",
        params: idParams,
        querystring: z
          .object({
            offset: z.coerce.number().int().min(0).default(0),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          })
          .strict(),
      },
    },
    async (request) => {
      const page = await jobs.getLogs(request.params.id, request.query);
      if (!page) throw new BackplaneError('E_JOB_NOT_FOUND', `no job ${request.params.id}`);
      return page;
    },
  );

  typed.get(
    '/tasks/:id/history',
    {
      schema: {
        summary:
          "A job's past events (state changes and progress), oldest first, read back from its queue's event stream",
        description:
          "Each event's id starts with its time in ms. The stream is capped per queue, so an old job's early events may be gone: " +
          '`complete` is false then, and `missing` says why (`trimmed`, `limit`: the newest `limit` are kept, `scanned`). ' +
          'To follow a running job from there without a gap, open `/tasks/{id}/events?lastEventId=<id of the last event>`.',
        params: idParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }).strict(),
      },
    },
    async (request) => {
      const history = await jobs.history(request.params.id, request.query);
      if (!history) throw new BackplaneError('E_JOB_NOT_FOUND', `no job ${request.params.id}`);
      return history;
    },
  );

  typed.get(
    '/tasks',
    {
      schema: {
        summary: 'List jobs of one queue in one state (default: waiting), with cursor pagination',
        description:
          'One state at a time: each state is its own index the store pages through cheaply, so there is no all-states listing. ' +
          'Without `state` the waiting jobs are listed, without `queue` those of `default`; `name` keeps one task. ' +
          'Order is that of the index, earliest first: waiting in run order, delayed by due time, active by lease deadline, finished jobs by removal time.',
        querystring: z
          .object({
            queue: z.string().min(1).max(100).default('default'),
            state: z.enum(STATES).default('waiting'),
            name: z.string().min(1).max(200).optional(),
            limit: z.coerce.number().int().min(1).max(500).optional(),
            cursor: z.string().max(200).optional(),
          })
          .strict(),
      },
    },
    async (request) => {
      const { queue, state, name, limit, cursor } = request.query;
      const page = await jobs.listJobs({
        queue,
        state,
        ...(name !== undefined ? { name } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return { jobs: page.jobs.map(toJobJson), nextCursor: page.nextCursor ?? null };
    },
  );

  typed.delete(
    '/tasks/:id',
    {
      preHandler: admin,
      schema: {
        summary: 'Cancel a job (a running one is aborted wherever it runs)',
        params: idParams,
        security: [{ bearer: [] }],
      },
    },
    async (request) => {
      const state = await jobs.cancel(request.params.id);
      await statusCache.refresh(request.params.id);
      return { id: request.params.id, state };
    },
  );

  for (const [action, summary] of [
    ['retry', 'Run a failed or cancelled job again'],
    ['promote', 'Run a delayed job now (a delay, a run time or a retry backoff not yet over)'],
  ] as const) {
    typed.post(
      `/tasks/:id/${action}`,
      { preHandler: admin, schema: { summary, params: idParams, security: [{ bearer: [] }] } },
      async (request, reply) => {
        await (action === 'retry' ? jobs.retry(request.params.id) : jobs.promote(request.params.id));
        const job = await statusCache.refresh(request.params.id);
        return reply.status(202).send({ id: request.params.id, state: job?.state ?? 'waiting' });
      },
    );
  }

  typed.get(
    '/tasks/:id/events',
    {
      schema: {
        summary:
          'Server-Sent Events of a job: a snapshot, then progress and state changes until it ends. Resumable with Last-Event-ID.',
        params: idParams,
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const first = await jobs.getJob(id);
      if (!first) throw new BackplaneError('E_JOB_NOT_FOUND', `no job ${id}`);
      const resumeFrom = lastEventIdOf(request);
      if (resumeFrom) {
        // A reconnect: replay what the client missed from the stream, then follow it to the end. The
        // reader is made before the stream opens, so an id that is not one gets a 400, not an open stream.
        const stop = new AbortController();
        const replay = jobs.events(id, { lastEventId: resumeFrom, signal: stop.signal });
        const sse = openSse(request, reply);
        sse.signal.addEventListener('abort', () => stop.abort(), { once: true });
        try {
          for await (const event of replay) {
            sse.send({ id: event.id, event: event.type, data: event });
          }
        } catch (error) {
          if (!sse.signal.aborted) sse.send({ event: 'error', data: { message: (error as Error).message } });
        }
        sse.close();
        return;
      }
      const sse = openSse(request, reply);
      await hub.watchQueue(first.queue);
      let done = false;
      const stop = hub.onJob(id, (event) => {
        if (done) return;
        if (FINAL_STATES.has(event.type as never) || event.type === 'removed') {
          done = true;
          // Refresh the cached status first: a client that reads GET /tasks/:id on this event must
          // see the final state, not the entry from the event before.
          void statusCache.refresh(id).finally(() => {
            sse.send({ id: event.id, event: event.type, data: event });
            sse.close();
          });
          return;
        }
        sse.send({ id: event.id, event: event.type, data: event });
      });
      sse.signal.addEventListener('abort', stop, { once: true });
      // The snapshot is read after the hub started, so no event can fall between the two.
      const snapshot = (await jobs.getJob(id)) ?? first;
      sse.send({ event: 'snapshot', data: toJobJson(snapshot) });
      if (FINAL_STATES.has(snapshot.state)) {
        done = true;
        stop();
        sse.close();
      }
    },
  );
}
