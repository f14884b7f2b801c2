// Engine API calls to a Swarm manager. cluster.yaml lists one or more managers; a call goes
// to the one that answered last and moves on to the next in order when it cannot be reached
// (any manager can serve reads and writes: they forward to the Raft leader).
import { parseEndpoint } from '../../docker/endpoint.js';
import type { EngineRequest, EngineTransport } from '../../docker/engine-transport.js';
import { HttpTransport } from '../../docker/http-transport.js';
import { dockerMessageOf } from '../../docker/errors.js';

export class SwarmCallError extends Error {
  readonly code = 'SWARM_CALL_FAILED' as const;
  constructor(
    readonly what: string,
    readonly statusCode: number | undefined,
    message: string,
  ) {
    super(`${what}: ${message}`);
    this.name = 'SwarmCallError';
  }
}

export class SwarmManagers {
  private readonly transports: Array<{ endpoint: string; transport: EngineTransport }>;
  private current = 0;

  constructor(endpoints: readonly string[], private readonly timeoutMs = 30_000) {
    if (endpoints.length === 0) throw new SwarmCallError('swarm', undefined, 'spec.swarm.manager names no manager');
    this.transports = endpoints.map((endpoint, i) => ({ endpoint, transport: new HttpTransport(parseEndpoint(`manager-${i + 1}`, endpoint)) }));
  }

  /** The manager that answered last. */
  get endpoint(): string {
    return this.transports[this.current]?.endpoint ?? '';
  }

  async call<T>(what: string, request: EngineRequest, signal?: AbortSignal): Promise<T> {
    const errors: string[] = [];
    for (let tried = 0; tried < this.transports.length; tried++) {
      const index = (this.current + tried) % this.transports.length;
      const { endpoint, transport } = this.transports[index] as { endpoint: string; transport: EngineTransport };
      const bounded = signal ? AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs);
      try {
        const answer = (await transport.request(request, bounded, false)) as T;
        this.current = index;
        return answer;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        // Docker answered: the request itself is wrong or refused, another manager would say the same.
        // 503 is a manager that lost its quorum or is not part of the swarm: try the next one.
        if (status !== undefined && status !== 503) throw new SwarmCallError(what, status, dockerMessageOf(err));
        if (signal?.aborted) throw err;
        errors.push(`${endpoint}: ${dockerMessageOf(err)}`);
      }
    }
    throw new SwarmCallError(what, undefined, `no Swarm manager answered (${errors.join('; ')})`);
  }
}
