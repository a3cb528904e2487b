import { ago, table } from '../output.js';
import { apiClient, printJson, REMOTE_HELP, REMOTE_OPTIONS, type Command } from '../command.js';

interface Health {
  status: 'ok' | 'degraded' | 'down';
  checks: Record<
    string,
    { status: string; availability?: string; backend?: string; latencyMs?: number | null; error?: string }
  >;
}

interface Worker {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  running: number;
  lastHeartbeat: number;
}

/** `backplane status`: is the API healthy, is Redis connected, how many workers are alive. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'Show whether the service, Redis and workers are up (exit 1 when something is down)',
  usage: `Usage: backplane status [--url URL] [--token TOKEN] [--json]

Exits 0 when everything is ok, 1 when the API cannot be reached or reports degraded or down.

Options:
${REMOTE_HELP}`,
  options: REMOTE_OPTIONS,
  async run(args, io) {
    const client = apiClient(args, io.env);
    const health = await client.request<Health>('GET', '/health');
    const workersResponse = await client.request<{ workers: Worker[] }>('GET', '/workers');
    const workers = workersResponse.status === 200 ? workersResponse.body.workers : null;
    const ok = health.body?.status === 'ok';
    if (args.values.json) {
      printJson(io, { url: client.url, health: health.body, workers });
      return ok ? 0 : 1;
    }
    const checks = health.body?.checks ?? {};
    const rows: string[][] = [['api', health.body?.status ?? `HTTP ${health.status}`, client.url]];
    for (const [name, check] of Object.entries(checks)) {
      if (!name.startsWith('redis:')) continue;
      const detail =
        check.backend === 'memory'
          ? 'memory backend'
          : `${check.availability ?? '?'}${check.latencyMs != null ? `, ping ${check.latencyMs} ms` : ''}${check.error ? `, ${check.error}` : ''}`;
      rows.push([name, check.status, detail]);
    }
    for (const [name, check] of Object.entries(checks)) {
      if (name.startsWith('redis:')) continue;
      rows.push([name, check.status, '']);
    }
    if (workers) {
      const latest = Math.max(0, ...workers.map((worker) => worker.lastHeartbeat));
      rows.push([
        'workers',
        workers.length > 0 ? 'ok' : 'none',
        `${workers.length} active${workers.length ? `, last heartbeat ${ago(latest)}` : ''}`,
      ]);
    }
    io.out.write(table(['component', 'status', 'detail'], rows));
    return ok ? 0 : 1;
  },
};
