import { ConfigError } from '../errors.js';

/** Where and how to reach one Redis server, parsed from a URL. */
export interface RedisTarget {
  /** `tcp` for redis:// and rediss://, `unix` for unix:// socket paths. */
  transport: 'tcp' | 'unix';
  host: string;
  port: number;
  /** Socket path for `unix` targets. */
  path: string | undefined;
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
  db: number;
}

const SCHEMES = new Set(['redis:', 'rediss:', 'unix:']);

/**
 * Parses `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS) and
 * `unix:///path/to/socket[?db=N&username=U&password=P]`. `variable` names the setting in errors, which
 * never repeat the URL itself: it may hold a password.
 */
export function parseRedisUrl(raw: string, variable = 'REDIS_URL'): RedisTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, 'must be a redis://, rediss:// or unix:// URL');
  }
  if (!SCHEMES.has(url.protocol)) {
    throw new ConfigError(variable, 'must be a redis://, rediss:// or unix:// URL');
  }
  const username = decode(url.username) || url.searchParams.get('username') || undefined;
  const password = decode(url.password) || url.searchParams.get('password') || undefined;

  if (url.protocol === 'unix:') {
    const path = decodeURIComponent(url.pathname);
    if (!path || path === '/') throw new ConfigError(variable, 'must name a socket path, as in unix:///run/redis.sock');
    return {
      transport: 'unix',
      host: '',
      port: 0,
      path,
      tls: false,
      username,
      password,
      db: parseDb(url.searchParams.get('db'), variable),
    };
  }

  if (!url.hostname) throw new ConfigError(variable, 'must name a host, as in redis://127.0.0.1:6379');
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '') || url.searchParams.get('db');
  return {
    transport: 'tcp',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    path: undefined,
    tls: url.protocol === 'rediss:',
    username,
    password,
    db: parseDb(dbText, variable),
  };
}

function parseDb(text: string | null, variable: string): number {
  if (text === null || text === '') return 0;
  if (!/^\d+$/.test(text)) throw new ConfigError(variable, 'has a database index that is not a whole number');
  return Number(text);
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The URL with its password (in the authority or the query) replaced by `***`, safe to show. */
export function redactRedisUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.toString();
  } catch {
    return '[unparsable URL]';
  }
}

/** A short label for logs and status: host:port or the socket path, never credentials. */
export function describeTarget(target: RedisTarget): string {
  const where = target.transport === 'unix' ? `unix:${target.path}` : `${target.host}:${target.port}`;
  return `${target.tls ? 'rediss' : 'redis'}://${where}/${target.db}`;
}
