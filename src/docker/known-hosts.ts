// Host key verification for ssh:// nodes against an OpenSSH known_hosts file. ssh2 (under
// docker-modem) accepts any host key unless given a verifier, which would let anyone on
// the path impersonate a node and receive every container spec, env secrets included.
// Supported: plain and hashed (|1|salt|hash) host names, [host]:port, comma lists, * and ?
// wildcards, !negation and @revoked. @cert-authority lines are ignored (no certificates).
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

interface Entry {
  patterns: string[];
  revoked: boolean;
  key: Buffer;
}

export function parseKnownHosts(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]?.startsWith('@')) marker = fields.shift();
    if (marker === '@cert-authority') continue;
    const [hosts, , key] = fields;
    if (hosts === undefined || key === undefined) continue;
    out.push({ patterns: hosts.split(','), revoked: marker === '@revoked', key: Buffer.from(key, 'base64') });
  }
  return out;
}

/** The name known_hosts uses for a host: bare on port 22, "[host]:port" otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return globMatch(pattern, name);
}

function entryMatches(entry: Entry, name: string): boolean {
  let matched = false;
  for (const p of entry.patterns) {
    if (p.startsWith('!')) {
      if (patternMatches(p.slice(1), name)) return false;
    } else if (patternMatches(p, name)) {
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict = 'known' | 'unknown-host' | 'mismatch' | 'revoked';

export function checkHostKey(entries: readonly Entry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostName(host, port);
  const mine = entries.filter((e) => entryMatches(e, name));
  if (mine.some((e) => e.revoked && e.key.equals(key))) return 'revoked';
  const listed = mine.filter((e) => !e.revoked);
  if (listed.some((e) => e.key.equals(key))) return 'known';
  return listed.length === 0 ? 'unknown-host' : 'mismatch';
}

/**
 * A verifier for ssh2's `hostVerifier`, reading the file at each connection so that an
 * operator's `ssh-keyscan >> known_hosts` takes effect without a restart. `onReject` gets
 * the reason, for the error message.
 */
export function hostVerifier(file: string, host: string, port: number, onReject: (reason: string) => void): (key: Buffer) => boolean {
  return (key) => {
    let entries: Entry[];
    try {
      entries = parseKnownHosts(readFileSync(file, 'utf8'));
    } catch (err) {
      onReject(`known_hosts file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return false;
    }
    const verdict = checkHostKey(entries, host, port, key);
    const name = knownHostName(host, port);
    if (verdict === 'unknown-host') onReject(`${name} is not in ${file}; after checking its fingerprint, add it with \`ssh-keyscan -p ${port} ${host} >> ${file}\``);
    if (verdict === 'mismatch') onReject(`the host key of ${name} differs from the one in ${file}: the host was reinstalled or someone is impersonating it`);
    if (verdict === 'revoked') onReject(`the host key of ${name} is marked @revoked in ${file}`);
    return verdict === 'known';
  };
}
