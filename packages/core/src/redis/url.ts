import { ConfigError } from '../errors.js';

/** One `host:port` of a Redis Cluster seed list. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** Where and how to reach one Redis server, or one Redis Cluster, parsed from a URL. */
export interface RedisTarget {
  /**
   * `tcp` for redis:// and rediss://, `unix` for unix:// socket paths, `cluster` for
   * redis+cluster:// and rediss+cluster:// seed lists.
   */
  transport: 'tcp' | 'unix' | 'cluster';
  /** The host (the first seed's for a cluster). */
  host: string;
  port: number;
  /** Every seed node of a `cluster` target, in the order given; empty for the other transports. */
  nodes: readonly RedisNodeAddress[];
  /** Socket path for `unix` targets. */
  path: string | undefined;
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
  db: number;
}

const SCHEMES = new Set(['redis:', 'rediss:', 'unix:']);
const KINDS = 'must be a redis://, rediss://, redis+cluster://, rediss+cluster:// or unix:// URL';

/**
 * `redis+cluster://` and `rediss+cluster://`: scheme, optional credentials, a comma-separated seed list,
 * an optional path and query. Parsed by hand because WHATWG URLs allow one host only.
 */
const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?(?:#.*)?$/i;

/**
 * Parses `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS),
 * `unix:///path/to/socket[?db=N&username=U&password=P]` and, for Redis Cluster,
 * `redis+cluster://[user[:password]@]host:port[,host:port…]` (`rediss+cluster://` for TLS; the seeds
 * need not be every node, the client discovers the rest). `variable` names the setting in errors, which
 * never repeat the URL itself: it may hold a password.
 */
export function parseRedisUrl(raw: string, variable = 'REDIS_URL'): RedisTarget {
  const cluster = CLUSTER_URL.exec(raw.trim());
  if (cluster) return parseClusterUrl(cluster, variable);
  if (/^rediss?\+cluster:/i.test(raw.trim())) {
    throw new ConfigError(variable, 'must be redis+cluster://[user:password@]host:port[,host:port…]');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, KINDS);
  }
  if (!SCHEMES.has(url.protocol)) {
    throw new ConfigError(variable, KINDS);
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
      nodes: [],
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
    nodes: [],
    path: undefined,
    tls: url.protocol === 'rediss:',
    username,
    password,
    db: parseDb(dbText, variable),
  };
}

function parseClusterUrl(match: RegExpExecArray, variable: string): RedisTarget {
  const [, scheme = 'redis', userinfo, hostList = '', path = '', queryText = ''] = match;
  const query = new URLSearchParams(queryText);
  const colon = userinfo === undefined ? -1 : userinfo.indexOf(':');
  const userPart = userinfo === undefined ? '' : colon < 0 ? userinfo : userinfo.slice(0, colon);
  const passwordPart = userinfo === undefined || colon < 0 ? '' : userinfo.slice(colon + 1);
  const nodes = hostList
    .split(',')
    .map((seed) => seed.trim())
    .filter((seed) => seed !== '')
    .map((seed) => parseSeed(seed, variable));
  const first = nodes[0];
  if (!first) {
    throw new ConfigError(
      variable,
      'must list at least one cluster node, as in redis+cluster://10.0.0.1:7000,10.0.0.2:7000',
    );
  }
  const dbText = path.replace(/^\//, '') || query.get('db');
  // Redis Cluster serves database 0 only; SELECT of any other fails on every node.
  if (parseDb(dbText, variable) !== 0)
    throw new ConfigError(variable, 'cannot select a database: Redis Cluster has only db 0');
  return {
    transport: 'cluster',
    host: first.host,
    port: first.port,
    nodes,
    path: undefined,
    tls: scheme.toLowerCase() === 'rediss',
    username: decode(userPart) || query.get('username') || undefined,
    password: decode(passwordPart) || query.get('password') || undefined,
    db: 0,
  };
}

/** One `host[:port]` of a seed list, IPv6 in brackets; the message never repeats the text. */
function parseSeed(seed: string, variable: string): RedisNodeAddress {
  let url: URL;
  try {
    url = new URL(`redis://${seed}`);
  } catch {
    throw new ConfigError(variable, 'has a cluster node that is not host[:port]');
  }
  if (!url.hostname || url.username || url.password || url.pathname !== '') {
    throw new ConfigError(variable, 'has a cluster node that is not host[:port]');
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : 6379 };
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
  const cluster = CLUSTER_URL.exec(raw.trim());
  if (cluster) {
    const [, scheme = 'redis', userinfo, hostList = '', path = '', queryText = ''] = cluster;
    const colon = userinfo === undefined ? -1 : userinfo.indexOf(':');
    const auth = userinfo === undefined ? '' : colon < 0 ? `${userinfo}@` : `${userinfo.slice(0, colon)}:***@`;
    const query = new URLSearchParams(queryText);
    if (query.has('password')) query.set('password', '***');
    const search = query.size > 0 ? `?${query.toString()}` : '';
    return `${scheme}+cluster://${auth}${hostList}${path}${search}`;
  }
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.toString();
  } catch {
    return '[unparsable URL]';
  }
}

/** A short label for logs and status: host:port, the seed list or the socket path, never credentials. */
export function describeTarget(target: RedisTarget): string {
  if (target.transport === 'cluster') {
    const seeds = target.nodes.map((node) => `${formatHost(node.host)}:${node.port}`).join(',');
    return `${target.tls ? 'rediss' : 'redis'}+cluster://${seeds}`;
  }
  const where = target.transport === 'unix' ? `unix:${target.path}` : `${target.host}:${target.port}`;
  return `${target.tls ? 'rediss' : 'redis'}://${where}/${target.db}`;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
