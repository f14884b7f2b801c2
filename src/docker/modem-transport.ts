// Docker Engine API requests for ssh:// nodes, through dockerode's modem: it runs
// `docker system dial-stdio` over an ssh2 session, which node:http cannot. dockerode is
// imported on the first request of such a node, never at start-up: its tree (ssh2 with a
// 16 MB WebAssembly heap among it) costs the daemon ~14 MB of RSS (measured importing
// dist/src/app.js: 86 MB before, 72 MB after) that fleets without ssh nodes never pay.
import type Dockerode from 'dockerode';
import type DockerModem from 'docker-modem';
import type { EngineRequest, EngineTransport } from './engine-transport.js';

export class ModemTransport implements EngineTransport {
  private modem: Promise<DockerModem> | undefined;

  constructor(private readonly options: Dockerode.DockerOptions) {}

  async request(request: EngineRequest, signal: AbortSignal, isStream: boolean): Promise<unknown> {
    const modem = await this.load();
    const query = request.query !== undefined && Object.keys(request.query).length > 0 ? request.query : undefined;
    const statusCodes: Record<number, true> = Object.fromEntries(request.ok.map((s) => [s, true]));
    const options: DockerModem.DialOptions = {
      // docker-modem appends the query only to a path ending in "?" (and chops that "?" off
      // when there is no query), and sends `_body`, or the whole options object, as the body
      // of a POST; `{}` as body means none (Docker refuses a body on /start).
      path: query ? `${request.path}?` : request.path,
      method: request.method,
      statusCodes,
      abortSignal: signal,
      isStream,
      options: { ...(query ? { _query: query } : {}), _body: request.body ?? {} },
      // docker-modem sends `file` (a Buffer) as the body, with this content type.
      ...(request.raw ? { file: request.raw.bytes, headers: { 'Content-Type': request.raw.contentType } } : {}),
      // `key` is sent as X-Registry-Auth as it is (already padded base64url JSON).
      ...(request.registryAuth !== undefined ? { authconfig: { key: request.registryAuth } } : {}),
    };
    return new Promise((resolve, reject) => {
      modem.dial(options, (err: unknown, data: unknown) => (err ? reject(err) : resolve(data)));
    });
  }

  private load(): Promise<DockerModem> {
    this.modem ??= import('dockerode').then(
      ({ default: Docker }) => new Docker(this.options).modem,
      (err: unknown) => {
        // Not cached: a failed import (a broken install being fixed) is tried again next call.
        this.modem = undefined;
        throw err;
      },
    );
    return this.modem;
  }
}
