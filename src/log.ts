// Structured logs (pino): JSON one event a line, readable when attached to a terminal.
// Secrets are kept out in two ways. Paths that name a secret (token, secret, password,
// authorization) are redacted by pino; and every line passes a SecretRedactor that knows
// the actual secret values the daemon read (Git token, webhook secret, API token,
// notification URLs and tokens) and replaces them wherever they appear, so that an error
// message from a library that echoes a URL or header cannot leak one either.
import { pino, type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { REDACTED, SecretRedactor } from './log-redact.js';

export type { Logger };
export { SecretRedactor };

export const REDACT_PATHS = [
  'token', 'secret', 'password', 'authorization', 'gitToken', 'apiToken', 'webhookSecret',
  '*.token', '*.secret', '*.password', '*.authorization', '*.gitToken', '*.apiToken', '*.webhookSecret',
  'headers.authorization', 'req.headers.authorization', 'headers["x-gitlab-token"]', 'req.headers["x-gitlab-token"]',
];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface LoggerOptions {
  /** trace, debug, info (default), warn, error, fatal or silent. */
  level?: string;
  /** Human-readable lines instead of JSON; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go (default stdout); tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
  /** Secret values to scrub from every line; add to it as secrets are read. */
  secrets?: SecretRedactor;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`unknown log level ${JSON.stringify(level)}: use one of ${LOG_LEVELS.join(', ')}`);
  const pretty = options.pretty ?? (process.stdout.isTTY === true && options.destination === undefined);
  const out: OutStream = options.destination ?? pino.destination({ sync: false });
  const stream = new ScrubbingStream(out, options.secrets ?? new SecretRedactor(), pretty);
  return pino({ level, redact: { paths: REDACT_PATHS, censor: REDACTED }, base: pretty ? {} : { app: 'flotilla' } }, stream);
}

/** A logger that drops everything, for tests and one-shot CLI commands with their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** The fleet coordinates a log line can carry; the same names in every line make them searchable. */
export interface FleetLogContext {
  cluster?: string;
  stack?: string;
  service?: string;
  node?: string;
  /** A full commit id. */
  commit?: string;
}

/**
 * A child logger whose every line carries the given coordinates, e.g. one per reconcile
 * (`{cluster, commit}`) and one per service action (`{stack, service, node}`). Undefined
 * fields are left out rather than logged as null.
 */
export function withFleetContext(log: Logger, context: FleetLogContext): Logger {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) if (typeof value === 'string' && value !== '') fields[key] = value;
  return log.child(fields);
}

/** stdout through pino's SonicBoom (which can flush), or any writable stream. */
interface OutStream {
  write(line: string): unknown;
  flush?(cb?: (err?: Error) => void): void;
  flushSync?(): void;
}

/**
 * pino's destination: scrubs secret values from each line, makes it readable when asked,
 * and passes flushes through so that logs are not lost on SIGTERM.
 */
class ScrubbingStream implements DestinationStream {
  private readonly prettify: ((line: string) => string) | undefined;

  constructor(
    private readonly out: OutStream,
    private readonly secrets: SecretRedactor,
    pretty: boolean,
  ) {
    this.prettify = pretty ? prettyFactory({ colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' }) : undefined;
  }

  write(line: string): void {
    const clean = this.secrets.scrub(line);
    this.out.write(this.prettify ? this.prettify(clean) : clean);
  }

  flush(cb?: (err?: Error) => void): void {
    if (typeof this.out.flush === 'function') this.out.flush(cb);
    else cb?.();
  }

  flushSync(): void {
    this.out.flushSync?.();
  }
}
