export {
  BackplaneError,
  ConfigError,
  ERROR_CODES,
  InvalidArgumentError,
  RedisUnavailableError,
  isBackplaneError,
  type ErrorCode,
} from './errors.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { ENVIRONMENT_VARIABLES, environmentWithDotenv, loadConfig, type BackplaneConfig } from './config/config.js';
export { toMilliseconds, type Duration } from './util/duration.js';
export { createRedactor, type Redactor } from './util/redact.js';
export { parseRedisUrl, redactRedisUrl, describeTarget, type RedisNodeAddress, type RedisTarget } from './redis/url.js';
export {
  createRedisClient,
  reconnectDelay,
  DEFAULT_BUDGETS,
  type RedisClient,
  type RedisClientBudgets,
} from './redis/client.js';
export { isCluster, keyspaceNodes, scanKeys, unlinkKeys } from './redis/keyspace.js';
export {
  RedisConnection,
  type Availability,
  type RedisConnectionOptions,
  type RedisConnectionStatus,
} from './redis/connection.js';
export {
  parseInfoText,
  policyMayEvict,
  readClusterInfo,
  readRedisInfo,
  toRedisInfo,
  type RedisInfo,
} from './redis/info.js';
export {
  HealthRegistry,
  worst,
  type CheckResult,
  type HealthCheck,
  type HealthReport,
  type HealthStatus,
} from './health/health.js';
export { eventLoopCheck, memoryBackendCheck, redisConnectionCheck } from './health/checks.js';
export { createMetricsRegistry, registerRedisMetrics, type Registry } from './metrics.js';
export * from './cache/index.js';
export * from './jobs/index.js';
export * from './sessions/index.js';
export { Backplane, COMPONENTS, type Component, type ComponentRedisStatus, type RedisStatusReport } from './runtime.js';
