import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeTarget, parseRedisUrl, redactRedisUrl } from './url.js';

describe('parseRedisUrl', () => {
  it('reads host, port, db, user and password from redis://', () => {
    const target = parseRedisUrl('redis://app:p%40ss@cache.internal:6380/4');
    assert.equal(target.transport, 'tcp');
    assert.equal(target.host, 'cache.internal');
    assert.equal(target.port, 6380);
    assert.equal(target.db, 4);
    assert.equal(target.username, 'app');
    assert.equal(target.password, 'p@ss');
    assert.equal(target.tls, false);
  });

  it('defaults to port 6379 and db 0, and takes a password without a user', () => {
    const target = parseRedisUrl('redis://:only-password@localhost');
    assert.equal(target.port, 6379);
    assert.equal(target.db, 0);
    assert.equal(target.username, undefined);
    assert.equal(target.password, 'only-password');
  });

  it('turns TLS on for rediss:// and reads IPv6 hosts', () => {
    const target = parseRedisUrl('rediss://[::1]:6390');
    assert.equal(target.tls, true);
    assert.equal(target.host, '::1');
  });

  it('reads unix sockets with db and password in the query', () => {
    const target = parseRedisUrl('unix:///run/redis/redis.sock?db=3&password=pw1');
    assert.equal(target.transport, 'unix');
    assert.equal(target.path, '/run/redis/redis.sock');
    assert.equal(target.db, 3);
    assert.equal(target.password, 'pw1');
  });

  it('reads a cluster seed list with credentials, default ports and IPv6 seeds', () => {
    const target = parseRedisUrl('redis+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2,[::1]:7002');
    assert.equal(target.transport, 'cluster');
    assert.deepEqual(target.nodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 6379 },
      { host: '::1', port: 7002 },
    ]);
    assert.equal(target.host, '10.0.0.1');
    assert.equal(target.port, 7000);
    assert.equal(target.username, 'app');
    assert.equal(target.password, 'p@ss');
    assert.equal(target.tls, false);
    assert.equal(target.db, 0);
  });

  it('turns TLS on for rediss+cluster:// and takes the password from the query', () => {
    const target = parseRedisUrl('rediss+cluster://h1:7000,h2:7001/0?password=pw1');
    assert.equal(target.tls, true);
    assert.equal(target.password, 'pw1');
    assert.equal(target.nodes.length, 2);
  });

  for (const bad of [
    'redis+cluster://',
    'redis+cluster://,,',
    'redis+cluster://h1:7000,h2:notaport',
    'redis+cluster://h1:7000,[::1',
    'redis+cluster://h1:7000/2',
    'redis+cluster://h1:7000/x',
    'redis+sentinel://h1:7000',
  ]) {
    it(`rejects the cluster URL ${JSON.stringify(bad)} with E_CONFIG naming the variable`, () => {
      assert.throws(
        () => parseRedisUrl(bad, 'CACHE_REDIS_URL'),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'E_CONFIG');
          assert.match(error.message, /^CACHE_REDIS_URL /);
          return true;
        },
      );
    });
  }

  it('never repeats a cluster URL with a password in its error', () => {
    for (const bad of ['redis+cluster://:hunter22@h1:x', 'redis+cluster://:hunter22@h1/3']) {
      assert.throws(
        () => parseRedisUrl(bad),
        (error: Error) => !error.message.includes('hunter22'),
      );
    }
  });

  for (const bad of ['nonsense', 'http://localhost:6379', 'redis://', 'unix://', 'redis://h/notanumber']) {
    it(`rejects ${JSON.stringify(bad)} with E_CONFIG naming the variable`, () => {
      assert.throws(
        () => parseRedisUrl(bad, 'JOBS_REDIS_URL'),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'E_CONFIG');
          assert.match(error.message, /^JOBS_REDIS_URL /);
          return true;
        },
      );
    });
  }

  it('never repeats the URL (it may hold a password) in its error', () => {
    assert.throws(
      () => parseRedisUrl('redis://:hunter22@h/x'),
      (error: Error) => !error.message.includes('hunter22'),
    );
  });
});

describe('redactRedisUrl and describeTarget', () => {
  it('masks the password wherever it is', () => {
    assert.equal(redactRedisUrl('redis://u:secretpw@h:1/2'), 'redis://u:***@h:1/2');
    assert.doesNotMatch(redactRedisUrl('unix:///s.sock?password=secretpw'), /secretpw/);
    assert.equal(redactRedisUrl('redis+cluster://u:secretpw@h1:1,h2:2'), 'redis+cluster://u:***@h1:1,h2:2');
    assert.doesNotMatch(redactRedisUrl('rediss+cluster://h1:1?password=secretpw'), /secretpw/);
  });

  it('describes a target without credentials', () => {
    assert.equal(describeTarget(parseRedisUrl('redis://u:secretpw@h:1/2')), 'redis://h:1/2');
    assert.equal(describeTarget(parseRedisUrl('unix:///s.sock?password=x1&db=1')), 'redis://unix:/s.sock/1');
    assert.equal(
      describeTarget(parseRedisUrl('rediss+cluster://u:secretpw@h1:1,[::1]:2')),
      'rediss+cluster://h1:1,[::1]:2',
    );
  });
});
