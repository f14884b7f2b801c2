// A real private image registry for integration tests: Debian's docker-registry
// (distribution v2) with htpasswd auth and TLS from a self-signed certificate, started
// inside one test node's network namespace on that node's address, so that every node of
// the fleet pulls from it across the network as from a registry on another host.
//
// Docker trusts it through /etc/docker/certs.d/<host>/ca.crt: the node daemons share the
// host's files, so one certificate there is trusted by every node. The registry's process
// runs with its config under the fleet's directory, so the fleet's teardown (and the sweep
// of a SIGKILLed test's leftovers) kills it along with the nodes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { authConfigHeader } from '../../src/docker/registry/credential.js';
import { assertNoStreamError, dockerRequest } from './docker-socket.js';
import { run, SYSTEM_PATH } from './exec.js';
import type { Fleet, FleetNode } from './fleet.js';
import { isAlive } from './procs.js';

export const REGISTRY_PORT = 5443;

export interface RegistryOptions {
  /** The node whose namespace and address the registry lives on (default the first). */
  node?: string;
  /** htpasswd users: name to password; none: an anonymous registry (no auth at all). */
  users?: Record<string, string>;
  port?: number;
}

export interface TestRegistry {
  /** `<address>:<port>`, the registry part of an image reference. */
  readonly host: string;
  readonly node: FleetNode;
  /** The CA (= server) certificate, PEM. */
  readonly caCert: string;
  /** `<host>/<repository>:<tag>`. */
  ref(repository: string, tag: string): string;
  /**
   * Pushes `localImage` (present on `via`) as `<host>/<repository>:<tag>` with the given
   * user's credentials, then drops that tag from `via` so that `via` pulls it like the others.
   */
  push(via: FleetNode, localImage: string, repository: string, tag: string, user?: string): Promise<void>;
  /** Whether the registry's API answers (with any status). */
  answers(): Promise<boolean>;
  /** SIGKILLs the registry; `start()` brings it back on the same address and storage. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Kills it and removes its certificate from certs.d. Idempotent. */
  stop(): Promise<void>;
}

/** The X-Registry-Auth header Docker's API takes: padded base64url of the auth config JSON. */
export function registryAuthHeader(username: string, password: string, serveraddress: string): string {
  return authConfigHeader({ username, password, serveraddress });
}

export async function startRegistry(fleet: Fleet, options: RegistryOptions): Promise<TestRegistry> {
  const node = options.node ? fleet.node(options.node) : (fleet.nodes[0] as FleetNode);
  const port = options.port ?? REGISTRY_PORT;
  const host = `${node.address}:${port}`;
  const dir = join(fleet.dir, 'registry');
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${node.address}`, '-addext', `subjectAltName=IP:${node.address}`, '-keyout', keyFile, '-out', certFile]);
  const users = options.users ?? {};
  const htpasswd = join(dir, 'htpasswd');
  let first = true;
  for (const [user, password] of Object.entries(users)) {
    await run('htpasswd', [first ? '-Bbc' : '-Bb', htpasswd, user, password]);
    first = false;
  }
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, stringify({
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'storage') }, delete: { enabled: true } },
    http: { addr: host, tls: { certificate: certFile, key: keyFile } },
    ...(Object.keys(users).length > 0 ? { auth: { htpasswd: { realm: 'flotilla-test', path: htpasswd } } } : {}),
  }));
  const caCert = readFileSync(certFile, 'utf8');
  const certsDir = `/etc/docker/certs.d/${host}`;
  mkdirSync(certsDir, { recursive: true });
  writeFileSync(join(certsDir, 'ca.crt'), caCert);

  let child: ChildProcess | undefined;
  const answers = (): Promise<boolean> =>
    new Promise((resolve) => {
      const req = request({ host: node.address, port, path: '/v2/', ca: caCert, timeout: 1_000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
      req.end();
    });
  const start = async (): Promise<void> => {
    const log = openSync(join(dir, 'registry.log'), 'a');
    try {
      child = spawn('nsenter', [`--net=/var/run/netns/${node.netns}`, 'docker-registry', 'serve', configFile], { stdio: ['ignore', log, log], env: { PATH: SYSTEM_PATH } });
    } finally {
      closeSync(log);
    }
    child.on('error', () => undefined);
    const deadline = Date.now() + 15_000;
    while (!(await answers())) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`the registry on ${host} did not come up: ${readFileSync(join(dir, 'registry.log'), 'utf8').slice(-2_000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async (): Promise<void> => {
    const pid = child?.pid;
    if (pid === undefined) return;
    child?.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child = undefined;
  };
  await start();
  let stopped = false;
  return {
    host,
    node,
    caCert,
    ref: (repository, tag) => `${host}/${repository}:${tag}`,
    answers,
    kill,
    start,
    async push(via, localImage, repository, tag, user) {
      const password = user === undefined ? undefined : users[user];
      if (user !== undefined && password === undefined) throw new Error(`no registry user ${user}`);
      const target = `${host}/${repository}`;
      const tagged = await dockerRequest({ socketPath: via.socketPath, method: 'POST', path: `/images/${localImage}/tag?${new URLSearchParams({ repo: target, tag })}` });
      if (tagged.status !== 201) throw new Error(`tag ${localImage} as ${target}:${tag}: HTTP ${tagged.status}: ${tagged.body}`);
      const pushed = await dockerRequest({
        socketPath: via.socketPath,
        method: 'POST',
        path: `/images/${target}/push?${new URLSearchParams({ tag })}`,
        headers: { 'X-Registry-Auth': user !== undefined && password !== undefined ? registryAuthHeader(user, password, host) : authConfigHeader({}) },
        timeoutMs: 120_000,
      });
      if (pushed.status !== 200) throw new Error(`push of ${target}:${tag}: HTTP ${pushed.status}: ${pushed.body}`);
      assertNoStreamError(pushed.body, `push of ${target}:${tag}`);
      const untagged = await dockerRequest({ socketPath: via.socketPath, method: 'DELETE', path: `/images/${target}:${tag}` });
      if (untagged.status !== 200) throw new Error(`untag ${target}:${tag}: HTTP ${untagged.status}: ${untagged.body}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill();
      rmSync(certsDir, { recursive: true, force: true });
    },
  };
}
