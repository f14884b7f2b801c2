// Follows the JSON-lines progress stream of POST /images/create. Docker answers 200 as soon
// as the pull starts and reports a failure later as an `{"error": ..., "errorDetail": ...}`
// line; dockerode's followProgress resolves on such a stream as if it had succeeded (and
// throws from a stream handler on a line that is not JSON), so the stream is read here.

export interface PullOutcome {
  ok: boolean;
  /** Docker's message of the first error event, when !ok. */
  error?: string;
  /** The last status line, for context ("Downloaded newer image for ..."). */
  lastStatus?: string;
  events: number;
}

interface ProgressEvent {
  status?: unknown;
  error?: unknown;
  errorDetail?: { message?: unknown } | unknown;
}

function errorOf(event: ProgressEvent): string | undefined {
  const detail = typeof event.errorDetail === 'object' && event.errorDetail !== null ? (event.errorDetail as { message?: unknown }) : undefined;
  if (typeof detail?.message === 'string' && detail.message !== '') return detail.message;
  if (typeof event.error === 'string' && event.error !== '') return event.error;
  if (event.errorDetail !== undefined || event.error !== undefined) return 'the pull reported an error without a message';
  return undefined;
}

/**
 * Resolves when the stream ends or fails; rejects only on a stream error (a broken
 * connection). Stops at the first error event: what follows it does not matter.
 */
export function followPull(stream: NodeJS.ReadableStream, onEvent?: (event: ProgressEvent) => void): Promise<PullOutcome> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let events = 0;
    let lastStatus: string | undefined;
    let settled = false;
    const finish = (outcome: PullOutcome | Error): void => {
      if (settled) return;
      settled = true;
      stream.removeListener('data', onData);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const handleLine = (line: string): void => {
      const text = line.trim();
      if (text === '') return;
      let event: ProgressEvent;
      try {
        event = JSON.parse(text) as ProgressEvent;
      } catch {
        // Not JSON: a proxy or a daemon bug. Keep it as context rather than crash.
        lastStatus = text.slice(0, 200);
        return;
      }
      events++;
      onEvent?.(event);
      const error = errorOf(event);
      if (error !== undefined) {
        finish({ ok: false, error, lastStatus, events });
        // Nothing after an error matters; let the daemon close its end.
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        return;
      }
      if (typeof event.status === 'string') lastStatus = event.status;
    };
    const onData = (chunk: Buffer | string): void => {
      buffered += chunk.toString();
      let nl: number;
      while (!settled && (nl = buffered.indexOf('\n')) >= 0) {
        handleLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    };
    stream.on('data', onData);
    stream.once('error', (err: Error) => finish(err));
    const onEnd = (): void => {
      if (settled) return;
      handleLine(buffered);
      finish({ ok: true, lastStatus, events });
    };
    stream.once('end', onEnd);
    // A 'close' without 'end' is a connection cut mid-stream: not a successful pull.
    stream.once('close', () => {
      if (!settled) finish(new Error('the connection closed before the pull finished'));
    });
  });
}
