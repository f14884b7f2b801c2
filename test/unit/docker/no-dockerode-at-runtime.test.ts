// A daemon whose nodes are all unix:// or tcp:// never loads dockerode, docker-modem or
// ssh2: together they cost the daemon ~14 MB of RSS (ssh2's crypto alone reserves a 16 MB WebAssembly
// heap). Checked in a fresh `node` process, since this test process has loaded them already.
// All three are CommonJS, so whether imported or required they land in the shared require
// cache; the child also loads dockerode at the end to prove the check sees it when it is there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { packageRoot } from '../../../src/package-root.js';
import { startFakeDockerApi, type FakeDockerApi } from './fake-docker-api.js';

const run = promisify(execFile);

function childScript(endpoint: string): string {
  const app = new URL('../../../src/app.js', import.meta.url).href;
  const engineNode = new URL('../../../src/docker/engine-node.js', import.meta.url).href;
  return `
    import { createRequire } from 'node:module';
    const heavy = () => Object.keys(createRequire(import.meta.url).cache)
      .filter((p) => /[\\\\/]node_modules[\\\\/](dockerode|docker-modem|ssh2)[\\\\/]/.test(p))
      .map((p) => p.replace(/^.*[\\\\/]node_modules[\\\\/]/, '').split(/[\\\\/]/)[0]);
    await import(${JSON.stringify(app)});
    const { EngineNode } = await import(${JSON.stringify(engineNode)});
    const node = EngineNode.fromSpec({ name: 'node-a', endpoint: ${JSON.stringify(endpoint)} });
    await node.ping();
    const containers = await node.listContainers();
    const afterRequests = [...new Set(heavy())];
    await import('dockerode');
    const afterDockerode = [...new Set(heavy())].sort();
    console.log(JSON.stringify({ containers: containers.length, afterRequests, afterDockerode }));
  `;
}

describe('module footprint of a unix:// node', () => {
  let api: FakeDockerApi;
  before(async () => {
    api = await startFakeDockerApi();
    api.on('GET', '/_ping', { status: 200, json: 'OK' });
    api.on('GET', '/containers/json', { status: 200, json: [{ Id: 'a1', Names: ['/web'], State: 'running', Status: 'Up', Labels: {}, Ports: [], Created: 1 }] });
  });
  after(async () => {
    await api.close();
  });

  it('loading the daemon and talking to a node loads no dockerode, docker-modem or ssh2', async () => {
    // cwd: the package root, so that the child's bare import('dockerode') resolves.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', childScript(api.endpoint)], { cwd: packageRoot(), timeout: 30_000 });
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { containers: number; afterRequests: string[]; afterDockerode: string[] };
    assert.equal(report.containers, 1);
    assert.deepEqual(api.requests.map((r) => r.path), ['/_ping', '/containers/json']);
    assert.deepEqual(report.afterRequests, []);
    // The check is live: the same list sees the whole tree once something does load it.
    assert.deepEqual(report.afterDockerode, ['docker-modem', 'dockerode', 'ssh2']);
  });
});
