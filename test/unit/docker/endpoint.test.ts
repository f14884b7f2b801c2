import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { DEFAULT_TIMEOUT_MS, parseEndpoint } from '../../../src/docker/endpoint.js';
import { EndpointError } from '../../../src/docker/errors.js';
import { hasOpenssl, makeTestCerts } from './test-certs.js';

const dir = mkdtempSync(join(tmpdir(), 'endpoint-test-'));
writeFileSync(join(dir, 'ca.pem'), 'CA');
writeFileSync(join(dir, 'cert.pem'), 'CERT');
writeFileSync(join(dir, 'key.pem'), 'KEY');
writeFileSync(join(dir, 'id_test'), 'PRIVATE KEY');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseEndpoint', () => {
  it('unix:// becomes a socket path with the default timeouts', () => {
    const c = parseEndpoint('a', 'unix:///var/run/docker.sock');
    assert.equal(c.kind, 'unix');
    assert.equal(c.docker.socketPath, '/var/run/docker.sock');
    assert.equal(c.timeoutMs, DEFAULT_TIMEOUT_MS);
  });

  it('tcp:// is plain http', () => {
    const plain = parseEndpoint('a', 'tcp://10.0.0.5:2375', { timeoutMs: 5000 });
    assert.deepEqual([plain.docker.host, plain.docker.port, plain.docker.protocol, plain.timeoutMs], ['10.0.0.5', 2375, 'http', 5000]);
  });

  it('tcp:// with tls files is https with the files read, relative paths from baseDir', { skip: hasOpenssl() ? false : 'the openssl CLI is not installed' }, () => {
    const certs = makeTestCerts();
    try {
      const tls = parseEndpoint('a', 'tcp://docker.example:2376', { tls: { ca: 'ca.pem', cert: 'client.pem', key: certs.files.key }, baseDir: certs.dir });
      assert.equal(tls.docker.protocol, 'https');
      assert.deepEqual([tls.docker.ca, tls.docker.cert, tls.docker.key], [readFileSync(certs.files.ca), readFileSync(certs.files.cert), readFileSync(certs.files.key)]);
    } finally {
      certs.remove();
    }
  });

  it('tls files that are not certificates and keys are refused when the endpoint is read', () => {
    assert.throws(
      () => parseEndpoint('a', 'tcp://docker.example:2376', { tls: { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' }, baseDir: dir }),
      (e: unknown) => e instanceof EndpointError && /tls files cannot be used together/.test(e.message),
    );
  });

  it('ssh:// takes user, host, port and a key file', () => {
    const c = parseEndpoint('a', 'ssh://deploy@host.example:2222', { sshKeyFile: join(dir, 'id_test'), env: {}, timeoutMs: 4000 });
    assert.equal(c.kind, 'ssh');
    assert.deepEqual([c.docker.protocol, c.docker.host, c.docker.port, c.docker.username], ['ssh', 'host.example', 2222, 'deploy']);
    assert.equal(String(c.docker.sshOptions?.privateKey), 'PRIVATE KEY');
    assert.equal(c.docker.sshOptions?.readyTimeout, 4000);
    const agent = parseEndpoint('a', 'ssh://deploy@host', { env: { SSH_AUTH_SOCK: '/run/agent.sock' } });
    assert.equal(agent.docker.sshOptions?.agent, '/run/agent.sock');
    assert.equal(agent.docker.port, 22);
  });

  it('refuses unusable endpoints with an EndpointError naming node and endpoint', () => {
    const cases: Array<[string, Parameters<typeof parseEndpoint>[2], RegExp]> = [
      ['http://x:1', {}, /use unix:\/\/\/path/],
      ['unix://relative.sock', {}, /absolute socket path/],
      ['tcp://host', {}, /needs a port/],
      ['tcp://host:2376', { tls: { cert: 'c.pem' } }, /cert and tls.key go together/],
      ['tcp://host:2376', { tls: { ca: 'missing.pem' }, baseDir: dir }, /tls.ca file .*missing.pem cannot be read \(ENOENT\)/],
      ['unix:///s.sock', { tls: { ca: 'ca.pem' } }, /tcp:\/\/ endpoints only/],
      ['ssh://host', { env: {} }, /needs a user/],
      ['ssh://u@host', { env: { HOME: dir } }, /no ssh credentials/],
      ['unix:///s.sock', { timeoutMs: 0 }, /timeoutMs must be a positive/],
    ];
    for (const [endpoint, options, message] of cases) {
      assert.throws(
        () => parseEndpoint('node-q', endpoint, options),
        (e: unknown) => e instanceof EndpointError && e.code === 'ENDPOINT_INVALID' && e.node === 'node-q' && e.message.includes(JSON.stringify(endpoint)) && message.test(e.message),
        endpoint,
      );
    }
  });

  it('DOCKER_HOST and DOCKER_CERT_PATH in the environment do not redirect a node', () => {
    const saved = { host: process.env.DOCKER_HOST, timeout: process.env.DOCKER_CLIENT_TIMEOUT };
    process.env.DOCKER_HOST = 'tcp://10.9.9.9:2375';
    process.env.DOCKER_CLIENT_TIMEOUT = '1';
    try {
      const modem = new Dockerode(parseEndpoint('a', 'unix:///var/run/node-a.sock').docker).modem as unknown as Record<string, unknown>;
      assert.equal(modem.host, undefined);
      assert.equal(modem.socketPath, '/var/run/node-a.sock');
      assert.equal(modem.timeout, undefined);
    } finally {
      for (const [k, v] of [['DOCKER_HOST', saved.host], ['DOCKER_CLIENT_TIMEOUT', saved.timeout]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
