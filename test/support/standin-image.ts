// One local image that stands in for the public images real Compose files name (nginx,
// postgres, redis, prometheus, ...), which no registry here can serve. It takes any command
// its Compose file gives (the entrypoint ignores the arguments), serves HTTP on port 80 and
// stops at once on SIGTERM; the health probes those files declare (`redis-cli ping`,
// `pg_isready -U shop`) ask that server whether it answers. It is imported once per node and
// tagged with every name a file uses, so the files deploy without a character changed.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoStreamError, dockerRequest } from './docker-socket.js';
import { run } from './exec.js';
import { buildRootfs, IMAGE_CACHE_DIR } from './images.js';
import { findBusybox } from './requirements.js';

export const STANDIN_IMAGE = 'flotilla-test/standin:1';

const ENTRYPOINT = `#!/bin/sh
trap 'exit 0' TERM INT
httpd -f -p 80 -h /www &
wait
`;

/** A probe that succeeds only while the stand-in's server answers, as the real tools ask their server. */
const PROBE = `#!/bin/sh
exec wget -q -O /dev/null http://127.0.0.1/healthz
`;

const FILES: Record<string, string> = {
  'bin/standin': ENTRYPOINT,
  'bin/redis-cli': PROBE,
  'bin/pg_isready': PROBE,
  'bin/mysqladmin': PROBE,
  'www/index.html': 'flotilla stand-in\n',
  'www/healthz': 'ok\n',
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
};

const CHANGES = ['ENTRYPOINT ["/bin/standin"]', 'CMD []', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

async function standinTarball(): Promise<string> {
  const busybox = findBusybox();
  if (!busybox) throw new Error('busybox not found (install busybox-static)');
  const hash = createHash('sha256').update(readFileSync(busybox)).update(JSON.stringify(FILES)).digest('hex').slice(0, 16);
  const tarball = join(IMAGE_CACHE_DIR, `standin-${hash}.tar`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(IMAGE_CACHE_DIR, { recursive: true });
  const work = mkdtempSync(join(IMAGE_CACHE_DIR, 'build-'));
  try {
    buildRootfs(join(work, 'rootfs'), busybox, FILES);
    const partial = join(work, 'rootfs.tar');
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', join(work, 'rootfs'), '-cf', partial, '.']);
    renameSync(partial, tarball);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return tarball;
}

/** Imports the stand-in onto a node and tags it as each of `names` (e.g. `postgres:16-alpine`). */
export async function loadStandin(socketPath: string, names: readonly string[]): Promise<void> {
  const tarball = await standinTarball();
  const [repo, tag] = STANDIN_IMAGE.split(':') as [string, string];
  const query = new URLSearchParams({ fromSrc: '-', repo, tag });
  for (const change of CHANGES) query.append('changes', change);
  const res = await dockerRequest({ socketPath, method: 'POST', path: `/images/create?${query.toString()}`, body: createReadStream(tarball), headers: { 'Content-Type': 'application/x-tar' }, timeoutMs: 120_000 });
  if (res.status !== 200) throw new Error(`import of the stand-in via ${socketPath}: HTTP ${res.status}: ${res.body}`);
  assertNoStreamError(res.body, `import of the stand-in via ${socketPath}`);
  for (const name of names) {
    const at = name.lastIndexOf(':');
    const hasTag = at > name.lastIndexOf('/');
    const params = new URLSearchParams({ repo: hasTag ? name.slice(0, at) : name, tag: hasTag ? name.slice(at + 1) : 'latest' });
    const tagged = await dockerRequest({ socketPath, method: 'POST', path: `/images/${encodeURIComponent(STANDIN_IMAGE)}/tag?${params.toString()}`, timeoutMs: 30_000 });
    if (tagged.status !== 201) throw new Error(`tagging the stand-in as ${name} via ${socketPath}: HTTP ${tagged.status}: ${tagged.body}`);
  }
}
