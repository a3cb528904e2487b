import { Backplane, createLogger, environmentWithDotenv, loadConfig } from 'backplane';
import { defineTasks } from '../../server.js';
import { CliError } from '../cli-error.js';
import { integerOption, stringOption, type Command } from '../command.js';
import { untilSignal } from './server.js';

/** `backplane worker`: runs jobs from Redis until SIGINT/SIGTERM, then hands back what it cannot finish. */
export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run jobs from Redis (needs REDIS_URL or JOBS_REDIS_URL)',
  usage: `Usage: backplane worker [--concurrency N] [--queues a,b] [--tasks FILE]

  --concurrency N  jobs run at once (default 10)
  --queues a,b     queues to take jobs from (default: default)
  --tasks FILE     module defining the tasks (.ts or .js); default: the demo tasks

On SIGINT or SIGTERM the worker stops claiming, gives running jobs a grace period, hands the rest back
to the queue and exits 0. Configuration comes from the environment (see the README).`,
  options: { concurrency: { type: 'string' }, queues: { type: 'string' }, tasks: { type: 'string' } },
  async run(args) {
    const config = loadConfig(environmentWithDotenv());
    if (config.redis.jobs === undefined) {
      throw new CliError(
        'backplane worker needs REDIS_URL or JOBS_REDIS_URL: on the memory backend jobs run inside "backplane server"',
        2,
      );
    }
    const concurrency = integerOption(args, 'concurrency', 1, 10_000) ?? 10;
    const queuesText = stringOption(args, 'queues');
    const queues =
      queuesText === undefined
        ? ['default']
        : queuesText
            .split(',')
            .map((queue) => queue.trim())
            .filter(Boolean);
    if (queues.length === 0)
      throw new CliError('--queues must name at least one queue, as in --queues default,emails', 2);
    const logger = createLogger({ level: config.logLevel, name: 'backplane-worker' });
    const backplane = await Backplane.start(config, { logger });
    try {
      await defineTasks(backplane.jobs, stringOption(args, 'tasks'), logger);
      const worker = backplane.jobs.createWorker({ concurrency, queues });
      await worker.start();
      logger.info({ id: worker.id, queues, concurrency }, `worker ${worker.id} running`);
      return await untilSignal(async () => {
        await worker.close();
        await backplane.close();
      }, logger);
    } catch (error) {
      await backplane.close();
      throw error;
    }
  },
};
