export { runCacheStoreSuite, type StoreSuiteContext } from './cache-store-suite.js';
export {
  freePort,
  redisServerInstalled,
  redisSkipReason,
  startRedisServer,
  type RedisServerHandle,
  type RedisServerOptions,
} from './redis-server.js';
export {
  redisClusterSkipReason,
  startRedisCluster,
  type RedisClusterHandle,
  type RedisClusterOptions,
} from './redis-cluster.js';
export { runJobsSuite, type JobsSuiteContext } from './jobs-suite.js';
export { runScheduleStoreSuite, type ScheduleStoreSuiteContext } from './schedule-store-suite.js';
export { runSessionStoreSuite, type SessionSuiteContext, type SessionSuiteOptions } from './sessions-suite.js';
