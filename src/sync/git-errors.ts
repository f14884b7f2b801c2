// Typed errors of the Git source. The reconciler decides by `code` (unreachable: keep the
// cluster where it is and retry; auth: alert, retrying will not help; ref missing: the
// config is wrong), and people read `message`. No message ever carries the token: URLs are
// shown without credentials and any text that came from elsewhere is scrubbed.

export type GitErrorCode = 'GIT_AUTH' | 'GIT_UNREACHABLE' | 'GIT_REPO_NOT_FOUND' | 'GIT_REF_NOT_FOUND' | 'GIT_CORRUPT_CACHE' | 'DISK_FULL';

export abstract class GitSourceError extends Error {
  abstract readonly code: GitErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server said 401/403: the token is missing, wrong, expired or lacks read access. */
export class GitAuthError extends GitSourceError {
  readonly code = 'GIT_AUTH' as const;
  constructor(readonly url: string, readonly status: number, hasToken: boolean) {
    super(
      hasToken
        ? `Git server refused the token for ${url} (HTTP ${status}). Check the token file (--git-token-file / FLOTILLA_GIT_TOKEN_FILE): the token may be wrong, expired, or lack read access to the repository.`
        : `Git server requires authentication for ${url} (HTTP ${status}). Provide a token with read access via --git-token-file or FLOTILLA_GIT_TOKEN_FILE.`,
    );
  }
}

/** Connection refused, DNS failure, timeout, reset, a 5xx or an answer that is not Git. */
export class GitUnreachableError extends GitSourceError {
  readonly code = 'GIT_UNREACHABLE' as const;
  constructor(readonly url: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`Git server at ${url} is unreachable: ${reason}. The last fetched commit stays in use; the fetch is retried on the next trigger.`, options);
  }
}

/** No repository there: HTTP 404 (hosts also answer 404 when the token cannot see it), or no such directory. */
export class GitRepoNotFoundError extends GitSourceError {
  readonly code = 'GIT_REPO_NOT_FOUND' as const;
  constructor(readonly url: string, detail = 'HTTP 404') {
    super(`No Git repository at ${url} (${detail}). Check --repo; for a private repository, check that the token can read it.`);
  }
}

/** The branch, ref or commit asked for does not exist (or no longer exists). */
export class GitRefNotFoundError extends GitSourceError {
  readonly code = 'GIT_REF_NOT_FOUND' as const;
  constructor(readonly where: string, readonly ref: string, detail?: string) {
    super(`${ref} not found in ${where}${detail ? `: ${detail}` : ''}.`);
  }
}

/** Internal: the bare clone cache cannot be read; the source deletes it and clones again. */
export class GitCorruptCacheError extends GitSourceError {
  readonly code = 'GIT_CORRUPT_CACHE' as const;
  constructor(readonly cacheDir: string, detail: string, options?: { cause?: unknown }) {
    super(`Git cache ${cacheDir} is unusable (${detail}); it will be cloned again.`, options);
  }
}

/** The disk under the Git cache (the state dir) is full: cloning again would only make it worse. */
export class GitDiskFullError extends GitSourceError {
  readonly code = 'DISK_FULL' as const;
  constructor(readonly cacheDir: string, options?: { cause?: unknown }) {
    super(`no space left on the disk of the Git cache ${cacheDir} (ENOSPC); free space or grow the state dir's disk. The last fetched commit stays in use; the fetch is retried on the next trigger.`, options);
  }
}

export function isGitSourceError(err: unknown): err is GitSourceError {
  return err instanceof GitSourceError;
}

/**
 * A URL fit for logs: no user name or password, no query string or fragment (some hosts
 * accept `?private_token=`). Falls back to a placeholder when it cannot be parsed, since
 * echoing an unparseable string could echo a secret.
 */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** Replaces every occurrence of each secret (and its URL-encoded form) in `text`. */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      out = out.split(form).join('[redacted]');
    }
  }
  return out;
}

// Node's socket error codes that mean "could not talk to the server", as opposed to
// "the server answered something we did not like".
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'ECONNABORTED', 'EPROTO', 'ERR_SOCKET_CONNECTION_TIMEOUT',
  'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'GIT_HTTP_REDIRECT', 'ABORT_ERR',
]);

export interface ClassifyContext {
  /** Redacted URL of the remote. */
  url: string;
  hasToken: boolean;
  /** Strings that must not appear in a message: the token, the Basic header value. */
  secrets: readonly string[];
  /** The ref the operation asked the server for (e.g. refs/heads/main). */
  ref: string;
}

/**
 * Maps an error from isomorphic-git or the HTTP client to a typed error, or returns
 * undefined when it is none of the known remote conditions (the caller then suspects the
 * cache and clones again).
 */
export function classifyRemoteError(err: unknown, ctx: ClassifyContext): GitSourceError | undefined {
  if (err instanceof GitSourceError) return err;
  const e = err as { code?: unknown; message?: unknown; data?: { statusCode?: number; what?: string }; cause?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const text = typeof e?.message === 'string' ? e.message : String(err);
  // "aborted" alone says little; "ECONNRESET: aborted" says what happened.
  const message = scrub(code && !text.includes(code) ? `${code}: ${text}` : text, ctx.secrets);
  if (NETWORK_CODES.has(code) || (e?.cause && NETWORK_CODES.has(String((e.cause as { code?: unknown }).code)))) {
    return new GitUnreachableError(ctx.url, message, { cause: err });
  }
  if (code === 'HttpError') {
    const status = e.data?.statusCode ?? 0;
    if (status === 401 || status === 403 || status === 203) return new GitAuthError(ctx.url, status, ctx.hasToken);
    if (status === 404) return new GitRepoNotFoundError(ctx.url);
    return new GitUnreachableError(ctx.url, `HTTP ${status}`, { cause: err });
  }
  // A body that is no pkt-line stream (a proxy's page, a truncated answer) is the server's fault, not the cache's.
  if (code === 'EmptyServerResponseError' || code === 'ParseError' || code === 'UnknownTransportError') {
    return new GitUnreachableError(ctx.url, `the server's answer is not Git smart-HTTP (${message})`, { cause: err });
  }
  if (code === 'SmartHttpError') return new GitUnreachableError(ctx.url, 'the server did not answer as a Git smart-HTTP server', { cause: err });
  if (code === 'RemoteCapabilityError') return new GitUnreachableError(ctx.url, message, { cause: err });
  // resolveAgainstMap says "Could not find <ref>" when the server does not advertise it.
  if (code === 'NotFoundError' && typeof e.data?.what === 'string' && refMatches(e.data.what, ctx.ref)) {
    return new GitRefNotFoundError(ctx.url, ctx.ref, 'the server does not have it');
  }
  return undefined;
}

function refMatches(what: string, ref: string): boolean {
  return what === ref || `refs/heads/${what}` === ref || what === ref.replace(/^refs\/heads\//, '');
}
