// A 200 whose body is not what Docker sends (a proxy's error page, a truncated answer, an
// engine that is not Docker) must fail the call, not be read defensively into nothing: an
// empty container list taken at face value would make every replica "missing" and have the
// planner create them all again next to the ones still running.
import { DockerApiError, type DockerOperation } from './errors.js';

type Check = (raw: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const SHAPES = {
  containerList: ((raw) => Array.isArray(raw) && raw.every((c) => isObject(c) && typeof c.Id === 'string')) as Check,
  info: ((raw) => isObject(raw) && typeof raw.NCPU === 'number' && typeof raw.MemTotal === 'number') as Check,
  inspect: ((raw) => isObject(raw) && typeof raw.Id === 'string' && isObject(raw.State)) as Check,
};

/** Returns `raw` when it has the shape; throws a DockerApiError naming the node otherwise. */
export function expectShape(node: string, operation: DockerOperation, raw: unknown, check: Check, subject?: string): unknown {
  if (check(raw)) return raw;
  const seen = typeof raw === 'string' ? `text starting ${JSON.stringify(raw.slice(0, 60))}` : Array.isArray(raw) ? 'an array of another shape' : raw === null || raw === undefined ? 'an empty body' : 'JSON of another shape';
  throw new DockerApiError(node, operation, 200, `the answer is not the Engine API's (${seen}); is the endpoint a Docker daemon, or a proxy in front of one?`, subject);
}
