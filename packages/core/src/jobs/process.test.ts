import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { createJobs, type Jobs } from './jobs.js';

const skip = redisSkipReason();
const script = fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('jobs across processes (workers killed with SIGKILL)', { skip }, () => {
  let server: RedisServerHandle;
  let connection: RedisConnection;
  let jobs: Jobs;
  const children = new Set<ChildProcess>();

  const spawnWorker = async (prefix: string, queue: string, concurrency = 10): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: {
        ...process.env,
        REDIS_URL: server.url,
        JOBS_PREFIX: prefix,
        JOBS_QUEUE: queue,
        JOBS_CONCURRENCY: String(concurrency),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
    });
    return child;
  };

  /** Resolves true when it killed a running process. */
  const kill = async (child: ChildProcess): Promise<boolean> => {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    return new Promise<boolean>((resolve) => {
      child.once('exit', () => resolve(true));
      child.kill('SIGKILL');
    });
  };

  const runs = async (prefix: string): Promise<Record<string, string>> =>
    connection.client.hgetall(`${prefix}:test:runs`);

  before(async () => {
    server = await startRedisServer({ args: ['--maxmemory-policy', 'noeviction'] });
    connection = new RedisConnection({ name: 'jobs', url: server.url });
    await connection.connect();
  });

  after(async () => {
    await Promise.allSettled([...children].map((child) => kill(child)));
    await jobs?.close();
    await connection?.close();
    await server?.stop();
  });

  const producer = (prefix: string): Jobs => {
    jobs = createJobs({ connection, keyPrefix: prefix, eventsMaxLength: 100_000, cancelGrace: 500 });
    jobs.defineTask('count', async () => null, { queue: 'kill' });
    jobs.defineTask('hang', async () => null, { queue: 'kill' });
    return jobs;
  };

  it('redelivers the job of a worker killed mid-job, and it completes', async () => {
    const prefix = 'k1';
    const jobs = producer(prefix);
    const first = await spawnWorker(prefix, 'kill');
    const id = await jobs.enqueue('count', { ms: 60_000 });
    const quick = await jobs.enqueue('count', { ms: 1 });
    await jobs.waitForResult(quick, { timeout: 10_000 });
    const started = Date.now();
    while ((await runs(prefix))[id] !== '1') {
      assert.ok(Date.now() - started < 10_000, 'the job never started');
      await sleep(20);
    }
    await kill(first);
    assert.equal((await jobs.getJob(id))?.state, 'active');
    // A fresh worker whose handler is quick: the redelivered attempt completes.
    await jobs.close();
    const again = producer(prefix);
    await connection.client.hset(`${prefix}:j:{kill}:j:${id.slice('kill:'.length)}`, 'd', '{"ms":1}');
    await spawnWorker(prefix, 'kill');
    assert.equal(await again.waitForResult(id, { timeout: 15_000 }), id);
    const job = await again.getJob(id);
    assert.equal(job?.state, 'completed');
    assert.equal(job?.attempts, 1, 'the attempt lost with the killed worker is not counted');
    assert.equal((await runs(prefix))[id], '2');
  });

  it('completes 5,000 jobs through 3 worker processes killed at random, none recorded complete twice', async () => {
    const prefix = 'k2';
    const jobs = producer(prefix);
    const total = 5000;
    const workers = await Promise.all([1, 2, 3].map(() => spawnWorker(prefix, 'kill', 10)));
    const ids: string[] = [];
    for (let start = 0; start < total; start += 1000) {
      const batch = Array.from({ length: 1000 }, () => ({ data: { ms: 5 + Math.floor(Math.random() * 30) } }));
      ids.push(...(await jobs.enqueueBulk('count', batch)));
    }
    let kills = 0;
    const respawns: Array<Promise<unknown>> = [];
    const deadline = Date.now() + 50_000;
    while ((await jobs.counts('kill')).completed < total) {
      assert.ok(Date.now() < deadline, `not done: ${JSON.stringify(await jobs.counts('kill'))}`);
      await sleep(200 + Math.random() * 300);
      if (kills >= 15) continue;
      // Kill a random worker mid-flight and start its replacement without waiting for it.
      const victim = Math.floor(Math.random() * workers.length);
      if (!(await kill(workers[victim] as ChildProcess))) continue;
      kills++;
      const replacement = spawnWorker(prefix, 'kill', 10);
      respawns.push(replacement.then((child) => (workers[victim] = child)).catch(() => undefined));
    }
    await Promise.all(respawns);
    const counts = await jobs.counts('kill');
    const runCounts = Object.values(await runs(prefix)).map(Number);
    const completedEvents = new Map<string, number>();
    for await (const event of jobs.queueEvents('kill', { lastEventId: '0', signal: AbortSignal.timeout(5000) })) {
      if (event.type === 'completed') completedEvents.set(event.jobId, (completedEvents.get(event.jobId) ?? 0) + 1);
      if (completedEvents.size === total && [...completedEvents.values()].every((n) => n >= 1)) break;
    }
    const doubles = [...completedEvents.values()].filter((n) => n > 1).length;
    const reran = runCounts.filter((n) => n > 1).length;
    const summary = {
      kills,
      completed: counts.completed,
      failed: counts.failed,
      waiting: counts.waiting,
      completedEvents: completedEvents.size,
      recordedTwice: doubles,
      handlerRuns: runCounts.reduce((sum, n) => sum + n, 0),
      jobsRunMoreThanOnce: reran,
    };
    console.log(`kill test: ${JSON.stringify(summary)}`);
    assert.equal(counts.completed, total);
    assert.equal(counts.failed, 0);
    assert.equal(completedEvents.size, total);
    assert.equal(doubles, 0);
    assert.equal(runCounts.length, total);
    for (const id of ids) assert.equal((await jobs.getJob(id))?.state, 'completed');
    assert.ok(kills >= 3);
  });

  it('cancels a job running in another process: its signal aborts and it ends cancelled', async () => {
    const prefix = 'k3';
    const jobs = producer(prefix);
    await spawnWorker(prefix, 'kill');
    const id = await jobs.enqueue('hang', null);
    const started = Date.now();
    while ((await runs(prefix))[id] !== '1') {
      assert.ok(Date.now() - started < 10_000, 'the job never started');
      await sleep(20);
    }
    assert.equal(await jobs.cancel(id), 'active');
    await assert.rejects(jobs.waitForResult(id, { timeout: 10_000 }), { code: 'E_JOB_CANCELLED' });
    assert.equal((await jobs.getJob(id))?.state, 'cancelled');
    assert.equal(await connection.client.hget(`${prefix}:test:aborted`, id), 'E_JOB_CANCELLED');
    const workers = await jobs.listWorkers();
    assert.ok(workers.some((worker) => worker.pid !== process.pid && worker.concurrency === 10));
  });
});

describe('Worker.close() as the last step of a script', () => {
  it('keeps the process alive until the running job is drained', async () => {
    const script = fileURLToPath(new URL('./fixtures/close-last.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(output.trim(), 'closed completed');
    assert.equal(code, 0);
  });
});
