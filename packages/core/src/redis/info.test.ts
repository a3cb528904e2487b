import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInfoText, redisVersionWarning, toRedisInfo, type RedisInfo } from './info.js';

const server = (version: string): RedisInfo => toRedisInfo(parseInfoText(`# Server\r\nredis_version:${version}\r\n`));

describe('redisVersionWarning', () => {
  it('warns about a server older than 7.0 and names its version', () => {
    const warning = redisVersionWarning(server('6.2.14'));
    assert.ok(warning);
    assert.match(warning, /Redis 6\.2\.14 is older than 7\.0/);
    assert.match(redisVersionWarning(server('5.0.7')) ?? '', /5\.0\.7/);
  });

  it('accepts 7.0 and newer, and versions it cannot read', () => {
    for (const version of ['7.0.0', '7.0.15', '7.2.4', '8.0.2', '10.1.0', 'unknown']) {
      assert.equal(redisVersionWarning(server(version)), undefined, version);
    }
  });

  it('on a cluster, warns when any master is older', () => {
    const node = (version: string, address: string) => ({ ...server(version), address });
    const cluster: RedisInfo = { ...server('7.2.4'), nodes: [node('7.2.4', 'a:1'), node('6.0.20', 'b:2')] };
    assert.match(redisVersionWarning(cluster) ?? '', /Redis 6\.0\.20 is older/);
    const modern: RedisInfo = { ...server('7.2.4'), nodes: [node('7.2.4', 'a:1'), node('7.0.15', 'b:2')] };
    assert.equal(redisVersionWarning(modern), undefined);
  });
});
