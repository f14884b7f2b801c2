// One test node's Docker daemon: started inside the node's network namespace, stopped by
// SIGKILL of its whole process tree (a crash, as when a host loses power).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cgroupPids } from './cgroups.js';
import { SYSTEM_PATH, sleep } from './exec.js';
import { pingDocker } from './docker-socket.js';
import { killProcessTree } from './procs.js';

export interface DaemonLayout {
  dir: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  socketPath: string;
  logFile: string;
  configFile: string;
}

export interface DaemonSpec {
  nodeName: string;
  layout: DaemonLayout;
  netnsPath: string;
  address: string;
  cgroupParent: string;
  readyTimeoutMs: number;
}

// Short names on purpose: containerd puts its sockets under the exec root, and a unix
// socket path must fit in 108 bytes.
export function daemonLayout(dir: string): DaemonLayout {
  return {
    dir,
    dataRoot: `${dir}/data`,
    execRoot: `${dir}/x`,
    pidFile: `${dir}/pid`,
    socketPath: `${dir}/docker.sock`,
    logFile: `${dir}/dockerd.log`,
    configFile: `${dir}/daemon.json`,
  };
}

export function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(no log: ${(err as Error).message})`;
  }
}

function daemonArgs(spec: DaemonSpec): string[] {
  const l = spec.layout;
  return [
    // An explicit config file keeps a host /etc/docker/daemon.json out of the test nodes.
    `--config-file=${l.configFile}`,
    `--data-root=${l.dataRoot}`,
    `--exec-root=${l.execRoot}`,
    `--pidfile=${l.pidFile}`,
    `--host=unix://${l.socketPath}`,
    `--host=tcp://${spec.address}:2375`,
    // Without an explicit --tls=false, dockerd 20.10 sleeps 15 s at start-up to warn about
    // the plain TCP listener.
    '--tls=false',
    '--exec-opt=native.cgroupdriver=cgroupfs',
    `--cgroup-parent=/${spec.cgroupParent}`,
  ];
}

/** Starts the daemon and resolves with its pid once it answers /_ping. */
export async function startDaemon(spec: DaemonSpec): Promise<number> {
  const l = spec.layout;
  mkdirSync(l.dir, { recursive: true });
  // The daemon ID comes from this key; the default, /etc/docker/key.json, would give all
  // nodes one ID and write to the host's /etc. (dockerd 20.10 has no flag for it.)
  writeFileSync(l.configFile, `${JSON.stringify({ 'deprecated-key-path': `${l.dir}/key.json` })}\n`);
  // dockerd refuses to start while the pid in a leftover pid file still has a /proc entry,
  // which a killed daemon's zombie does until PID 1 reaps it; and it would wait for the
  // "still running" containerd of a zombie pid instead of starting a new one.
  rmSync(l.pidFile, { force: true });
  rmSync(`${l.execRoot}/containerd/containerd.pid`, { force: true });
  rmSync(l.socketPath, { force: true });
  const log = openSync(l.logFile, 'a');
  // A UTS namespace of its own gives each node its own hostname, which `docker info`
  // reports as the node's name, as on separate machines. The shell execs, so the pid stays.
  const script = 'h=$1; n=$2; shift 2; hostname "$h" && exec nsenter --net="$n" dockerd "$@"';
  const argv = ['--uts', '--', 'sh', '-c', script, 'flotilla-node', spec.nodeName, spec.netnsPath, ...daemonArgs(spec)];
  const child = spawn('unshare', argv, {
    stdio: ['ignore', log, log],
    // Its own process group: a Ctrl-C in the terminal must reach only the test process,
    // whose exit hook then tears the fleet down, not dockerd's slow graceful shutdown.
    detached: true,
    env: { ...process.env, PATH: SYSTEM_PATH },
  });
  closeSync(log);
  child.unref();
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  child.on('error', (err) => {
    exited = `could not be started: ${err.message}`;
  });

  const deadline = Date.now() + spec.readyTimeoutMs;
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`dockerd of ${spec.nodeName} ${exited}; last lines of ${l.logFile}:\n${logTail(l.logFile)}`);
    }
    if (await pingDocker(l.socketPath, 1_000)) return child.pid as number;
    if (Date.now() > deadline) {
      killDaemon(spec);
      throw new Error(
        `dockerd of ${spec.nodeName} did not answer on unix://${l.socketPath} within ${spec.readyTimeoutMs} ms; ` +
          `last lines of ${l.logFile}:\n${logTail(l.logFile)}`,
      );
    }
    await sleep(100);
  }
}

/**
 * Kills dockerd, its containerd, the shims and every container process of the node. They
 * are found by the node directory on their command lines, not by the pid file: after a
 * crash its pid may belong to an unrelated process.
 */
export function killDaemon(spec: Pick<DaemonSpec, 'layout' | 'cgroupParent'>): void {
  killProcessTree(`${spec.layout.dir}/`, [], () => cgroupPids(spec.cgroupParent));
  removeShimSockets(spec.layout);
}

/**
 * A SIGKILLed containerd-shim leaves its socket in the host-wide /run/containerd/s. The
 * name is containerd's hash of (containerd address, namespace, container id), so the
 * sockets of this node's containers can be removed without touching anyone else's.
 */
export function removeShimSockets(layout: DaemonLayout): void {
  let ids: string[];
  try {
    ids = readdirSync(`${layout.dataRoot}/containers`);
  } catch {
    return;
  }
  for (const id of ids) rmSync(shimSocketPath(layout, id), { force: true });
}

export function shimSocketPath(layout: DaemonLayout, containerId: string): string {
  const address = `${layout.execRoot}/containerd/containerd.sock`;
  return `/run/containerd/s/${createHash('sha256').update(`${address}/moby/${containerId}`).digest('hex')}`;
}
