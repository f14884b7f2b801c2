// Test images made locally from the static busybox (no registry is reachable in tests).
// Each image is one rootfs tarball, built once and cached by the hash of what goes into it,
// then `docker import`ed onto every node of a fleet.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertNoStreamError, dockerRequest } from './docker-socket.js';
import { run } from './exec.js';
import { findBusybox } from './requirements.js';

export const WEB_REPO = 'flotilla-test/web';
export const WEB_HEALTHY = `${WEB_REPO}:healthy`;
export const WEB_UNHEALTHY = `${WEB_REPO}:unhealthy`;
export const WEB_V2 = `${WEB_REPO}:v2`;
export const TEST_IMAGES = [WEB_HEALTHY, WEB_UNHEALTHY, WEB_V2] as const;
export type TestImage = (typeof TEST_IMAGES)[number];

/** What GET / answers with on each image (the "version string"). */
export const WEB_BODY: Readonly<Record<TestImage, string>> = {
  [WEB_HEALTHY]: 'flotilla-test web v1\n',
  [WEB_UNHEALTHY]: 'flotilla-test web v1-unhealthy\n',
  [WEB_V2]: 'flotilla-test web v2\n',
};

/** The images' built-in health check; a compose `healthcheck.test` may use the same. */
export const WEB_HEALTHCHECK_CMD = 'wget -q -O /dev/null http://127.0.0.1/healthz';

export const IMAGE_CACHE_DIR = '/tmp/flotilla-test-images';

const APPLETS = [
  'sh', 'ash', 'httpd', 'wget', 'sleep', 'cat', 'echo', 'ls', 'env', 'ps', 'kill', 'nc', 'true', 'false',
  'touch', 'rm', 'mkdir', 'mv', 'cp', 'ln', 'chmod', 'date', 'hostname', 'id', 'grep', 'sed', 'awk',
  'printf', 'test', '[', 'head', 'tail', 'wc', 'tr', 'cut', 'sort', 'uniq', 'tee', 'seq', 'timeout',
  'uname', 'pwd', 'top', 'free', 'df', 'du', 'find', 'xargs', 'nslookup', 'ping', 'ip', 'netstat', 'vi',
];

// PID 1 gets no default action for SIGTERM, so a bare httpd as PID 1 would make every
// `docker stop` wait its full 10 s timeout; the trap makes stops (and rollouts) instant.
const SERVE_SCRIPT = `#!/bin/sh
trap 'exit 0' TERM INT
httpd -f -p "\${PORT:-80}" -h /www &
wait
`;

const CGI_ENV = `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo "hostname=$(hostname)"
env | sort
`;

const CHANGES = [
  'CMD ["/bin/serve"]',
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'EXPOSE 80/tcp',
  `HEALTHCHECK --interval=1s --timeout=3s --retries=2 CMD ${WEB_HEALTHCHECK_CMD}`,
];

function filesOf(image: TestImage): Record<string, string> {
  const files: Record<string, string> = {
    'bin/serve': SERVE_SCRIPT,
    'www/index.html': WEB_BODY[image],
    'www/cgi-bin/env': CGI_ENV,
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  };
  if (image !== WEB_UNHEALTHY) files['www/healthz'] = 'ok\n';
  return files;
}

export function buildRootfs(dir: string, busybox: string, files: Record<string, string>): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'root', 'tmp', 'www']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'bin/busybox'), readFileSync(busybox), { mode: 0o755 });
  for (const applet of APPLETS) symlinkSync('busybox', join(dir, 'bin', applet));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    const executable = path.startsWith('bin/') || path.includes('/cgi-bin/');
    writeFileSync(join(dir, path), content, { mode: executable ? 0o755 : 0o644 });
  }
}

/**
 * Returns the rootfs tarball of `image`, building it only when no tarball of identical
 * inputs exists yet (so across test files and runs it is built once).
 */
export async function imageTarball(image: TestImage): Promise<string> {
  const busybox = findBusybox();
  if (!busybox) throw new Error('busybox not found (install busybox-static)');
  const files = filesOf(image);
  const hash = createHash('sha256')
    .update(readFileSync(busybox))
    .update(JSON.stringify({ files, applets: APPLETS }))
    .digest('hex')
    .slice(0, 16);
  const tarball = join(IMAGE_CACHE_DIR, `${image.replace(/[/:]/g, '_')}-${hash}.tar`);
  if (existsSync(tarball)) return tarball;

  mkdirSync(IMAGE_CACHE_DIR, { recursive: true });
  const work = mkdtempSync(join(IMAGE_CACHE_DIR, 'build-'));
  try {
    buildRootfs(join(work, 'rootfs'), busybox, files);
    const partial = join(work, 'rootfs.tar');
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', join(work, 'rootfs'), '-cf', partial, '.']);
    // rename is atomic, so a concurrent test process sees either no tarball or a whole one.
    renameSync(partial, tarball);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return tarball;
}

/** `docker import` of one image over a node's socket. */
export async function importImage(socketPath: string, image: TestImage): Promise<void> {
  const tarball = await imageTarball(image);
  const [repo, tag] = image.split(':') as [string, string];
  const query = new URLSearchParams({ fromSrc: '-', repo, tag });
  for (const change of CHANGES) query.append('changes', change);
  const res = await dockerRequest({
    socketPath,
    method: 'POST',
    path: `/images/create?${query.toString()}`,
    body: createReadStream(tarball),
    headers: { 'Content-Type': 'application/x-tar' },
    timeoutMs: 120_000,
  });
  if (res.status !== 200) throw new Error(`import of ${image} via ${socketPath}: HTTP ${res.status}: ${res.body}`);
  assertNoStreamError(res.body, `import of ${image} via ${socketPath}`);
}

export interface ImageTarget {
  readonly nodes: readonly { readonly name: string; readonly socketPath: string }[];
}

/** Imports the test images onto every node of the fleet, nodes in parallel. */
export async function loadImages(fleet: ImageTarget, images: readonly TestImage[] = TEST_IMAGES): Promise<void> {
  // Build (or find) every tarball first so that parallel node imports do not race to build.
  for (const image of images) await imageTarball(image);
  await Promise.all(
    fleet.nodes.map(async (node) => {
      for (const image of images) await importImage(node.socketPath, image);
    }),
  );
}
