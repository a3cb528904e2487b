import { createLogger, environmentWithDotenv, loadConfig } from 'backplane';
import { startServer } from '../../server.js';
import { stringOption, type Command } from '../command.js';

/** `backplane server`: runs the HTTP service until SIGINT or SIGTERM, then drains and exits 0. */
export const serverCommand: Command = {
  name: 'server',
  summary: 'Run the HTTP service (configuration from the environment and .env)',
  usage: `Usage: backplane server [--tasks FILE]

  --tasks FILE   module defining the tasks (.ts or .js; default export (jobs) => { jobs.defineTask(...) });
                 without it the demo tasks demo.render, demo.flaky and demo.long are defined

Runs the HTTP API until SIGINT or SIGTERM, then drains in-flight requests and exits 0.
Configuration comes from the environment and a .env file: REDIS_URL, HOST, PORT, LOG_LEVEL,
BACKPLANE_ADMIN_TOKEN, ... (see the README). A bad value exits 2 with one line naming it.`,
  options: { tasks: { type: 'string' } },
  async run(args) {
    const config = loadConfig(environmentWithDotenv());
    const logger = createLogger({ level: config.logLevel, name: 'backplane' });
    const server = await startServer(config, logger, { tasksModule: stringOption(args, 'tasks') });
    logger.info({ url: server.url, backend: server.backplane.backend }, `backplane listening on ${server.url}`);
    return await untilSignal(async () => server.close(), logger);
  },
};

/** Waits for SIGINT/SIGTERM, runs `stop`, resolves 0; a second signal or a 10 s stall resolves 1. */
export function untilSignal(
  stop: () => Promise<void>,
  logger: { info: (msg: string) => void; warn: (msg: string) => void; error: (msg: string) => void },
): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn(`second ${signal}: exiting without waiting`);
        resolve(1);
        return;
      }
      stopping = true;
      logger.info(`${signal}: shutting down`);
      // Kept referenced on purpose: it holds the process open until the drain ends. Some of the drain
      // (the worker waiting for its running jobs) waits on unreferenced timers only, and an event loop
      // with nothing referenced left would end the process mid-drain (exit code 13, 'stopped' never logged).
      const force = setTimeout(() => {
        logger.error('shutdown took over 10 s: exiting');
        resolve(1);
      }, 10_000);
      void stop().then(
        () => {
          clearTimeout(force);
          logger.info('stopped');
          resolve(0);
        },
        () => resolve(1),
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
