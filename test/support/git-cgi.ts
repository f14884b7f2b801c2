// Runs `git http-backend` as a CGI program for one HTTP request: the real smart-HTTP server
// side of git, so clients under test talk to the same protocol implementation as on a
// real Git host.
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SYSTEM_PATH } from './exec.js';

export interface CgiOptions {
  projectRoot: string;
  receivePack: boolean;
  remoteUser?: string;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function cgiEnv(req: IncomingMessage, opts: CgiOptions): NodeJS.ProcessEnv {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env: NodeJS.ProcessEnv = {
    PATH: SYSTEM_PATH,
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    GIT_PROJECT_ROOT: opts.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: headerValue(req, 'content-type') ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  const length = headerValue(req, 'content-length');
  if (length !== undefined) env.CONTENT_LENGTH = length;
  // http-backend inflates gzip request bodies itself when told the encoding.
  const encoding = headerValue(req, 'content-encoding');
  if (encoding !== undefined) env.HTTP_CONTENT_ENCODING = encoding;
  // Passed on so that clients asking for wire protocol v2 get it, as from a real host.
  const protocol = headerValue(req, 'git-protocol');
  if (protocol !== undefined) env.GIT_PROTOCOL = protocol;
  if (opts.remoteUser !== undefined) env.REMOTE_USER = opts.remoteUser;
  // Always explicit: left unset, http-backend allows pushes from any authenticated user.
  env.GIT_CONFIG_COUNT = '1';
  env.GIT_CONFIG_KEY_0 = 'http.receivepack';
  env.GIT_CONFIG_VALUE_0 = String(opts.receivePack);
  return env;
}

function findHeaderEnd(buf: Buffer): { end: number; sepLength: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return undefined;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { end: crlf, sepLength: 4 };
  return { end: lf, sepLength: 2 };
}

/** Answers `req` with the output of git http-backend; resolves with the HTTP status sent. */
export function serveGitCgi(req: IncomingMessage, res: ServerResponse, opts: CgiOptions): Promise<number> {
  return new Promise((resolve) => {
    // The client may be gone already (a 'slow' fault serves only after its fetch timed out):
    // http-backend would wait for a body that never comes.
    if (req.destroyed || res.destroyed) {
      resolve(499);
      return;
    }
    const child = spawn('git', ['http-backend'], { env: cgiEnv(req, opts), stdio: ['pipe', 'pipe', 'pipe'] });
    let head = Buffer.alloc(0);
    let headersSent = false;
    let status = 200;
    const stderr: Buffer[] = [];

    const fail = (message: string): void => {
      if (headersSent) {
        res.destroy();
      } else {
        headersSent = true;
        status = 500;
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`git http-backend: ${message}\n`);
      }
    };

    req.pipe(child.stdin);
    // A client that hangs up mid-request (a fetch timeout, or stop() destroying the sockets)
    // leaves http-backend waiting for the rest of its body forever; that child would keep the
    // test process alive after its tests ended (seen on CI: an upload-pack POST from the first
    // seconds of the chaos suite, still sleeping 25 minutes later).
    res.on('close', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    // The client may hang up, or http-backend may answer without reading the whole body.
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (err) => fail(err.message));

    const onHeaderData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const sep = findHeaderEnd(head);
      if (!sep) return;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, sep.end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
        else headers[name] = value;
      }
      headersSent = true;
      res.writeHead(status, headers);
      const rest = head.subarray(sep.end + sep.sepLength);
      if (rest.length > 0) res.write(rest);
      // From here on the body streams through with backpressure (packfiles can be large).
      child.stdout.off('data', onHeaderData);
      child.stdout.pipe(res, { end: false });
    };
    child.stdout.on('data', onHeaderData);

    child.on('close', (code) => {
      if (!headersSent) fail(`exited with ${code} before sending headers: ${Buffer.concat(stderr).toString('utf8').trim()}`);
      else res.end();
      resolve(status);
    });
  });
}
