import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServerOptions {
  /** Sets `requirepass`; the handle's `url` then carries it. */
  password?: string;
  /** Further redis-server arguments, as in `['--maxmemory-policy', 'noeviction']`. */
  args?: string[];
  /** A fixed port instead of a free one, e.g. to bring a server up where a client already points. */
  port?: number;
  /** @default 'redis-server' */
  binary?: string;
}

/** A private redis-server on a free loopback port, owned by one test file. */
export interface RedisServerHandle {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://[:password@]127.0.0.1:port` */
  readonly url: string;
  readonly running: boolean;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port after stop() or kill(), with empty data. */
  start(): Promise<void>;
}

/** Whether a redis-server binary can be run here. */
export function redisServerInstalled(binary = 'redis-server'): boolean {
  const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  return probe.status === 0;
}

/**
 * Why Redis-backed tests cannot run here, or `undefined` when they can. Under `CI=true` a missing
 * redis-server is an error, never a silent skip.
 */
export function redisSkipReason(binary = 'redis-server'): string | undefined {
  if (redisServerInstalled(binary)) return undefined;
  if (process.env.CI === 'true')
    throw new Error(`${binary} is not installed, and CI=true requires the Redis tests to run`);
  return `${binary} is not installed (apt-get install redis-server); Redis tests skipped`;
}

/** Asks the OS for a free loopback port. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = options.binary ?? 'redis-server';
  const dir = mkdtempSync(join(tmpdir(), 'backplane-redis-'));
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    if (options.password) args.push('--requirepass', options.password);
    args.push(...(options.args ?? []));
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    const keep = (chunk: Buffer): void => {
      // redis-server writes start-up errors to stdout; keep the tail for the error message.
      output = (output + chunk.toString()).slice(-2000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const gaveUp = new AbortController();
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => {
        gaveUp.abort();
        reject(
          new Error(`redis-server exited (${code}) during start: ${output.trim().split('\n').slice(-3).join(' | ')}`),
        );
      }),
    );
    exited.catch(() => undefined);
    try {
      await Promise.race([waitForPort(port, 10_000, gaveUp.signal), exited]);
    } catch (error) {
      if (child === proc) child = undefined;
      proc.kill('SIGKILL');
      throw error;
    }
  };

  const waitExit = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  };

  try {
    await launch();
  } catch (error) {
    if (options.port !== undefined) throw error;
    // The port may have been taken between freePort() and the launch; one more try on a new port.
    port = await freePort();
    await launch();
  }

  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const handle: RedisServerHandle = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get url() {
      return `redis://${auth}127.0.0.1:${port}`;
    },
    get running() {
      return child !== undefined;
    },
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    start: async () => {
      if (child) return;
      await launch();
    },
  };
  process.once('exit', () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return handle;
}

async function waitForPort(port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal.aborted) {
    if (await answersPing(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
}

/** True once something on the port answers PING like Redis (PONG, or NOAUTH when a password is set). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}
