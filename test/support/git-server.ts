// A real Git smart-HTTP server for tests, on 127.0.0.1: Node's http server in front of
// `git http-backend`, with optional token auth, and helpers to create repositories and
// commit to them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { serveGitCgi } from './git-cgi.js';
import { commitFiles, gitEnv, type CommitOptions, type FileChanges } from './git-workcopy.js';

export interface GitServerOptions {
  /** When set, every request needs it: Basic auth with it as password (any user), or Bearer. */
  token?: string;
  /** Allow `git push` over HTTP (off by default, as on a read-only mirror). */
  receivePack?: boolean;
}

/** How the server misbehaves, for chaos tests: answer garbage, or answer only after a delay. */
export type GitFault = { kind: 'garbage' } | { kind: 'slow'; delayMs: number };

export interface GitRequest {
  method: string;
  path: string;
  status: number;
  user?: string;
}

const REALM = 'flotilla-test-git';
const live = new Set<GitServer>();

function credentials(req: IncomingMessage): { user: string; secret: string } | undefined {
  const header = req.headers.authorization ?? '';
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return { user: 'bearer', secret: value };
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return { user: decoded, secret: '' };
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  // Some hosts take the token as the user name with an empty password.
  return { user, secret: password === '' ? user : password };
}

export class GitServer {
  readonly root: string;
  readonly requests: GitRequest[] = [];
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  private portNumber = 0;
  private queues = new Map<string, Promise<unknown>>();
  private fault: GitFault | undefined;

  constructor(private readonly opts: GitServerOptions = {}) {
    this.root = mkdtempSync('/tmp/flotilla-git-');
    live.add(this);
  }

  get port(): number {
    return this.portNumber;
  }

  /** Clone URL of a repository (without credentials). */
  url(name: string): string {
    return `http://127.0.0.1:${this.portNumber}/${name}.git`;
  }

  /** Clone URL with the token embedded, for the git CLI. */
  authUrl(name: string): string {
    if (this.opts.token === undefined) return this.url(name);
    return `http://token:${encodeURIComponent(this.opts.token)}@127.0.0.1:${this.portNumber}/${name}.git`;
  }

  repoPath(name: string): string {
    return join(this.root, 'repos', `${name}.git`);
  }

  async createRepo(name: string): Promise<void> {
    if (!/^[\w.-]+(\/[\w.-]+)*$/.test(name)) throw new Error(`invalid repo name ${JSON.stringify(name)}`);
    const path = this.repoPath(name);
    const env = gitEnv(join(this.root, 'home'));
    await run('git', ['init', '-q', '--bare', path], { env });
    // Without HEAD naming the branch in use, isomorphic-git's clone fails ("Could not find HEAD").
    await run('git', ['-C', path, 'symbolic-ref', 'HEAD', 'refs/heads/main'], { env });
  }

  /** Commits (null deletes a file) and pushes; resolves with the new commit's sha. */
  commitFiles(repo: string, files: FileChanges, message: string, opts: CommitOptions = {}): Promise<string> {
    const wc = { dir: join(this.root, 'work', repo), bareRepo: this.repoPath(repo), home: join(this.root, 'home') };
    // One working copy per repo: calls on the same repo must not interleave.
    const previous = this.queues.get(repo) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => commitFiles(wc, files, message, opts));
    this.queues.set(repo, next);
    return next;
  }

  /** The sha a branch of a repository points at. */
  async head(repo: string, branch = 'main'): Promise<string> {
    const { stdout } = await run('git', ['-C', this.repoPath(repo), 'rev-parse', `refs/heads/${branch}`], { env: gitEnv(join(this.root, 'home')) });
    return stdout.trim();
  }

  /** Starts listening; after a stop(), on the same port again. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** From now on every request meets `fault`; undefined serves normally again. */
  setFault(fault: GitFault | undefined): void {
    this.fault = fault;
  }

  /** Stops listening and drops open connections; repositories stay. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Stops and deletes the repositories. Idempotent. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
    live.delete(this);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const entry: GitRequest = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    this.requests.push(entry);
    const fault = this.fault;
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.kind === 'garbage') {
      entry.status = 200;
      req.resume();
      // What a broken proxy or a truncated cache might send: the right content type, bytes that are no pkt-line.
      res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement' }).end(Buffer.from('zz\u0000\u00ff<html>garbage</html>\n'.repeat(64)));
      return;
    }
    let remoteUser: string | undefined;
    if (this.opts.token !== undefined) {
      const cred = credentials(req);
      if (!cred || cred.secret !== this.opts.token) {
        entry.status = 401;
        req.resume();
        res.writeHead(401, { 'WWW-Authenticate': `Basic realm="${REALM}"`, 'Content-Type': 'text/plain' }).end('authentication required\n');
        return;
      }
      remoteUser = cred.user;
      entry.user = cred.user;
    }
    entry.status = await serveGitCgi(req, res, {
      projectRoot: join(this.root, 'repos'),
      receivePack: this.opts.receivePack ?? false,
      ...(remoteUser !== undefined ? { remoteUser } : {}),
    });
  }
}

export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const server = new GitServer(opts);
  await server.start();
  return server;
}

process.on('exit', () => {
  for (const server of live) rmSync(server.root, { recursive: true, force: true });
});
