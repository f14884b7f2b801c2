// Building the Flotilla image where no registry can be reached: a base image made from this
// machine's own Node.js (the binary, the libraries `ldd` lists, the CA certificates) through
// `docker import`, and a build context staged from the project as built on the machine
// (dist/src and production-only node_modules), for the Dockerfile's `prebuilt` target.
import { cpSync, mkdirSync, mkdtempSync, rmSync, chmodSync, realpathSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { packageRoot } from '../../../src/package-root.js';
import { run } from '../../support/exec.js';

/** Files the base image needs besides node and its libraries. */
const EXTRA_FILES = ['/etc/ssl/certs/ca-certificates.crt'];

/** The shared libraries of a program, from `ldd`, as absolute paths (the loader included). */
export async function sharedLibraries(program: string): Promise<string[]> {
  const { stdout } = await run('ldd', [program]);
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

/** A root filesystem with node, its libraries and CA certificates; files are copied, symlinks resolved. */
export async function nodeRootfs(): Promise<string> {
  const root = mkdtempSync('/tmp/flotilla-node-base-');
  const node = realpathSync(process.execPath);
  const files = [node, ...(await sharedLibraries(node)), ...EXTRA_FILES.filter((f) => existsSync(f))];
  for (const file of files) {
    const target = join(root, file);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(realpathSync(file), target, { dereference: true });
  }
  // The program's own path, so `node` is on PATH as /usr/bin/node whatever it was called here.
  if (node !== '/usr/bin/node') {
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    cpSync(node, join(root, 'usr/bin/node'));
  }
  for (const dir of ['tmp', 'proc', 'sys', 'dev', 'etc']) mkdirSync(join(root, dir), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nflotilla:x:10001:10001:flotilla:/var/lib/flotilla:/sbin/nologin\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nflotilla:x:10001:\n');
  return root;
}

/** `docker import`s a rootfs directory as `tag` on the daemon at `host` (e.g. unix:///path). */
export async function importRootfs(host: string, root: string, tag: string, changes: string[]): Promise<void> {
  const args = ['-H', host, 'import', ...changes.flatMap((c) => ['--change', c]), '-', tag];
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const docker = spawn('docker', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    docker.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    tar.stdout?.pipe(docker.stdin!);
    docker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker import ${tag} failed (${code}): ${stderr.trim()}`))));
    tar.once('error', reject);
    docker.once('error', reject);
  });
}

/**
 * The build context of the `prebuilt` target: app/ holds what the runtime needs, as built on
 * this machine (npm run build), with production dependencies only (installed from npm's
 * local cache: no network).
 */
export async function stagePrebuiltContext(): Promise<string> {
  const root = packageRoot();
  if (!existsSync(join(root, 'dist/src/cli/main.js'))) throw new Error('dist/src is missing: run npm run build first');
  const context = mkdtempSync('/tmp/flotilla-image-context-');
  const app = join(context, 'app');
  mkdirSync(app);
  for (const entry of ['bin', 'schemas', 'ui', 'example-repo', 'package.json', 'package-lock.json']) cpSync(join(root, entry), join(app, entry), { recursive: true });
  cpSync(join(root, 'dist/src'), join(app, 'dist/src'), { recursive: true });
  await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, timeoutMs: 180_000 });
  rmSync(join(app, 'package-lock.json'));
  cpSync(join(root, 'deploy/image'), join(context, 'deploy/image'), { recursive: true });
  cpSync(join(root, 'Dockerfile'), join(context, 'Dockerfile'));
  return context;
}

/** The UID the Dockerfile runs the daemon as. */
export function imageUid(): number {
  const m = /ARG FLOTILLA_UID=(\d+)/.exec(readFileSync(join(packageRoot(), 'Dockerfile'), 'utf8'));
  if (!m) throw new Error('Dockerfile has no ARG FLOTILLA_UID');
  return Number(m[1]);
}
