import { fileURLToPath } from 'node:url';

/** How the dashboard reaches the service's own HTTP API. */
export type DashboardUpstream =
  | { kind: 'inject' }
  | {
      kind: 'url';
      /** Base URL of a backplane service, e.g. `http://127.0.0.1:8080`. */
      url: string;
    };

export interface DashboardOptions {
  /**
   * The service's admin token (BACKPLANE_ADMIN_TOKEN). With one, signing in needs it, and the
   * dashboard adds it as a bearer token to the API calls it forwards. Without one (the service then
   * only binds loopback), anyone who reaches the page may enter, as the admin API itself is open.
   * @default undefined
   */
  adminToken?: string;
  /**
   * Refuse every mutation (cancel, retry, pause, resume, cache clear) whoever signs in.
   * @default false
   */
  readOnly?: boolean;
  /**
   * Where the API lives. `inject` calls the routes of the Fastify instance the plugin is registered
   * in, without a network hop; a URL runs the dashboard beside a service elsewhere.
   * @default { kind: 'inject' }
   */
  upstream?: DashboardUpstream;
  /**
   * Signs the session cookie. Sessions survive restarts and work across replicas when every
   * replica has the same secret.
   * @default derived from adminToken; a random value per process when there is no token
   */
  sessionSecret?: string;
  /**
   * How long a sign-in lasts.
   * @default 43_200_000 (12 hours)
   */
  sessionTtlMs?: number;
  /**
   * How often the live stream pushes an overview snapshot to connected browsers.
   * @default 2_000
   */
  snapshotIntervalMs?: number;
  /**
   * How often cache and queue figures are sampled for the history charts.
   * @default 10_000
   */
  sampleIntervalMs?: number;
  /**
   * How much history the charts keep, in memory.
   * @default 3_600_000 (one hour)
   */
  historyMs?: number;
  /**
   * The built front end (index.html and assets).
   * @default the `dist/web` folder of this package
   */
  assetsDir?: string;
}

export type ResolvedDashboardOptions = Required<Omit<DashboardOptions, 'adminToken' | 'sessionSecret'>> & {
  adminToken: string | undefined;
  sessionSecret: string | undefined;
};

export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../dist/web/', import.meta.url));

export function resolveOptions(options: DashboardOptions): ResolvedDashboardOptions {
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0)
      throw new TypeError(`dashboard option ${name} must be a positive number`);
    return value;
  };
  return {
    adminToken: options.adminToken === '' ? undefined : options.adminToken,
    readOnly: options.readOnly ?? false,
    upstream: options.upstream ?? { kind: 'inject' },
    sessionSecret: options.sessionSecret,
    sessionTtlMs: positive('sessionTtlMs', options.sessionTtlMs, 12 * 3_600_000),
    snapshotIntervalMs: positive('snapshotIntervalMs', options.snapshotIntervalMs, 2_000),
    sampleIntervalMs: positive('sampleIntervalMs', options.sampleIntervalMs, 10_000),
    historyMs: positive('historyMs', options.historyMs, 3_600_000),
    assetsDir: options.assetsDir ?? DEFAULT_ASSETS_DIR,
  };
}
