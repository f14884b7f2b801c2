// Structured logs (pino): JSON one event a line, readable when attached to a terminal.
// Secrets are redacted by path as a second line of defence; the first is never logging them.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = ['token', 'secret', 'password', 'authorization', '*.token', '*.secret', '*.password', '*.authorization', 'headers.authorization'];

export function createLogger(options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? 'info';
  const pretty = options.pretty ?? (process.stdout.isTTY === true && options.destination === undefined);
  if (pretty) {
    return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'flotilla' } }, options.destination ?? pino.destination({ sync: false }));
}

/** A logger that drops everything, for tests and one-shot CLI commands with their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
