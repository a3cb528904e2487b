import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backplane, loadConfig, silentLogger } from 'backplane';
import { freePort } from 'backplane/testing';
import { parseEventStream, type ServerSentEvent } from '../../packages/server/src/cli/api-client.js';
import { buildApp, type App } from '../../packages/server/src/app.js';

/** A real listening server: SSE needs a socket that can drop, which inject() cannot show. */
describe('GET /tasks/:id/events over a real connection', () => {
  let backplane: Backplane;
  let app: App;
  let base: string;
  before(async () => {
    backplane = await Backplane.start(loadConfig({}));
    backplane.jobs.defineTask('test.steps', async (data: unknown, ctx) => {
      const steps = (data as { steps: number }).steps;
      for (let step = 1; step <= steps; step += 1) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await ctx.progress(Math.round((step / steps) * 100), `step ${step}`);
      }
      return { steps };
    });
    await backplane.jobs.createWorker({ concurrency: 2 }).start();
    app = await buildApp({ backplane, logger: silentLogger() });
    const port = await freePort();
    await app.fastify.listen({ host: '127.0.0.1', port });
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await app.fastify.close();
    await backplane.close();
  });

  async function enqueue(steps: number): Promise<string> {
    const response = await fetch(`${base}/tasks/test.steps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ steps }),
    });
    assert.equal(response.status, 202);
    return ((await response.json()) as { id: string }).id;
  }

  async function read(
    id: string,
    options: { lastEventId?: string; stopAfter?: number } = {},
  ): Promise<ServerSentEvent[]> {
    const controller = new AbortController();
    const response = await fetch(`${base}/tasks/${encodeURIComponent(id)}/events`, {
      headers: options.lastEventId ? { 'last-event-id': options.lastEventId } : {},
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events: ServerSentEvent[] = [];
    try {
      for await (const event of parseEventStream(response.body as ReadableStream<Uint8Array>)) {
        events.push(event);
        if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
          controller.abort();
          break;
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    return events;
  }

  it('streams a snapshot, every progress event and the completion, then closes', async () => {
    const id = await enqueue(5);
    const events = await read(id);
    assert.equal(events[0]?.event, 'snapshot');
    const progress = events
      .filter((event) => event.event === 'progress')
      .map((event) => (JSON.parse(event.data) as { data: { percent: number } }).data.percent);
    assert.ok(progress.includes(100), `progress seen: ${progress.join(',')}`);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      'in order',
    );
    assert.equal(events.at(-1)?.event, 'completed');
    assert.ok(
      events.slice(1).every((event) => event.id !== undefined),
      'every event after the snapshot has an id',
    );
  });

  it('resumes after a dropped connection with Last-Event-ID and misses nothing', async () => {
    const id = await enqueue(8);
    const firstPart = await read(id, { stopAfter: 3 });
    const lastSeen = firstPart.filter((event) => event.id).at(-1);
    assert.ok(lastSeen?.id, 'saw an event with an id before dropping');
    const rest = await read(id, { lastEventId: lastSeen.id });
    // Progress made before the first connection shows in the snapshot; every step after it must arrive once.
    const snapshot = JSON.parse(firstPart[0]?.data ?? '{}') as { progress: { percent: number } | null };
    const from = snapshot.progress?.percent ?? 0;
    const all = [...firstPart, ...rest].filter((event) => event.event === 'progress');
    const percents = all.map((event) => (JSON.parse(event.data) as { data: { percent: number } }).data.percent);
    // An event racing the snapshot read may repeat the snapshot's own percent; anything later must come once, in order.
    assert.deepEqual(
      percents.filter((percent) => percent > from),
      [13, 25, 38, 50, 63, 75, 88, 100].filter((percent) => percent > from),
    );
    assert.ok(percents.every((percent) => percent >= from));
    assert.equal(rest.at(-1)?.event, 'completed');
    const ids = [...firstPart, ...rest].map((event) => event.id).filter(Boolean);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
  });

  it('closes at once for a job that already ended', async () => {
    const id = await enqueue(1);
    await read(id);
    const again = await read(id);
    assert.equal(again.length, 1);
    assert.equal(again[0]?.event, 'snapshot');
    assert.equal((JSON.parse(again[0]?.data ?? '{}') as { state: string }).state, 'completed');
  });

  it('answers 404 JSON for an unknown job', async () => {
    const response = await fetch(`${base}/tasks/default:nothing/events`);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'E_JOB_NOT_FOUND');
  });

  it('answers 400 JSON, before opening a stream, for a Last-Event-ID that is not an event id', async () => {
    const id = await enqueue(1);
    for (const lastEventId of ['abc', '12-x']) {
      const response = await fetch(`${base}/tasks/${encodeURIComponent(id)}/events`, {
        headers: { 'last-event-id': lastEventId },
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'E_INVALID_ARGUMENT');
      assert.match(body.error.message, /lastEventId/);
    }
  });
});
