import type { JobContext, Jobs } from 'backplane';
import { z } from 'zod';

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

const RENDER_STEPS = ['fetching assets', 'laying out pages', 'rendering frames', 'encoding', 'uploading'];

function numberField(data: unknown, field: string, fallback: number, max: number): number {
  const value = (data as Record<string, unknown> | null)?.[field];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(value, max) : fallback;
}

/**
 * Tasks a first run can show without writing any: a render moving through named steps, a job that
 * fails once and then succeeds, and a long job to cancel.
 */
export function defineDemoTasks(jobs: Jobs): void {
  jobs.defineTask(
    'demo.render',
    async (data: unknown, ctx: JobContext) => {
      const stepMs = numberField(data, 'stepMs', 600, 60_000);
      for (const [index, step] of RENDER_STEPS.entries()) {
        ctx.log.info({ step: index + 1 }, step);
        await ctx.progress(Math.round((index / RENDER_STEPS.length) * 100), step, {
          step: index + 1,
          of: RENDER_STEPS.length,
        });
        await sleep(stepMs, ctx.signal);
      }
      await ctx.progress(100, 'done');
      ctx.log.info('render ready');
      return { url: `/renders/${ctx.job.id}.mp4`, frames: 240, steps: RENDER_STEPS.length };
    },
    {
      // A schema, so the dashboard's Tasks page and GET /task-definitions have one to show.
      schema: z.object({
        title: z.string().max(200).optional().describe('A name for the render'),
        stepMs: z.number().int().min(0).max(60_000).optional().describe('Milliseconds per step (default 600)'),
      }),
    },
  );

  jobs.defineTask(
    'demo.flaky',
    async (_data: unknown, ctx: JobContext) => {
      ctx.log.info('attempt %d of %d', ctx.attempt, ctx.job.maxAttempts);
      await sleep(100, ctx.signal);
      if (ctx.attempt === 1) ctx.log.warn('failing on purpose; the retry will succeed');
      if (ctx.attempt === 1) throw new Error('the first attempt always fails (demo); the retry succeeds');
      return { attempt: ctx.attempt };
    },
    { attempts: 3, backoff: { type: 'fixed', delay: 500 } },
  );

  jobs.defineTask('demo.long', async (data: unknown, ctx: JobContext) => {
    const seconds = numberField(data, 'seconds', 60, 3600);
    for (let second = 0; second < seconds; second += 1) {
      await ctx.progress(Math.round((second / seconds) * 100), `${seconds - second}s left`);
      await sleep(1000, ctx.signal);
    }
    return { seconds };
  });
}
