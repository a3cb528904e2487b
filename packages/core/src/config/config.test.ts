import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { environmentWithDotenv, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to the memory backend on 127.0.0.1:3000', () => {
    const config = loadConfig({});
    assert.deepEqual(config.redis, { cache: undefined, jobs: undefined, sessions: undefined });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 3000);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.keyPrefix, 'bp');
    assert.equal(config.adminToken, undefined);
    assert.equal(config.rateLimitPerMinute, 1200);
    assert.equal(config.bodyLimitBytes, 1024 * 1024);
    assert.equal(config.workerConcurrency, 4);
  });

  it('lets a component URL override REDIS_URL for that component only', () => {
    const config = loadConfig({ REDIS_URL: 'redis://a:1', JOBS_REDIS_URL: 'redis://b:2', CACHE_REDIS_URL: '' });
    assert.deepEqual(config.redis, { cache: 'redis://a:1', jobs: 'redis://b:2', sessions: 'redis://a:1' });
  });

  it('gives a component Redis while the others stay in memory', () => {
    const config = loadConfig({ CACHE_REDIS_URL: 'redis://a:1' });
    assert.deepEqual(config.redis, { cache: 'redis://a:1', jobs: undefined, sessions: undefined });
  });

  it('accepts a Redis Cluster seed list for any component', () => {
    const cluster = 'redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7000';
    const config = loadConfig({
      REDIS_URL: 'redis://a:1',
      CACHE_REDIS_URL: cluster,
      SESSIONS_REDIS_URL: `rediss+cluster://h:1`,
    });
    assert.deepEqual(config.redis, { cache: cluster, jobs: 'redis://a:1', sessions: 'rediss+cluster://h:1' });
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [
      { REDIS_URL: 'nonsense' },
      /^REDIS_URL must be a redis:\/\/, rediss:\/\/, redis\+cluster:\/\/, rediss\+cluster:\/\/ or unix:\/\/ URL$/,
    ],
    [{ CACHE_REDIS_URL: 'redis+cluster://' }, /^CACHE_REDIS_URL must list at least one cluster node/],
    [
      { JOBS_REDIS_URL: 'redis+cluster://:pw-secret@h1:7000,h2:port' },
      /^JOBS_REDIS_URL has a cluster node that is not host\[:port\]$/,
    ],
    [{ SESSIONS_REDIS_URL: 'redis+cluster://h1:7000/3' }, /^SESSIONS_REDIS_URL cannot select a database/],
    [{ SESSIONS_REDIS_URL: 'http://x' }, /^SESSIONS_REDIS_URL must be/],
    [{ PORT: '70000' }, /^PORT must be a whole number from 0 to 65535$/],
    [{ PORT: 'abc' }, /^PORT must be a whole number/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error/],
    [{ BACKPLANE_ADMIN_TOKEN: 'short' }, /^BACKPLANE_ADMIN_TOKEN must be at least 16 characters$/],
    [{ BACKPLANE_KEY_PREFIX: 'has space' }, /^BACKPLANE_KEY_PREFIX must be/],
    [{ REDIS_COMMAND_TIMEOUT_MS: '0' }, /^REDIS_COMMAND_TIMEOUT_MS must be a whole number from 1/],
    [{ RATE_LIMIT_PER_MINUTE: '-5' }, /^RATE_LIMIT_PER_MINUTE must be a whole number from 0/],
    [{ BODY_LIMIT_BYTES: '10' }, /^BODY_LIMIT_BYTES must be a whole number from 1024/],
    [{ WORKER_CONCURRENCY: 'many' }, /^WORKER_CONCURRENCY must be a whole number from 0 to 10000$/],
  ];
  for (const [env, message] of bad) {
    it(`rejects ${JSON.stringify(env)} naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'E_CONFIG');
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it('does not echo a bad value that could be a secret', () => {
    assert.throws(
      () => loadConfig({ BACKPLANE_ADMIN_TOKEN: 'tiny-secret' }),
      (error: Error) => !error.message.includes('tiny-secret'),
    );
    assert.throws(
      () => loadConfig({ REDIS_URL: 'redis+cluster://:pw-secret@h1:7000,h2:port' }),
      (error: Error) => !error.message.includes('pw-secret'),
    );
  });
});

describe('environmentWithDotenv', () => {
  it('reads a .env file under the real environment, which wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'PORT=4100\nLOG_LEVEL=debug\n# comment\nBACKPLANE_KEY_PREFIX="app1"\n');
    const env = environmentWithDotenv(file, { LOG_LEVEL: 'warn' });
    const config = loadConfig(env);
    assert.equal(config.port, 4100);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.keyPrefix, 'app1');
  });

  it('is the plain environment when no file exists', () => {
    assert.deepEqual(environmentWithDotenv('/nonexistent/.env', { A: '1' }), { A: '1' });
  });
});
