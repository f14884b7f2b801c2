// The seam between a node client and the wire: one Docker Engine API request in, the parsed
// answer (or the response stream) out. Two implementations exist because they cost very
// different amounts of memory: unix:// and tcp:// speak HTTP with node:http, while ssh://
// needs dockerode's modem and ssh2, which are loaded only when an ssh node first calls.

export type Query = Record<string, string | number | boolean>;

export interface EngineRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Engine API path without version prefix or query, e.g. `/containers/create`. */
  path: string;
  query?: Query;
  /** Sent as JSON. Undefined means no body at all: Docker refuses one on some routes (/start). */
  body?: unknown;
  /** Sent as is instead of `body` (a tar archive for PUT /containers/{id}/archive). */
  raw?: { contentType: string; bytes: Buffer };
  /** Statuses that count as success; anything else becomes an error with Docker's message. */
  ok: number[];
  /** Sent as the X-Registry-Auth header (pulls of private images). */
  registryAuth?: string;
}

/**
 * Rejections are errors that `toDockerError` in errors.ts classifies: a status outside `ok`
 * carries `statusCode` and Docker's decoded answer as `json`; a socket failure keeps its
 * errno `code` (ECONNREFUSED, ECONNRESET, ENOENT, ...); an abort is named `AbortError`.
 */
export interface EngineTransport {
  /**
   * Resolves with the parsed JSON answer (undefined when there is no body, the text when it
   * is not JSON), or with the response stream when `isStream`. `signal` bounds the whole
   * request, except a stream's body: a caller reading a stream bounds that itself.
   */
  request(request: EngineRequest, signal: AbortSignal, isStream: boolean): Promise<unknown>;
}
