import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from './config/config.js';
import type { RedisInfo } from './redis/info.js';
import { Backplane, type ComponentRedisStatus } from './runtime.js';
import { redisClusterSkipReason, startRedisCluster, type RedisClusterHandle } from './testing/redis-cluster.js';

const PASSWORD = 'runtime-cluster-secret';

describe(
  'a Backplane whose cache and sessions live on a Redis Cluster',
  { skip: redisClusterSkipReason() ?? false },
  () => {
    let cluster: RedisClusterHandle;
    let backplane: Backplane;
    before(async () => {
      cluster = await startRedisCluster({ password: PASSWORD });
      const config = loadConfig({
        CACHE_REDIS_URL: cluster.url,
        SESSIONS_REDIS_URL: cluster.url,
        BACKPLANE_KEY_PREFIX: 'rt',
      });
      backplane = await Backplane.start(config);
    });
    after(async () => {
      await backplane?.close();
      await cluster?.stop();
    });

    it('reports cluster INFO per component in redisStatus, without the password', async () => {
      await backplane.connections.cache?.waitUntilUp(5000);
      await backplane.connections.sessions?.waitUntilUp(5000);
      const report = await backplane.redisStatus();
      assert.ok(!JSON.stringify(report).includes(PASSWORD));
      assert.equal(report.backend, 'redis');
      if (report.backend !== 'redis') return;
      assert.deepEqual(report.connections.jobs, { backend: 'memory' });
      for (const component of ['cache', 'sessions'] as const) {
        const entry = report.connections[component];
        assert.ok(entry && 'availability' in entry, component);
        const status: ComponentRedisStatus = entry;
        assert.equal(status.availability, 'up');
        assert.match(status.target, /^redis\+cluster:\/\//);
        const info = status.info as RedisInfo;
        assert.equal(info.mode, 'cluster');
        assert.equal(info.nodes?.length, 3);
      }
    });

    it('serves the cache and sessions from the cluster', async () => {
      await backplane.cache.set('k', { v: 1 });
      assert.deepEqual(await backplane.cache.get('k'), { v: 1 });
      const session = await backplane.sessions.create({ user: 'a' });
      assert.deepEqual((await backplane.sessions.get(session.id))?.data, { user: 'a' });
      await backplane.cache.clear();
      assert.equal(await backplane.cache.get('k'), undefined);
      assert.ok((await backplane.sessions.count()) >= 1);
    });
  },
);
