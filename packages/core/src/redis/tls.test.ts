import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';

/**
 * `rediss://` against a real redis-server with TLS on, with a certificate from a private CA made here by
 * openssl. Node reads extra CAs (`NODE_EXTRA_CA_CERTS`) only at start, so each check runs in a child
 * process: the connection, a cache round trip and a job through the queue, with the CA trusted, and a
 * refusal without it (the certificate really is checked).
 */
function skipReason(): string | undefined {
  const redis = redisSkipReason();
  if (redis) return redis;
  const openssl = spawnSync('openssl', ['version']);
  if (openssl.status === 0) return undefined;
  const reason = 'openssl is not installed (it makes the test certificates)';
  if (process.env.CI === 'true') throw new Error(`${reason}; CI must run this test`);
  return reason;
}

const skip = skipReason();
const core = fileURLToPath(new URL('..', import.meta.url));

/** A child script: connects, runs a cache and a jobs round trip, prints one JSON line. */
const SCRIPT = `
import { RedisConnection } from '${core}redis/connection.ts';
import { createCache } from '${core}cache/create-cache.ts';
import { createJobs } from '${core}jobs/jobs.ts';
const connection = new RedisConnection({ name: 'tls', url: process.env.TEST_URL, connectTimeoutMs: 1500 });
await connection.connect();
const out = { availability: connection.availability, lastError: connection.status().lastError };
if (connection.availability === 'up') {
  const cache = createCache({ connection, ttl: '1m', l1: false });
  await cache.set('k', { n: 1 });
  out.cached = await cache.get('k');
  await cache.close();
  const jobs = createJobs({ connection });
  jobs.defineTask('double', async (n) => n * 2);
  const worker = jobs.createWorker();
  await worker.start();
  out.job = await jobs.waitForResult(await jobs.enqueue('double', 21), { timeout: 5000 });
  await worker.close();
  await jobs.close();
}
await connection.close();
console.log(JSON.stringify(out));
`;

describe('rediss:// against a redis-server with TLS', { skip }, () => {
  let dir: string;
  let server: RedisServerHandle;
  let tlsPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'backplane-tls-'));
    const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=backplane-test-ca',
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    );
    writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'san.cnf',
    );
    tlsPort = await freePort();
    // The plain port stays on for the helper's readiness check; the tests use the TLS one only.
    server = await startRedisServer({
      args: [
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        join(dir, 'server.crt'),
        '--tls-key-file',
        join(dir, 'server.key'),
        '--tls-ca-cert-file',
        join(dir, 'ca.crt'),
        '--tls-auth-clients',
        'no',
      ],
    });
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function run(url: string, trustCa: boolean): { out: Record<string, unknown>; stderr: string } {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TEST_URL: url };
    if (trustCa) env.NODE_EXTRA_CA_CERTS = join(dir, 'ca.crt');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    assert.ok(line.startsWith('{'), `the child printed its result (stderr: ${child.stderr.slice(-500)})`);
    return { out: JSON.parse(line) as Record<string, unknown>, stderr: child.stderr };
  }

  for (const host of ['127.0.0.1', 'localhost']) {
    it(`runs the cache and a job over TLS to ${host}, without warnings`, () => {
      const { out, stderr } = run(`rediss://${host}:${tlsPort}`, true);
      assert.equal(out.availability, 'up', String(out.lastError));
      assert.deepEqual(out.cached, { n: 1 });
      assert.equal(out.job, 42);
      assert.doesNotMatch(stderr, /Warning/, 'no warning (an IP address as TLS server name gives DEP0123)');
    });
  }

  it('refuses a server whose certificate it cannot verify', () => {
    const { out } = run(`rediss://127.0.0.1:${tlsPort}`, false);
    assert.equal(out.availability, 'down');
    assert.match(String(out.lastError), /certificate/i);
  });
});
