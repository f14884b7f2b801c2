// Registry credentials: which registry an image comes from (Docker Hub's aliases), the files
// credentials are read from (Docker config.json and plain files), credential helpers run as
// the Docker CLI runs them (a real program here, with its timeout), the order in which the
// resolver looks, and what the X-Registry-Auth header carries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeRegistryHost, registryHostOf, serverAddressOf } from '../../../src/docker/registry/image-host.js';
import { CredentialFileError, parseCredentialFile, parseDockerConfig } from '../../../src/docker/registry/credential-file.js';
import { credentialFromHelper, CredentialHelperError, runHelperProcess, type HelperRunner } from '../../../src/docker/registry/credential-helper.js';
import { RegistryAuthError, RegistryAuthResolver } from '../../../src/docker/registry/auth-resolver.js';
import { classifyPullFailure } from '../../../src/docker/registry/pull-failure.js';
import { registryAuthHeader } from '../../../src/docker/registry/credential.js';

const decode = (header: string | undefined): unknown => JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8'));
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('image registry host', () => {
  it('is Docker Hub for names without a host part, and for every alias of it', () => {
    for (const image of ['nginx', 'nginx:1.27', 'team/app:2', 'docker.io/library/nginx', 'index.docker.io/team/app:1', 'registry-1.docker.io/team/app@sha256:' + 'a'.repeat(64)]) {
      assert.equal(registryHostOf(image), 'docker.io', image);
    }
  });
  it('is the first part when it has a dot, a port or is localhost', () => {
    assert.equal(registryHostOf('ghcr.io/acme/api:1'), 'ghcr.io');
    assert.equal(registryHostOf('Registry.Example.com:5000/team/app:2'), 'registry.example.com:5000');
    assert.equal(registryHostOf('localhost/app'), 'localhost');
    assert.equal(registryHostOf('10.0.0.5:5443/app:v1'), '10.0.0.5:5443');
  });
  it('normalizes hosts as written in cluster.yaml and config.json keys', () => {
    assert.equal(normalizeRegistryHost('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normalizeRegistryHost('https://ghcr.io'), 'ghcr.io');
    assert.equal(normalizeRegistryHost('reg.example.com:5000/v2/'), 'reg.example.com:5000');
    assert.equal(serverAddressOf('docker.io'), 'https://index.docker.io/v1/');
    assert.equal(serverAddressOf('ghcr.io'), 'ghcr.io');
  });
});

describe('credential files', () => {
  it('reads a Docker config.json: auth, username/password, identitytoken, registrytoken, helpers', () => {
    const config = parseDockerConfig(JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass:with:colons') },
        'ghcr.io': { username: 'octo', password: 'ghp_token123' },
        'https://acr.example.io': { auth: b64('00000000-0000-0000-0000-000000000000:'), identitytoken: 'refresh-abc' },
        'bearer.example.io': { registrytoken: 'bearer-xyz' },
        'helped.example.io': {},
      },
      credsStore: 'desktop',
      credHelpers: { '123.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login' },
    }), 'config.json');
    assert.deepEqual(config.auths.get('docker.io'), { kind: 'basic', username: 'hubuser', password: 'hub:pass:with:colons' });
    assert.deepEqual(config.auths.get('ghcr.io'), { kind: 'basic', username: 'octo', password: 'ghp_token123' });
    assert.deepEqual(config.auths.get('acr.example.io'), { kind: 'identity-token', token: 'refresh-abc', username: '00000000-0000-0000-0000-000000000000' });
    assert.deepEqual(config.auths.get('bearer.example.io'), { kind: 'registry-token', token: 'bearer-xyz' });
    assert.equal(config.auths.get('helped.example.io'), undefined);
    assert.equal(config.credsStore, 'desktop');
    assert.equal(config.credHelpers.get('123.dkr.ecr.eu-west-1.amazonaws.com'), 'ecr-login');
  });

  it('reads plain credential files: JSON, YAML, a token for a username, a user:password line', () => {
    assert.deepEqual(parseCredentialFile('{"username":"ci","password":"p4ss-word"}', 'f'), { kind: 'credential', credential: { kind: 'basic', username: 'ci', password: 'p4ss-word' } });
    assert.deepEqual(parseCredentialFile('username: gitlab+deploy-token-1\ntoken: gldt-abc\n', 'f'), { kind: 'credential', credential: { kind: 'basic', username: 'gitlab+deploy-token-1', password: 'gldt-abc' } });
    assert.deepEqual(parseCredentialFile('{"identitytoken":"idt"}', 'f'), { kind: 'credential', credential: { kind: 'identity-token', token: 'idt' } });
    assert.deepEqual(parseCredentialFile('robot$ci:s3cr3t:x\n', 'f'), { kind: 'credential', credential: { kind: 'basic', username: 'robot$ci', password: 's3cr3t:x' } });
    assert.equal(parseCredentialFile('{"auths":{}}', 'f').kind, 'docker-config');
  });

  it('refuses unusable files without quoting their content', () => {
    const secret = 'hunter2-do-not-print';
    for (const content of [`{"password":"${secret}"}`, `{"username": "x", "password": ${secret}`, `just ${secret} words`, `{"auths": {"h": {"auth": "${b64(secret)}"}}}`, `{"credsStore": "../../bin/sh ${secret}"}`]) {
      assert.throws(() => parseCredentialFile(content, '/etc/flotilla/reg.json'), (err: unknown) => {
        assert.ok(err instanceof CredentialFileError, String(err));
        assert.match(err.message, /\/etc\/flotilla\/reg\.json/);
        assert.ok(!err.message.includes(secret), err.message);
        return true;
      }, content);
    }
  });
});

describe('credential helpers', () => {
  it('asks `docker-credential-<name> get` with the server on stdin; <token> means an identity token; "not found" is no credential', async () => {
    const calls: Array<[string, string]> = [];
    const answers: Record<string, Awaited<ReturnType<HelperRunner>>> = {
      'ghcr.io': { code: 0, stdout: '{"ServerURL":"ghcr.io","Username":"octo","Secret":"s3cret"}', stderr: '', timedOut: false },
      'acr.io': { code: 0, stdout: '{"ServerURL":"acr.io","Username":"<token>","Secret":"refresh"}', stderr: '', timedOut: false },
      'none.io': { code: 1, stdout: 'credentials not found in native keychain\n', stderr: '', timedOut: false },
    };
    const run: HelperRunner = async (program, input) => {
      calls.push([program, input]);
      return answers[input] as Awaited<ReturnType<HelperRunner>>;
    };
    assert.deepEqual(await credentialFromHelper('pass', 'ghcr.io', run), { kind: 'basic', username: 'octo', password: 's3cret' });
    assert.deepEqual(await credentialFromHelper('pass', 'acr.io', run), { kind: 'identity-token', token: 'refresh' });
    assert.equal(await credentialFromHelper('pass', 'none.io', run), undefined);
    assert.deepEqual(calls, [['docker-credential-pass', 'ghcr.io'], ['docker-credential-pass', 'acr.io'], ['docker-credential-pass', 'none.io']]);
  });

  it('runs a real helper program, and a hanging one is cut off at its timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cred-helper-'));
    const good = join(dir, 'docker-credential-good');
    writeFileSync(good, '#!/bin/sh\n[ "$1" = get ] || exit 2\nread server\nprintf \'{"ServerURL":"%s","Username":"u-%s","Secret":"pw"}\' "$server" "$server"\n');
    const slow = join(dir, 'docker-credential-slow');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(good, 0o755);
    chmodSync(slow, 0o755);
    const run: HelperRunner = (program, input, timeoutMs) => runHelperProcess(join(dir, program), input, timeoutMs);
    assert.deepEqual(await credentialFromHelper('good', 'reg.io', run), { kind: 'basic', username: 'u-reg.io', password: 'pw' });
    const started = Date.now();
    await assert.rejects(credentialFromHelper('slow', 'reg.io', run, 300), (err: unknown) => err instanceof CredentialHelperError && /did not answer within 0.3 s/.test(err.message));
    assert.ok(Date.now() - started < 5_000, 'bounded by the timeout');
    await assert.rejects(credentialFromHelper('missing', 'reg.io', run), (err: unknown) => err instanceof CredentialHelperError && /could not be run \(ENOENT\)/.test(err.message));
  });
});

describe('RegistryAuthResolver', () => {
  const files = (content: Record<string, string>) => async (path: string) => {
    const text = content[path];
    if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    return text;
  };

  it('uses the spec.registries file for its host first, then the Docker config: credHelpers, auths, credsStore', async () => {
    const helperCalls: string[] = [];
    const resolver = new RegistryAuthResolver({
      baseDir: '/etc/flotilla',
      dockerConfigFile: '/root/.docker/config.json',
      read: files({
        '/etc/flotilla/reg.json': '{"username":"from-spec","password":"spec-pw"}',
        '/root/.docker/config.json': JSON.stringify({ auths: { 'reg.example.com:5000': { auth: b64('from-config:cfg-pw') }, 'https://index.docker.io/v1/': { auth: b64('hub:hub-pw') }, 'helped.io': { auth: b64('ignored:x') } }, credHelpers: { 'helped.io': 'pass' }, credsStore: 'desktop' }),
      }),
      runHelper: async (program, server) => {
        helperCalls.push(`${program} ${server}`);
        return { code: 0, stdout: JSON.stringify({ Username: `${program}-user`, Secret: 'helper-pw' }), stderr: '', timedOut: false };
      },
    });
    const spec = [{ host: 'https://Reg.Example.com:5000', auth: { file: 'reg.json' } }];
    const fromSpec = await resolver.authFor('reg.example.com:5000', spec);
    assert.deepEqual(decode(fromSpec.header), { serveraddress: 'reg.example.com:5000', username: 'from-spec', password: 'spec-pw' });
    assert.equal(fromSpec.source, 'spec.registries auth.file /etc/flotilla/reg.json');
    assert.deepEqual(decode((await resolver.authFor('reg.example.com:5000', [])).header), { serveraddress: 'reg.example.com:5000', username: 'from-config', password: 'cfg-pw' });
    assert.deepEqual(decode((await resolver.authFor('docker.io', [])).header), { serveraddress: 'https://index.docker.io/v1/', username: 'hub', password: 'hub-pw' });
    assert.deepEqual(decode((await resolver.authFor('helped.io', [])).header), { serveraddress: 'helped.io', username: 'docker-credential-pass-user', password: 'helper-pw' });
    assert.deepEqual(decode((await resolver.authFor('other.io', [])).header), { serveraddress: 'other.io', username: 'docker-credential-desktop-user', password: 'helper-pw' });
    assert.deepEqual(helperCalls, ['docker-credential-pass helped.io', 'docker-credential-desktop other.io']);
  });

  it('pulls anonymously when nothing is configured (or the Docker config does not exist), and hands every secret to onSecret', async () => {
    const seen: string[] = [];
    const resolver = new RegistryAuthResolver({ baseDir: '/', dockerConfigFile: '/nowhere/config.json', read: files({ '/t.json': '{"identitytoken":"idt-123456"}' }), onSecret: (v) => seen.push(v) });
    assert.deepEqual(await resolver.authFor('ghcr.io', []), { registry: 'ghcr.io' });
    const auth = await resolver.authFor('ghcr.io', [{ host: 'ghcr.io', auth: { file: '/t.json' } }]);
    assert.deepEqual(decode(auth.header), { serveraddress: 'ghcr.io', identitytoken: 'idt-123456' });
    assert.deepEqual(seen, ['idt-123456', auth.header]);
  });

  it('an auth.file that cannot be read, or holds nothing for the host, is a RegistryAuthError naming the file', async () => {
    const resolver = new RegistryAuthResolver({ baseDir: '/etc/flotilla', read: files({ '/etc/flotilla/cfg.json': '{"auths":{"other.io":{"auth":"' + b64('a:b') + '"}}}' }) });
    await assert.rejects(resolver.authFor('ghcr.io', [{ host: 'ghcr.io', auth: { file: 'gone.json' } }]), (err: unknown) => err instanceof RegistryAuthError && /auth\.file \/etc\/flotilla\/gone\.json cannot be read \(ENOENT\)/.test(err.message));
    await assert.rejects(resolver.authFor('ghcr.io', [{ host: 'ghcr.io', auth: { file: 'cfg.json' } }]), (err: unknown) => err instanceof RegistryAuthError && /holds no credential for ghcr\.io/.test(err.message));
  });
});

describe('X-Registry-Auth header', () => {
  // Go's base64.URLEncoding (what Docker 20.10 decodes it with) requires the padding: without
  // it the last bytes of the JSON are lost whenever its length is not a multiple of 3.
  const goUrlDecode = (header: string): string => {
    assert.equal(header.length % 4, 0, `padded to a multiple of 4: ${header}`);
    assert.match(header, /^[A-Za-z0-9_-]*={0,2}$/);
    return Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  };
  it('is padded base64url of the auth config for every length of JSON, as the Docker CLI sends it', () => {
    for (const username of ['a', 'ab', 'abc']) {
      const header = registryAuthHeader({ kind: 'basic', username, password: 'p?>w' }, '10.213.7.10:5443');
      assert.deepEqual(JSON.parse(goUrlDecode(header)), { serveraddress: '10.213.7.10:5443', username, password: 'p?>w' });
    }
    assert.deepEqual(JSON.parse(goUrlDecode(registryAuthHeader({ kind: 'registry-token', token: 'tok' }, 'ghcr.io'))), { serveraddress: 'ghcr.io', registrytoken: 'tok' });
  });
});

describe('pull failure reasons', () => {
  it('reads Docker\'s messages as the reasons the issue names', () => {
    const cases: Array<[string, string]> = [
      ['manifest for 10.0.0.1:5443/web:nope not found: manifest unknown: manifest unknown', 'manifest unknown'],
      ['unauthorized: authentication required', 'unauthorized'],
      ['Head "https://10.0.0.1:5443/v2/web/manifests/v1": no basic auth credentials', 'unauthorized'],
      ['denied: requested access to the resource is denied', 'unauthorized'],
      ['pull access denied for nope, repository does not exist or may require \'docker login\'', 'not found'],
      ['name unknown: repository name not known to registry', 'not found'],
      ['Get "https://10.0.0.1:5443/v2/": dial tcp 10.0.0.1:5443: connect: connection refused', 'unreachable'],
      ['Get "https://10.0.0.1:5443/v2/": x509: certificate signed by unknown authority', 'unreachable'],
      ['something else entirely', 'refused'],
    ];
    for (const [message, reason] of cases) assert.equal(classifyPullFailure(message), reason, message);
  });
});
