// Turns a node's `endpoint` (+ optional TLS files) from cluster.yaml into connection options,
// in dockerode's shape: node:http reads the socket path, host, port and TLS material from them
// and ssh:// nodes hand them to dockerode as they are. Every key is set explicitly, even to
// undefined: docker-modem merges DOCKER_HOST, DOCKER_CERT_PATH and DOCKER_CLIENT_TIMEOUT from
// the environment under whatever it is given, and a DOCKER_HOST=tcp://... there would
// otherwise silently redirect the node.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type Dockerode from 'dockerode';
import type { TlsFiles } from '../manifests/model.js';
import { EndpointError } from './errors.js';
import { hostVerifier } from './known-hosts.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_PULL_TIMEOUT_MS = 10 * 60_000;
/**
 * Docker answers a pull (its first progress line) once it has reached the registry and read
 * the manifest: well under a second for a reachable registry. Until then it may be waiting on
 * a DNS lookup or a connection that will time out only after 20 s or more, so a pull without
 * an answer by this bound is failed as an unreachable registry.
 */
export const DEFAULT_PULL_ANSWER_TIMEOUT_MS = 10_000;

export interface EndpointOptions {
  tls?: TlsFiles;
  /** Relative TLS paths are resolved from here (the config repo checkout); default cwd. */
  baseDir?: string;
  /** Bound on every API call except pulls. */
  timeoutMs?: number;
  /** Bound on a whole image pull. */
  pullTimeoutMs?: number;
  /** Bound on the wait for Docker's first answer to a pull (see DEFAULT_PULL_ANSWER_TIMEOUT_MS). */
  pullAnswerTimeoutMs?: number;
  /** For ssh://: private key file; default SSH_AUTH_SOCK's agent, else ~/.ssh/id_ed25519|id_ecdsa|id_rsa. */
  sshKeyFile?: string;
  /** For ssh://: the host must be listed here with its key; default ~/.ssh/known_hosts. */
  sshKnownHostsFile?: string;
  /** Environment to read SSH_AUTH_SOCK and HOME from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface NodeConnection {
  kind: 'unix' | 'tcp' | 'ssh';
  /** The endpoint as written, for messages (no secrets: TLS material is never in it). */
  endpoint: string;
  docker: Dockerode.DockerOptions;
  timeoutMs: number;
  pullTimeoutMs: number;
  pullAnswerTimeoutMs: number;
  /** ssh only: why the last host key was refused, for the error message. */
  hostKeyRejection?: { reason?: string };
  /** tcp:// with tls only: the files, parsed once when the endpoint is read (see readTls). */
  secureContext?: SecureContext;
}

// The keys docker-modem would otherwise take from the environment.
const BLANK: Dockerode.DockerOptions = {
  socketPath: undefined,
  host: undefined,
  port: undefined,
  protocol: undefined,
  username: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
  timeout: undefined,
  sshOptions: undefined,
};

export function parseEndpoint(node: string, endpoint: string, options: EndpointOptions = {}): NodeConnection {
  const timeoutMs = positive(node, endpoint, 'timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const pullTimeoutMs = positive(node, endpoint, 'pullTimeoutMs', options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS);
  const pullAnswerTimeoutMs = positive(node, endpoint, 'pullAnswerTimeoutMs', options.pullAnswerTimeoutMs ?? DEFAULT_PULL_ANSWER_TIMEOUT_MS);
  const base = { endpoint, timeoutMs, pullTimeoutMs, pullAnswerTimeoutMs };
  const scheme = /^([a-z]+):\/\//.exec(endpoint)?.[1];
  if (scheme === 'unix') {
    const socketPath = endpoint.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new EndpointError(node, endpoint, 'a unix endpoint needs an absolute socket path, as in unix:///var/run/docker.sock');
    if (options.tls) throw new EndpointError(node, endpoint, 'tls applies to tcp:// endpoints only');
    return { ...base, kind: 'unix', docker: { ...BLANK, socketPath } };
  }
  if (scheme === 'tcp') {
    const url = parseUrl(node, endpoint);
    if (url.port === '') throw new EndpointError(node, endpoint, 'a tcp endpoint needs a port, as in tcp://10.0.0.5:2376');
    if (url.pathname !== '/' && url.pathname !== '') throw new EndpointError(node, endpoint, 'a tcp endpoint has no path');
    const docker: Dockerode.DockerOptions = { ...BLANK, host: stripBrackets(url.hostname), port: Number(url.port), protocol: 'http' };
    if (!options.tls) return { ...base, kind: 'tcp', docker };
    const { files, secureContext } = readTls(node, endpoint, options.tls, options.baseDir ?? process.cwd());
    return { ...base, kind: 'tcp', docker: { ...docker, ...files }, secureContext };
  }
  if (scheme === 'ssh') {
    if (options.tls) throw new EndpointError(node, endpoint, 'tls applies to tcp:// endpoints only; ssh is encrypted already');
    const url = parseUrl(node, endpoint);
    if (url.username === '') throw new EndpointError(node, endpoint, 'an ssh endpoint needs a user, as in ssh://deploy@host');
    if (url.password !== '') throw new EndpointError(node, endpoint, 'put no password in the endpoint; use an ssh agent or key file');
    const env = options.env ?? process.env;
    const host = stripBrackets(url.hostname);
    const port = url.port === '' ? 22 : Number(url.port);
    const hostKeyRejection: { reason?: string } = {};
    const knownHosts = options.sshKnownHostsFile ?? join(env.HOME ?? homedir(), '.ssh', 'known_hosts');
    const sshOptions: NonNullable<Dockerode.DockerOptions['sshOptions']> = {
      readyTimeout: timeoutMs,
      hostVerifier: hostVerifier(knownHosts, host, port, (reason) => (hostKeyRejection.reason = reason)),
    };
    const keyFile = options.sshKeyFile ?? (env.SSH_AUTH_SOCK ? undefined : defaultKeyFile(env));
    if (env.SSH_AUTH_SOCK) sshOptions.agent = env.SSH_AUTH_SOCK;
    if (keyFile !== undefined) sshOptions.privateKey = readFile(node, endpoint, 'ssh key', keyFile);
    if (sshOptions.agent === undefined && sshOptions.privateKey === undefined) {
      throw new EndpointError(node, endpoint, 'no ssh credentials: start an ssh agent (SSH_AUTH_SOCK) or provide a key in ~/.ssh');
    }
    // docker-modem runs `docker system dial-stdio` over the ssh session, so the remote user
    // needs the docker CLI and access to the daemon, as with `docker -H ssh://...`.
    const docker: Dockerode.DockerOptions = {
      ...BLANK,
      protocol: 'ssh',
      host,
      port,
      username: decodeURIComponent(url.username),
      sshOptions,
    };
    return { ...base, kind: 'ssh', docker, hostKeyRejection };
  }
  throw new EndpointError(node, endpoint, 'use unix:///path/to/docker.sock, tcp://host:port or ssh://user@host');
}

function parseUrl(node: string, endpoint: string): URL {
  try {
    return new URL(endpoint);
  } catch (cause) {
    throw new EndpointError(node, endpoint, 'it is not a valid URL', { cause });
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function positive(node: string, endpoint: string, what: string, n: number): number {
  if (!Number.isFinite(n) || n <= 0) throw new EndpointError(node, endpoint, `${what} must be a positive number of milliseconds, not ${n}`);
  return n;
}

type TlsOptions = Pick<Dockerode.DockerOptions, 'ca' | 'cert' | 'key' | 'protocol'>;

function readTls(node: string, endpoint: string, tls: TlsFiles, baseDir: string): { files: TlsOptions; secureContext: SecureContext } {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new EndpointError(node, endpoint, 'tls.cert and tls.key go together: give both for a client certificate, or neither');
  }
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const out: TlsOptions = { protocol: 'https' };
  if (tls.ca !== undefined) out.ca = readFile(node, endpoint, 'tls.ca', at(tls.ca));
  if (tls.cert !== undefined) out.cert = readFile(node, endpoint, 'tls.cert', at(tls.cert));
  if (tls.key !== undefined) out.key = readFile(node, endpoint, 'tls.key', at(tls.key));
  // Parsed now and once: a key that does not match its certificate or a file that is not PEM
  // is an error of the endpoint at load time, not of the first request, and every connection
  // of the node reuses the context.
  try {
    return { files: out, secureContext: createSecureContext({ ca: out.ca, cert: out.cert, key: out.key }) };
  } catch (cause) {
    const reason = (cause as { reason?: unknown }).reason;
    throw new EndpointError(node, endpoint, `the tls files cannot be used together: ${typeof reason === 'string' ? reason : (cause as Error).message}`, { cause });
  }
}

function readFile(node: string, endpoint: string, what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new EndpointError(node, endpoint, `${what} file ${path} cannot be read (${code})`, { cause });
  }
}

function defaultKeyFile(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME ?? homedir();
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(home, '.ssh', f)).find((p) => existsSync(p));
}
