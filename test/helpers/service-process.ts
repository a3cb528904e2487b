import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../packages/server/dist/bin.js', import.meta.url));

/** A `backplane` CLI process with its output kept for assertions. */
export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function runBackplane(args: string[], env: Record<string, string>): ServiceProcess {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return await exited;
    },
  };
}

/** Polls a URL until `accept` passes on its JSON body, or fails after `timeoutMs`. */
export async function waitForJson<T>(
  url: string,
  timeoutMs: number,
  accept: (body: T, status: number) => boolean,
): Promise<{ body: T; status: number; elapsedMs: number }> {
  const started = Date.now();
  let last = 'no answer';
  while (Date.now() - started < timeoutMs) {
    try {
      const response = await fetch(url);
      const body = (await response.json()) as T;
      last = `${response.status} ${JSON.stringify(body).slice(0, 300)}`;
      if (accept(body, response.status)) return { body, status: response.status, elapsedMs: Date.now() - started };
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} not as wanted within ${timeoutMs} ms; last: ${last}`);
}
