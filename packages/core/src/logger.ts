import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Names of fields that hold credentials: masked in the process log and in jobs' own logs. */
export const CREDENTIAL_FIELDS = ['password', 'token', 'authorization', 'cookie'] as const;

/** Field paths pino masks wherever they appear in a log object (a cookie only as a header). */
const REDACTED_PATHS = [
  ...CREDENTIAL_FIELDS.filter((name) => name !== 'cookie').flatMap((name) => [name, `*.${name}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export interface CreateLoggerOptions {
  /** @default 'info' */
  level?: string;
  name?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

/** A structured JSON logger that masks credential fields by path. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '***' },
  };
  if (options.name !== undefined) config.name = options.name;
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A logger that drops everything, for library use without a logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
