// Shared pieces of the notification tests: a logger whose lines can be read back, fresh
// metrics, fast retry policies and event builders.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../../src/log.js';
import { FlotillaMetrics } from '../../../src/metrics.js';
import type { NotificationSpec } from '../../../src/manifests/model.js';
import type { RetryPolicy } from '../../../src/notify/retry.js';
import type { FleetEvent, FleetEventType } from '../../../src/notify/types.js';

export interface CapturedLog {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  text(): string;
}

export function captureLog(): CapturedLog {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  return {
    log,
    get lines() {
      return raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}

/** Retries in milliseconds instead of seconds, so give-up paths run in a test's time. */
export const FAST_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxTotalMs: 5_000 };

export function freshMetrics(): FlotillaMetrics {
  return new FlotillaMetrics(false);
}

export async function counted(metrics: FlotillaMetrics, provider: string, result: string): Promise<number> {
  const data = await metrics.notificationsTotal.get();
  return data.values.find((v) => v.labels.provider === provider && v.labels.result === result)?.value ?? 0;
}

export function event(type: FleetEventType, overrides: Partial<FleetEvent> = {}): FleetEvent {
  return {
    type,
    cluster: 'production',
    revision: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
    stacks: ['shop'],
    services: ['shop/web'],
    nodes: ['node-a'],
    message: `shop/web ${type} on node-a`,
    at: '2024-05-01T12:00:00.000Z',
    ...overrides,
  };
}

export function spec(provider: NotificationSpec['provider'], options: Record<string, unknown>, events?: NotificationSpec['events'], name = `${provider}-1`): NotificationSpec {
  return { name, provider, events: events ?? ['deployed', 'failed', 'reverted', 'drift', 'validation_failed', 'node_down'], options };
}

/** Polls until `check` is true (events are delivered on later ticks). */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
