// Minimal Docker Engine API calls over a node's unix socket. The harness uses this rather
// than dockerode so that it does not depend on the code under test's client library, and
// so that streamed answers (image import) can be checked line by line for errors.
import { request } from 'node:http';
import type { Readable } from 'node:stream';

export const DOCKER_API_VERSION = 'v1.41';

export interface DockerResponse {
  status: number;
  body: string;
}

export interface DockerRequest {
  socketPath: string;
  method: string;
  path: string;
  body?: Buffer | Readable;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export function dockerRequest(req: DockerRequest): Promise<DockerResponse> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        socketPath: req.socketPath,
        method: req.method,
        path: req.path.startsWith('/_ping') ? req.path : `/${DOCKER_API_VERSION}${req.path}`,
        headers: { Host: 'docker', ...req.headers },
        timeout: req.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`${req.method} ${req.path} on ${req.socketPath} timed out`)));
    r.on('error', reject);
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else req.body.on('error', (e) => r.destroy(e)).pipe(r);
  });
}

/** True when the daemon behind the socket answers GET /_ping with OK. */
export async function pingDocker(socketPath: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await dockerRequest({ socketPath, method: 'GET', path: '/_ping', timeoutMs });
    return res.status === 200 && res.body === 'OK';
  } catch {
    return false;
  }
}

/**
 * Docker reports failures of streamed operations (import, pull) as an `error` line inside a
 * 200 response; this throws on the first one.
 */
export function assertNoStreamError(body: string, what: string): void {
  for (const line of body.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let event: { error?: unknown; errorDetail?: { message?: unknown } };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      continue;
    }
    if (event.error !== undefined || event.errorDetail !== undefined) {
      throw new Error(`${what}: ${String(event.errorDetail?.message ?? event.error)}`);
    }
  }
}
