import { Backplane, ConfigError, type BackplaneConfig, type Jobs, type Logger, type Worker } from 'backplane';
import { buildApp, type App } from './app.js';
import { defineDemoTasks } from './demo-tasks.js';
import { loadTasksModule } from './tasks-module.js';

export interface StartServerOptions {
  /** A module whose default export defines the tasks; without it the demo tasks are defined. */
  tasksModule?: string | undefined;
}

/** Defines the user's tasks from a module, or the demo tasks when there is none. */
export async function defineTasks(jobs: Jobs, tasksModule: string | undefined, logger: Logger): Promise<void> {
  if (tasksModule) {
    await loadTasksModule(tasksModule, jobs);
    logger.info({ tasks: tasksModule }, 'tasks loaded');
  } else {
    defineDemoTasks(jobs);
    logger.info('no --tasks module: demo tasks defined (demo.render, demo.flaky, demo.long)');
  }
}

export interface RunningServer {
  app: App;
  backplane: Backplane;
  /** `http://host:port` the server listens on. */
  url: string;
  /** Idempotent graceful stop: readiness fails, in-flight requests finish, then connections close. */
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Starts the HTTP service on the configured host and port. */
export async function startServer(
  config: BackplaneConfig,
  logger: Logger,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  if (!isLoopback(config.host) && config.adminToken === undefined) {
    throw new ConfigError('BACKPLANE_ADMIN_TOKEN', `must be set when HOST (${config.host}) is not a loopback address`);
  }
  const backplane = await Backplane.start(config, { logger });
  let app: App | undefined;
  let worker: Worker | undefined;
  try {
    await defineTasks(backplane.jobs, options.tasksModule, logger);
    // Schedules enqueue their due slots from every server; each slot still runs once.
    backplane.scheduler.start();
    if (config.workerConcurrency > 0) {
      worker = backplane.jobs.createWorker({ concurrency: config.workerConcurrency });
      // Not awaited: with the jobs Redis down at start the worker waits for it, the API must not.
      worker.start().catch((error: unknown) => logger.error({ err: error }, 'in-process worker failed to start'));
    } else if (backplane.jobs.backend === 'memory') {
      logger.warn('WORKER_CONCURRENCY=0 on the memory backend: nothing will run the jobs');
    }
    app = await buildApp({ backplane, logger });
    await app.fastify.listen({ host: config.host, port: config.port });
  } catch (error) {
    // A failed listen (port in use) leaves a built app: its event readers must stop with the rest.
    await app?.fastify.close().catch(() => undefined);
    await worker?.close().catch(() => undefined);
    await backplane.close();
    throw error;
  }
  const started = app;
  const address = started.fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      started.beginShutdown();
      await Promise.allSettled([started.fastify.close()]);
      await Promise.allSettled([worker?.close()]);
      await backplane.close();
    })());

  return { app: started, backplane, url: `http://${host}:${port}`, close };
}
