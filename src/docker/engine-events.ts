// What a node's Engine `/events` stream says, as far as Flotilla reads it. The stream is
// newline-delimited JSON; an event is only ever a hint that something changed (the
// reconcile re-reads the node), so a line that is not a container event is skipped, never fatal.
import type { Readable } from 'node:stream';

export interface EngineEvent {
  /** "container", "network", ... */
  type: string;
  /** "die", "destroy", "stop", "health_status: unhealthy", ... */
  action: string;
  /** Container id for container events. */
  id: string;
  /** The container's name and labels at the time of the event. */
  attributes: Record<string, string>;
}

/** Query filters of GET /events, in the Engine API's `{key: [values]}` form. */
export type EventFilters = Record<string, string[]>;

/** Something that can open one `/events` subscription (EngineNode does). */
export interface EngineEventSource {
  readonly name: string;
  /**
   * Resolves once the daemon has answered with the stream; `signal` ends it. Rejects with
   * a DockerNodeError when the stream cannot be opened.
   */
  openEventStream(filters: EventFilters, signal: AbortSignal): Promise<Readable>;
}

export function isEngineEventSource(node: object): node is EngineEventSource {
  return typeof (node as Partial<EngineEventSource>).openEventStream === 'function';
}

/** One line of the stream, or undefined when it is not a well-formed event. */
export function parseEngineEvent(line: string): EngineEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as { Type?: unknown; Action?: unknown; Actor?: { ID?: unknown; Attributes?: unknown } };
  if (typeof r.Type !== 'string' || typeof r.Action !== 'string') return undefined;
  const attributes: Record<string, string> = {};
  const given = r.Actor?.Attributes;
  if (typeof given === 'object' && given !== null) {
    for (const [k, v] of Object.entries(given)) if (typeof v === 'string') attributes[k] = v;
  }
  return { type: r.Type, action: r.Action, id: typeof r.Actor?.ID === 'string' ? r.Actor.ID : '', attributes };
}

/** A line longer than this is not an event (Docker's are well under 4 KiB even with many labels). */
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Calls `onEvent` for each event until the stream ends; resolves then, rejects when the
 * connection fails or a line grows past the limit (a daemon that is not sending events).
 */
export function readEngineEvents(stream: Readable, onEvent: (event: EngineEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        const event = line === '' ? undefined : parseEngineEvent(line);
        if (event) onEvent(event);
      }
      if (buffered.length > MAX_LINE_BYTES) {
        stream.destroy();
        settle(new Error(`an event line over ${MAX_LINE_BYTES} bytes: the answer is not an event stream`));
      }
    });
    stream.on('end', () => settle());
    stream.on('error', (err) => settle(err));
    stream.on('close', () => settle(new Error('the event stream closed')));
  });
}
