// The classification of raw dockerode errors, the pure payload parsers and the pull stream
// follower, on payloads shaped like Docker 20.10's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import {
  AddressTakenError, ContainerConflictError, DockerApiError, ImagePullError, NodeUnreachableError, PortAllocatedError, portOfMessage, toDockerError,
} from '../../../src/docker/errors.js';
import { healthFromStatus, parsePorts, parseState, primaryName, splitImageRef } from '../../../src/docker/parse.js';
import { followPull } from '../../../src/docker/pull-progress.js';

function modemError(statusCode: number, message: string): Error {
  // The shape docker-modem builds: a prefixed message plus the decoded JSON body.
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });
}

describe('toDockerError', () => {
  it('socket errors mean the node is unreachable', () => {
    for (const code of ['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']) {
      const e = toDockerError('n', 'ping', Object.assign(new Error(code), { code }), { endpoint: 'tcp://h:1' });
      assert.ok(e instanceof NodeUnreachableError, code);
      assert.match(e.message, /Node "n" is unreachable at tcp:\/\/h:1 \(ping\)/);
    }
  });

  it('keeps Docker\'s own message and classifies by status and text', () => {
    const conflict = toDockerError('n', 'create container', modemError(409, 'Conflict. The container name "/x" is already in use'), { subject: 'x' });
    assert.ok(conflict instanceof ContainerConflictError);
    const port = toDockerError('n', 'start container', modemError(500, 'Error starting userland proxy: listen tcp4 0.0.0.0:8081: bind: address already in use'), { subject: 'x' });
    assert.ok(port instanceof PortAllocatedError);
    assert.equal(port.port, 8081);
    // IPAM's refusal of a fixed ipv4_address says only this; it is not a port conflict.
    const address = toDockerError('n', 'start container', modemError(403, 'Address already in use'), { subject: 'x' });
    assert.ok(address instanceof AddressTakenError, address.constructor.name);
    assert.match(address.message, /fixed IP address \(ipv4_address\) is already taken/);
    const pull = toDockerError('n', 'pull image', modemError(500, 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host'), { subject: 'a:1' });
    assert.ok(pull instanceof ImagePullError);
    assert.match(pull.message, /could not pull a:1 from registry docker\.io: unreachable \(Get "https:\/\/registry-1/);
    const other = toDockerError('n', 'stop container', modemError(500, 'tried to kill container, but did not receive an exit event'), { subject: 'x' });
    assert.ok(other instanceof DockerApiError);
    assert.equal(other.statusCode, 500);
    assert.equal(other.dockerMessage, 'tried to kill container, but did not receive an exit event');
  });

  it('a typed error passes through unchanged', () => {
    const e = new NodeUnreachableError('n', 'info', 'down');
    assert.equal(toDockerError('n', 'info', e), e);
  });

  it('finds the port in both of Docker\'s messages', () => {
    assert.equal(portOfMessage('Bind for 0.0.0.0:8080 failed: port is already allocated'), 8080);
    assert.equal(portOfMessage('Bind for [::]:9090 failed: port is already allocated'), 9090);
    assert.equal(portOfMessage('listen tcp4 10.1.2.3:53: bind: address already in use'), 53);
    assert.equal(portOfMessage('something else'), undefined);
  });
});

describe('parsers', () => {
  it('health from the list Status text', () => {
    assert.equal(healthFromStatus('Up 3 seconds (health: starting)'), 'starting');
    assert.equal(healthFromStatus('Up 2 minutes (healthy)'), 'healthy');
    assert.equal(healthFromStatus('Up 2 minutes (unhealthy)'), 'unhealthy');
    assert.equal(healthFromStatus('Up 2 minutes'), undefined);
    assert.equal(healthFromStatus('Exited (0) 1 second ago'), undefined);
  });

  it('states, names, ports', () => {
    assert.equal(parseState('running'), 'running');
    assert.equal(parseState('weird'), 'dead');
    assert.equal(primaryName(['/other/alias', '/web']), 'web');
    assert.deepEqual(parsePorts([
      { IP: '127.0.0.1', PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 9000, Type: 'tcp' },
    ]), [
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1' },
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    ]);
  });

  it('image references for pulls', () => {
    assert.deepEqual(splitImageRef('nginx'), { fromImage: 'nginx', tag: 'latest' });
    assert.deepEqual(splitImageRef('nginx:1.27'), { fromImage: 'nginx', tag: '1.27' });
    assert.deepEqual(splitImageRef('reg:5000/team/app'), { fromImage: 'reg:5000/team/app', tag: 'latest' });
    assert.deepEqual(splitImageRef('reg:5000/team/app:2'), { fromImage: 'reg:5000/team/app', tag: '2' });
    assert.deepEqual(splitImageRef('app@sha256:abc'), { fromImage: 'app@sha256:abc' });
  });
});

describe('followPull', () => {
  it('any error event fails the pull, even after progress and split across chunks', async () => {
    const s = new PassThrough();
    const done = followPull(s);
    s.write('{"status":"Pulling fs layer","id":"1"}\r\n{"errorDe');
    s.write('tail":{"message":"unauthorized"},"error":"unauthorized"}\r\n');
    s.end();
    assert.deepEqual(await done, { ok: false, error: 'unauthorized', lastStatus: 'Pulling fs layer', events: 2 });
  });

  it('a clean stream succeeds; a non-JSON line does not crash it', async () => {
    const s = new PassThrough();
    const done = followPull(s);
    s.end('garbage\n{"status":"Status: Image is up to date for a:1"}');
    assert.deepEqual(await done, { ok: true, lastStatus: 'Status: Image is up to date for a:1', events: 1 });
  });

  it('an error event without a message still fails', async () => {
    const s = new PassThrough();
    const done = followPull(s);
    s.end('{"error":""}\n');
    assert.equal((await done).ok, false);
  });

  it('a stream error rejects', async () => {
    const s = new PassThrough();
    const done = followPull(s);
    s.destroy(new Error('socket closed'));
    await assert.rejects(done, /socket closed/);
  });
});
