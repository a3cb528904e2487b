// backplane's cache side by side with bentocache and cache-manager on ONE private redis-server.
//
//   cd bench/cache && npm install && npm run bench        (3 rounds; --rounds N, --quick, --only a,b)
//
// Builds packages/core, starts its own redis-server on a free loopback port (never 6379), FLUSHALLs
// it before every measurement, runs every measurement of every system in a fresh Node process
// (child.mjs), interleaves the systems round by round (rotating who goes first), and prints medians
// (min–max) with ratios. Raw results go to results/<time>.json.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
};
const quick = args.includes('--quick');
const roundsWanted = Number(option('rounds', quick ? 1 : 3));
const peers = option('only', 'backplane,bentocache,cache-manager').split(',');
const scenarios = new Set(option('scenarios', 'hit-l1l2,hit-l2,stampede-1,stampede-4,killed').split(','));
const env = { ...process.env, BENCH_DURATION_MS: quick ? '1500' : '3000' };

const reportFile = option('report', undefined);
let results = [];
if (reportFile) {
  // Only print the table of an earlier run. Older files named the one-process stampede 'stampede'.
  const saved = JSON.parse(readFileSync(reportFile, 'utf8'));
  results = saved.results.map((r) => (r.scenario === 'stampede' ? { ...r, scenario: 'stampede-1' } : r));
} else {
  results = await measure();
}
const rounds = Math.max(...results.map((r) => r.round));

async function measure() {
  if (!args.includes('--no-build')) {
    try {
      execFileSync('npx', ['tsc', '-b', 'packages/core', '--force'], {
        cwd: new URL('../..', import.meta.url),
        stdio: 'inherit',
      });
    } catch {
      console.error('warning: building packages/core reported errors; using whatever dist/ holds');
    }
  }
  const { startRedisServer } = await import('../../packages/core/dist/testing/redis-server.js');
  const { Redis } = await import('ioredis');
  const server = await startRedisServer();
  if (server.port === 6379) throw new Error('refusing to use 6379');
  const admin = () => {
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    return client;
  };
  const flush = async () => {
    const client = admin();
    await client.connect();
    await client.flushall(); // our private server only
    client.disconnect();
  };

  /** Spawns one child; resolves with its last JSON line. `onLine` sees every line (for `killed`). */
  function child(system, scenario, extra = {}, onLine) {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ['child.mjs', system, scenario, server.url, JSON.stringify(extra)], {
        cwd: new URL('.', import.meta.url),
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let last;
      let stderr = '';
      proc.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
      createInterface({ input: proc.stdout }).on('line', (line) => {
        try {
          last = JSON.parse(line);
        } catch {
          return;
        }
        onLine?.(last, proc);
      });
      const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
      proc.on('exit', (code) => {
        clearTimeout(timer);
        if (last && 'system' in last) resolve(last);
        else reject(new Error(`${system} ${scenario} exited ${code}: ${stderr}`));
      });
    });
  }

  const results = [];
  const record = (scenario, system, round, result) => {
    results.push({ ...result, scenario, system, round });
    const brief = Object.entries(result)
      .filter(([k]) => !['system', 'scenario'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 100) / 100 : v}`)
      .join(' ');
    console.error(`round ${round} ${scenario} ${system}: ${brief}`);
  };
  const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

  for (let round = 1; round <= roundsWanted; round += 1) {
    const order = rotate(peers, round - 1);
    for (const system of scenarios.has('hit-l1l2') ? order : []) {
      await flush();
      record('hit-l1l2', system, round, await child(system, 'hit-l1l2'));
    }
    for (const system of scenarios.has('hit-l2') ? rotate([...peers, 'raw'], round - 1) : []) {
      await flush();
      record('hit-l2', system, round, await child(system, 'hit-l2'));
    }
    for (const system of scenarios.has('stampede-1') ? order : []) {
      await flush();
      record('stampede-1', system, round, await child(system, 'stampede', { key: `cold:${round}`, callers: 1_000 }));
    }
    for (const system of scenarios.has('stampede-4') ? order : []) {
      await flush();
      const waiting = [];
      let release;
      const allReady = new Promise((resolve) => (release = resolve));
      const parts = await Promise.all(
        Array.from({ length: 4 }, () =>
          child(system, 'stampede', { key: `cold4:${round}`, callers: 250, barrier: true }, (line, proc) => {
            if (!line.ready) return;
            waiting.push(proc);
            if (waiting.length === 4) release();
            void allReady.then(() => proc.stdin.write('go\n'));
          }),
        ),
      );
      record('stampede-4', system, round, {
        loaderRuns: parts.reduce((sum, part) => sum + part.loaderRuns, 0),
        rejects: parts.reduce((sum, part) => sum + part.rejects, 0),
      });
    }
    for (const system of scenarios.has('killed') ? order : []) {
      await flush();
      const result = await child(system, 'killed', {}, (line, proc) => {
        if (!line.warm) return;
        void server.kill().then(() => proc.stdin.write('go\n'));
      });
      await server.start();
      record('killed', system, round, result);
    }
  }
  await server.stop();

  mkdirSync(new URL('results/', import.meta.url), { recursive: true });
  const file = new URL(`results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
  writeFileSync(file, JSON.stringify({ rounds: roundsWanted, results }, null, 2));
  console.error(`raw results: ${file.pathname}`);

  return results;
}

// ---- the table ----
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};
const pick = (scenario, system, field) =>
  results.filter((r) => r.scenario === scenario && r.system === system).map((r) => r[field]);
const fmt = (n, digits = 0) =>
  Number.isInteger(n) && n < 100
    ? String(n)
    : n >= 100
      ? Math.round(n).toLocaleString('en-US')
      : n.toFixed(digits || (n < 10 ? 2 : 1));
const cell = (scenario, system, field) => {
  const values = pick(scenario, system, field);
  if (values.length === 0) return { text: '–', median: undefined };
  const m = median(values);
  const range = values.length > 1 ? ` (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})` : '';
  return { text: `${fmt(m)}${range}`, median: m };
};
const systemsOf = (scenario) => [...new Set(results.filter((r) => r.scenario === scenario).map((r) => r.system))];
const lines = [];
const table = (title, scenario, field, baseline, higherIsBetter = true) => {
  const compare = baseline !== '–';
  lines.push(
    `\n**${title}** — median (min–max) of ${rounds} round(s)${compare ? `; ratio = backplane vs ${baseline}` : ''}`,
  );
  lines.push(
    '',
    compare ? '| system | value | backplane ÷ system |' : '| system | value |',
    compare ? '| --- | --- | --- |' : '| --- | --- |',
  );
  const ours = cell(scenario, 'backplane', field).median;
  for (const system of systemsOf(scenario)) {
    const c = cell(scenario, system, field);
    if (!compare) {
      lines.push(`| ${system} | ${c.text} |`);
      continue;
    }
    const ratio = ours !== undefined && c.median ? (higherIsBetter ? ours / c.median : c.median / ours) : undefined;
    const shown =
      system === 'backplane' || ratio === undefined || !Number.isFinite(ratio)
        ? ''
        : `${ratio >= 100 ? Math.round(ratio).toLocaleString('en-US') : ratio.toFixed(2)}x`;
    lines.push(`| ${system} | ${c.text} | ${shown} |`);
  }
};
table('Hit throughput, L1 + L2, 1,000 hot keys of ~1 KB, 100 in flight (ops/s)', 'hit-l1l2', 'opsPerSec', 'each peer');
table(
  'CPU per hit, L1 + L2 (µs of the client process)',
  'hit-l1l2',
  'cpuUsPerOp',
  'each peer (>1x: backplane cheaper)',
  false,
);
table('Hit latency p99, L1 + L2 (ms)', 'hit-l1l2', 'p99', 'each peer (>1x: backplane faster)', false);
table('Hit throughput, L2 only (ops/s)', 'hit-l2', 'opsPerSec', 'each peer and raw GET + JSON.parse');
table(
  'CPU per hit, L2 only (µs of the client process)',
  'hit-l2',
  'cpuUsPerOp',
  'each peer (>1x: backplane cheaper)',
  false,
);
table('Hit latency p99, L2 only (ms)', 'hit-l2', 'p99', 'each peer (>1x: backplane faster)', false);
table('Stampede, 1,000 callers on one cold key, one process (loader runs)', 'stampede-1', 'loaderRuns', '–', false);
table(
  'Stampede, 4 processes × 250 callers (loader runs; backplane with lease: true)',
  'stampede-4',
  'loaderRuns',
  '–',
  false,
);
table(
  'Redis killed after warming 1,000 keys: getOrSet rejects (calls cycle over 2,000 keys; a cold one runs a 5 ms loader)',
  'killed',
  'rejects',
  '–',
  false,
);
table('Redis killed: getOrSet p99 (ms)', 'killed', 'p99', 'each peer (>1x: backplane faster)', false);
table('Redis killed: slowest getOrSet (ms)', 'killed', 'max', 'each peer (>1x: backplane faster)', false);
table('Redis killed: getOrSet throughput (ops/s)', 'killed', 'opsPerSec', 'each peer');
console.log(lines.join('\n'));
