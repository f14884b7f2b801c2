// A Docker engine that misbehaves: every method of the real EngineNode against a scripted
// Engine API on a unix socket that answers with garbage, with 500s (HTML, JSON, a huge
// body), stalls, or drops the connection. Each call must end within its bound as a typed
// DockerNodeError that names the node, never as a crash, a hang, or an untyped TypeError.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DockerNodeError } from '../../src/docker/errors.js';
import { EngineNode } from '../../src/docker/engine-node.js';
import type { DockerNode } from '../../src/docker/types.js';
import { startFakeDockerApi, type FakeDockerApi, type Reply } from '../unit/docker/fake-docker-api.js';

const TIMEOUT_MS = 400;
/** A call's bound: its timeout, plus the one retry a dropped read gets, plus scheduling. */
const BOUND_MS = 2 * TIMEOUT_MS + 1_500;

const BODY = { Image: 'x', Env: [], Labels: {}, HostConfig: { RestartPolicy: { Name: 'no' }, NetworkMode: 'bridge' } };

/** Every method of DockerNode, called the way the executor and observer call it. */
const CALLS: Array<[string, (n: DockerNode) => Promise<unknown>]> = [
  ['listContainers', (n) => n.listContainers()],
  ['info', (n) => n.info()],
  ['ping', (n) => n.ping()],
  ['hasImage', (n) => n.hasImage('img:1')],
  ['pullImage', (n) => n.pullImage('img:1')],
  ['ensureNetwork', (n) => n.ensureNetwork({ name: 'net', internal: false, labels: {} })],
  ['ensureVolume', (n) => n.ensureVolume({ name: 'vol', driverOpts: {}, labels: {} })],
  ['createContainer', (n) => n.createContainer('c', BODY)],
  ['startContainer', (n) => n.startContainer('abc')],
  ['stopContainer', (n) => n.stopContainer('abc', 0)],
  ['removeContainer', (n) => n.removeContainer('abc')],
  ['renameContainer', (n) => n.renameContainer('abc', 'd')],
  ['connectNetwork', (n) => n.connectNetwork('abc', 'net', [])],
  ['inspectContainer', (n) => n.inspectContainer('abc')],
];

const FAULTS: Array<[string, Reply]> = [
  ['garbage with 200', { status: 200, text: '<<<\u0000not json at all{{{' }],
  ['JSON of the wrong shape with 200', { status: 200, text: '{"Containers": "many", "NCPU": "two", "State": 7}' }],
  ['an HTML 500', { status: 500, text: '<html><body>Internal Server Error</body></html>' }],
  ['a JSON 500', { status: 500, json: { message: 'driver failed programming external connectivity' } }],
  ['a 500 with a 32 MiB body', { status: 500, text: 'x'.repeat(32 * 1024 * 1024) }],
  ['a stall', { hang: true }],
  ['a body that stalls after its headers', { status: 200, stallBody: true }],
  ['a dropped connection', { drop: true }],
];

let api: FakeDockerApi;
let mode: Reply = { status: 200, text: '' };
let crashes = 0;
const onCrash = () => { crashes++; };

before(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  api = await startFakeDockerApi();
  api.on('GET', /.*/, () => mode);
  api.on('POST', /.*/, () => mode);
  api.on('DELETE', /.*/, () => mode);
});

after(async () => {
  await api.close();
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
});

for (const [fault, reply] of FAULTS) {
  test(`every Docker call ends as a typed error naming the node, within its bound, on ${fault}`, async () => {
    mode = reply;
    const node = EngineNode.fromSpec({ name: 'node-faulty', endpoint: api.endpoint }, { timeoutMs: TIMEOUT_MS, pullTimeoutMs: TIMEOUT_MS });
    const heapBefore = process.memoryUsage().heapUsed;
    const outcomes = await Promise.all(CALLS.map(async ([name, call]) => {
      const started = performance.now();
      try {
        const value = await call(node);
        return { name, ms: performance.now() - started, value };
      } catch (err) {
        return { name, ms: performance.now() - started, err };
      }
    }));
    for (const o of outcomes) {
      assert.ok(o.ms < BOUND_MS, `${o.name} took ${o.ms.toFixed(0)} ms on ${fault} (bound ${BOUND_MS})`);
      if ('err' in o) {
        assert.ok(o.err instanceof DockerNodeError, `${o.name} failed untyped on ${fault}: ${String(o.err)}`);
        assert.match((o.err as Error).message, /node-faulty/, `${o.name}'s error does not name the node`);
        assert.ok((o.err as Error).message.length < 2_000, `${o.name}'s error message is ${(o.err as Error).message.length} characters long`);
      } else {
        // Only a call that reads nothing from the answer may succeed on garbage with 200
        // (start, stop, remove, rename answer with no body); a read must not invent data.
        assert.ok(reply !== undefined && 'status' in reply && reply.status === 200 && !('stallBody' in reply), `${o.name} succeeded on ${fault}`);
        assert.ok(['ping', 'startContainer', 'stopContainer', 'removeContainer', 'renameContainer', 'connectNetwork', 'ensureNetwork', 'ensureVolume', 'hasImage', 'pullImage'].includes(o.name), `${o.name} returned ${JSON.stringify(o.value)?.slice(0, 200)} from ${fault}`);
      }
    }
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 96 * 1024 * 1024, 'an error body was kept whole in memory');
    assert.equal(crashes, 0, 'an uncaught exception or unhandled rejection escaped');
  });
}
