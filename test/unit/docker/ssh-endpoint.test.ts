// ssh:// nodes end to end without sshd: an in-process ssh2 server that, like a real host,
// answers `docker system dial-stdio` by piping the channel to a Docker API socket (here the
// scripted one). Proves the key auth, the known_hosts check and the request path.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { EngineNode } from '../../../src/docker/engine-node.js';
import { NodeUnreachableError } from '../../../src/docker/errors.js';
import { checkHostKey, parseKnownHosts } from '../../../src/docker/known-hosts.js';
import { startFakeDockerApi, type FakeDockerApi } from './fake-docker-api.js';

const { Server, utils } = ssh2;

function publicBlob(openSshPublic: string): Buffer {
  return Buffer.from(openSshPublic.trim().split(/\s+/)[1] ?? '', 'base64');
}

describe('ssh:// endpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssh-endpoint-'));
  const hostKey = utils.generateKeyPairSync('ed25519');
  const otherHostKey = utils.generateKeyPairSync('ed25519');
  const clientKey = utils.generateKeyPairSync('ed25519');
  const keyFile = join(dir, 'id_ed25519');
  const execs: string[] = [];
  let api: FakeDockerApi;
  let server: InstanceType<typeof Server>;
  let port = 0;

  before(async () => {
    writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
    api = await startFakeDockerApi();
    api.on('GET', '/_ping', { status: 200, json: 'OK' });
    api.on('GET', '/containers/json', { status: 200, json: [{ Id: 'x1', Names: ['/web'], State: 'running', Status: 'Up 1 second', Labels: {}, Ports: [], Created: 1 }] });
    const allowed = publicBlob(clientKey.public);
    server = new Server({ hostKeys: [hostKey.private] }, (client) => {
      client.on('authentication', (ctx) => {
        if (ctx.method === 'publickey' && ctx.username === 'deploy' && ctx.key.data.equals(allowed)) ctx.accept();
        else ctx.reject(['publickey']);
      });
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          execs.push(info.command);
          const channel = acceptExec();
          const sock = connect(api.socketPath);
          channel.pipe(sock).pipe(channel);
          sock.on('close', () => channel.close());
        });
      });
      client.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function nodeWith(knownHosts: string): EngineNode {
    const file = join(dir, `known_hosts_${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, knownHosts);
    return EngineNode.fromSpec({ name: 'node-s', endpoint: `ssh://deploy@127.0.0.1:${port}` }, { sshKeyFile: keyFile, sshKnownHostsFile: file, env: {}, timeoutMs: 5000 });
  }

  it('talks to Docker over ssh when the host key is known', async () => {
    const node = nodeWith(`# test\n[127.0.0.1]:${port} ${hostKey.public.trim()}\n`);
    await node.ping();
    const list = await node.listContainers();
    assert.deepEqual(list.map((c) => c.name), ['web']);
    assert.ok(execs.every((c) => c === 'docker system dial-stdio'), execs.join(', '));
  });

  it('refuses a host that is not in known_hosts, saying how to add it', async () => {
    const err = await nodeWith('').ping().catch((e: unknown) => e);
    assert.ok(err instanceof NodeUnreachableError, String(err));
    assert.match(err.message, /ssh host key was refused: \[127\.0\.0\.1\]:\d+ is not in .*ssh-keyscan -p \d+ 127\.0\.0\.1/);
  });

  it('refuses a host whose key differs from the known one', async () => {
    const err = await nodeWith(`[127.0.0.1]:${port} ${otherHostKey.public.trim()}\n`).ping().catch((e: unknown) => e);
    assert.ok(err instanceof NodeUnreachableError, String(err));
    assert.match(err.message, /differs from the one in/);
  });

  it('a key the host does not accept is an ssh authentication failure', async () => {
    const stranger = utils.generateKeyPairSync('ed25519');
    const strangerFile = join(dir, 'id_stranger');
    writeFileSync(strangerFile, stranger.private, { mode: 0o600 });
    const known = join(dir, 'known_hosts_ok');
    writeFileSync(known, `[127.0.0.1]:${port} ${hostKey.public.trim()}\n`);
    const node = EngineNode.fromSpec({ name: 'node-s', endpoint: `ssh://deploy@127.0.0.1:${port}` }, { sshKeyFile: strangerFile, sshKnownHostsFile: known, env: {} });
    await assert.rejects(node.ping(), (e: unknown) => e instanceof NodeUnreachableError && /ssh authentication failed/.test(e.message));
  });
});

describe('known_hosts matching', () => {
  const key = Buffer.from('key-one');
  const other = Buffer.from('key-two');
  const b64 = (b: Buffer): string => b.toString('base64');
  // A hashed entry as `ssh-keygen -H` writes it: HMAC-SHA1 of the name, keyed by the salt.
  const salt = Buffer.from('0123456789abcdefghij');
  const hashed = `|1|${b64(salt)}|${createHmac('sha1', salt).update('secret.example').digest('base64')}`;
  const entries = parseKnownHosts([
    `web1.example,10.0.0.1 ssh-ed25519 ${b64(key)}`,
    `[10.0.0.2]:2222 ssh-ed25519 ${b64(key)}`,
    `*.fleet.example,!bad.fleet.example ssh-ed25519 ${b64(key)}`,
    `${hashed} ssh-ed25519 ${b64(key)}`,
    `@revoked * ssh-ed25519 ${b64(other)}`,
    `@cert-authority *.example ssh-ed25519 ${b64(other)}`,
  ].join('\n'));

  it('matches plain, ported, wildcard and hashed names', () => {
    assert.equal(checkHostKey(entries, 'web1.example', 22, key), 'known');
    assert.equal(checkHostKey(entries, '10.0.0.1', 22, key), 'known');
    assert.equal(checkHostKey(entries, '10.0.0.2', 2222, key), 'known');
    assert.equal(checkHostKey(entries, '10.0.0.2', 22, key), 'unknown-host');
    assert.equal(checkHostKey(entries, 'n3.fleet.example', 22, key), 'known');
    assert.equal(checkHostKey(entries, 'bad.fleet.example', 22, key), 'unknown-host');
    assert.equal(checkHostKey(entries, 'secret.example', 22, key), 'known');
  });

  it('tells a changed key and a revoked key apart from an unknown host', () => {
    assert.equal(checkHostKey(entries, 'web1.example', 22, Buffer.from('key-three')), 'mismatch');
    assert.equal(checkHostKey(entries, 'web1.example', 22, other), 'revoked');
  });
});
