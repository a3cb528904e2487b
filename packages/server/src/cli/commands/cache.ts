import { CliError } from '../cli-error.js';
import { apiClient, printJson, REMOTE_HELP, REMOTE_OPTIONS, stringOption, type Command } from '../command.js';
import type { CommandGroup } from '../main.js';
import { table } from '../output.js';

interface CacheStats {
  hits: { l1: number; l2: number; total: number };
  misses: number;
  staleHits: number;
  loads: number;
  loaderErrors: number;
  redisErrors: number;
  hitRate: number | null;
  evictions: number;
  l1?: { entries: number; bytes: number };
  latency?: { read?: { p50: number; p95: number; p99: number }; load?: { p50: number; p95: number; p99: number } };
  circuit?: string;
}

const stats: Command = {
  name: 'cache stats',
  summary: 'Show hit rate per tier, loads, errors, latency and circuit state',
  usage: `Usage: backplane cache stats\n\nOptions:\n${REMOTE_HELP}`,
  options: REMOTE_OPTIONS,
  async run(args, io) {
    const body = await apiClient(args, io.env).call<CacheStats>('GET', '/cache/stats');
    if (args.values.json) {
      printJson(io, body);
      return 0;
    }
    const rate = body.hitRate === null || body.hitRate === undefined ? '-' : `${(body.hitRate * 100).toFixed(1)}%`;
    const ms = (summary?: { p50: number; p95: number; p99: number }) =>
      summary ? `p50 ${summary.p50} ms, p95 ${summary.p95} ms, p99 ${summary.p99} ms` : '-';
    io.out.write(
      table(
        ['metric', 'value'],
        [
          ['hit rate', rate],
          ['hits (L1 / L2)', `${body.hits.l1} / ${body.hits.l2}`],
          ['misses', String(body.misses)],
          ['stale hits', String(body.staleHits)],
          ['loads (errors)', `${body.loads} (${body.loaderErrors})`],
          ['redis errors', String(body.redisErrors)],
          ['evictions', String(body.evictions)],
          ['L1 entries / bytes', body.l1 ? `${body.l1.entries} / ${body.l1.bytes}` : '-'],
          ['read latency', ms(body.latency?.read)],
          ['load latency', ms(body.latency?.load)],
          ['circuit', body.circuit ?? '-'],
        ],
      ),
    );
    return 0;
  },
};

const clear: Command = {
  name: 'cache clear',
  summary: 'Clear the cache, or one --namespace, --tag or --prefix',
  usage: `Usage: backplane cache clear [--namespace NS | --tag TAG | --prefix PREFIX]\n\nWithout an option the whole cache is cleared.\n\nOptions:\n${REMOTE_HELP}`,
  options: { ...REMOTE_OPTIONS, namespace: { type: 'string' }, tag: { type: 'string' }, prefix: { type: 'string' } },
  async run(args, io) {
    const body: Record<string, string> = {};
    for (const field of ['namespace', 'tag', 'prefix'] as const) {
      const value = stringOption(args, field);
      if (value !== undefined) body[field] = value;
    }
    if (Object.keys(body).length > 1) throw new CliError('give one of --namespace, --tag or --prefix', 2);
    const result = await apiClient(args, io.env).call<{ cleared: Record<string, unknown> }>(
      'POST',
      '/cache/clear',
      body,
    );
    if (args.values.json) printJson(io, result);
    else
      io.out.write(
        `cleared ${Object.entries(result.cleared)
          .map(([k, v]) => (v === true ? k : `${k} ${String(v)}`))
          .join(', ')}\n`,
      );
    return 0;
  },
};

export const cacheCommands: CommandGroup = {
  name: 'cache',
  summary: 'Cache stats and clearing',
  commands: [stats, clear],
};
