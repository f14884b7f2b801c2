// Certificates for TLS tests, made with the openssl CLI at test time (node:crypto makes keys
// but not X.509 certificates): a CA, a server certificate it signs for 127.0.0.1, a client
// certificate it signs, and an unrelated CA that trusts none of them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  /** Paths, as cluster.yaml's `tls:` names them. */
  files: { ca: string; cert: string; key: string; otherCa: string };
  server: { key: Buffer; cert: Buffer; ca: Buffer };
  remove(): void;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-tls-'));
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string): void => {
    openssl('req', '-x509', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '1', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  };
  const signed = (name: string, cn: string, extensions: string, serial: string): void => {
    writeFileSync(at(`${name}.ext`), extensions);
    openssl('req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial, '-days', '1', '-out', `${name}.pem`, '-extfile', `${name}.ext`);
  };
  ca('ca');
  ca('other-ca');
  signed('server', 'docker-node', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n', '1');
  signed('client', 'flotilla-client', 'extendedKeyUsage=clientAuth\n', '2');
  return {
    dir,
    files: { ca: at('ca.pem'), cert: at('client.pem'), key: at('client.key'), otherCa: at('other-ca.pem') },
    server: { key: readFileSync(at('server.key')), cert: readFileSync(at('server.pem')), ca: readFileSync(at('ca.pem')) },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
