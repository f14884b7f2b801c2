// Benchmark of `loadDesiredState`: the daemon validates a whole commit on every reconcile
// and the config repo's CI runs `flotilla validate` on every push, so a large fleet must
// still validate in well under the poll interval. Target: a repo of 500 stacks / 2,000
// services on 10 nodes loads in under 2 s on one core.
//
// The repo is generated at run time in a temp dir (never committed): realistic services
// with ports, environment, healthchecks, deploy placement/update_config, named volumes,
// networks and `${VAR}` references resolved from each stack's .env.
//
//   npm run bench:validate     (STACKS=… RUNS=… change the size or run count; KEEP=1 keeps the repo)
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesiredState } from '../src/manifests/load.js';
import { directoryReader } from '../src/manifests/repo-reader.js';

const STACKS = Number(process.env.STACKS ?? 500);
const RUNS = Number(process.env.RUNS ?? 5);
const NODES = 10;
// The target of the "prove it at scale" issue: under a second for 2,000 services (it was 2 s).
const TARGET_MS = 1000;
const ZONES = ['a', 'b', 'c'];
const ROLES = ['web', 'app', 'db'];

function clusterYaml(): string {
  const nodes = Array.from({ length: NODES }, (_, i) => [
    `    - name: node-${i}`,
    `      endpoint: tcp://10.0.0.${i + 10}:2376`,
    `      labels: { zone: ${ZONES[i % ZONES.length]}, role: ${ROLES[i % ROLES.length]} }`,
  ].join('\n'));
  const stacks = Array.from({ length: STACKS }, (_, i) => `    - name: stack-${i}\n      compose: stacks/stack-${i}/compose.yaml`);
  return [
    'apiVersion: flotilla/v1alpha1',
    'kind: Cluster',
    'metadata:',
    '  name: bench',
    'spec:',
    '  nodes:',
    ...nodes,
    '  stacks:',
    ...stacks,
    '  sync: { prune: true, selfHeal: true, revert: true }',
    '  policy:',
    '    allowPrivileged: false',
    '    allowHostNetwork: false',
    '    allowBindMounts: [/srv/shared]',
    '',
  ].join('\n');
}

function composeYaml(i: number): string {
  // Four services per stack: a web front end with a fixed host port, an API, a worker
  // and a database, the way a typical small application is split.
  return `# stack ${i}
x-logging: &logging
  labels:
    team: team-${i % 17}
services:
  web:
    image: \${WEB_IMAGE}
    <<: *logging
    ports:
      - "\${WEB_PORT:-${20000 + i}}:80"
      - target: 443
        protocol: tcp
    environment:
      API_URL: http://api:8080
      LOG_LEVEL: \${LOG_LEVEL:-info}
    depends_on: [api]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/healthz"]
      interval: 10s
      timeout: 3s
      retries: 3
      start_period: 5s
    deploy:
      replicas: 2
      placement:
        constraints: ["node.labels.role==web"]
        preferences:
          - spread: node.labels.zone
      update_config: { parallelism: 1, delay: 5s, order: start-first, monitor: 15s }
      resources:
        limits: { cpus: "0.5", memory: 256m }
  api:
    image: registry.example.com/team-${i % 17}/api:\${API_TAG:-1.0.${i}}
    command: ["serve", "--port", "8080"]
    environment:
      - DATABASE_URL=postgres://app:\${DB_PASSWORD}@db:5432/app
      - WORKERS=\${WORKERS:-4}
    healthcheck:
      test: curl -fsS http://127.0.0.1:8080/healthz || exit 1
      interval: 15s
    deploy:
      replicas: \${API_REPLICAS:-3}
      placement:
        constraints: ["node.labels.role!=db"]
        max_replicas_per_node: 2
      update_config:
        parallelism: 1
        failure_action: rollback
      rollback_config:
        parallelism: 2
      resources:
        reservations: { cpus: 0.25, memory: 128m }
  worker:
    image: registry.example.com/team-${i % 17}/worker:\${API_TAG:-1.0.${i}}
    env_file: worker.env
    stop_grace_period: 30s
    volumes:
      - scratch:/scratch
      - /srv/shared/stack-${i}:/shared:ro
    deploy:
      replicas: 2
      restart_policy: { condition: on-failure, max_attempts: 3 }
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD}
    volumes:
      - type: volume
        source: pgdata
        target: /var/lib/postgresql/data
    networks: [default, backend]
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U app"]
      interval: 5s
      retries: 5
    deploy:
      placement:
        constraints: ["node.name==node-${i % NODES}"]
networks:
  backend:
    internal: true
volumes:
  pgdata: {}
  scratch:
`;
}

function dotenv(i: number): string {
  return `# stack ${i}\nWEB_IMAGE=nginx:1.27-alpine\nLOG_LEVEL=warn\nDB_PASSWORD='s3cret-${i}'\nAPI_REPLICAS=3\n`;
}

function generate(root: string): void {
  mkdirSync(join(root, 'clusters', 'bench'), { recursive: true });
  writeFileSync(join(root, 'clusters', 'bench', 'cluster.yaml'), clusterYaml());
  for (let i = 0; i < STACKS; i++) {
    const dir = join(root, 'stacks', `stack-${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'compose.yaml'), composeYaml(i));
    writeFileSync(join(dir, '.env'), dotenv(i));
    writeFileSync(join(dir, 'worker.env'), `QUEUE=jobs-${i}\nCONCURRENCY=8\n`);
  }
}

async function timeOnce(root: string): Promise<{ ms: number; cpuMs: number; services: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const reader = await directoryReader(root);
  const result = await loadDesiredState(reader, 'clusters/bench');
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (!result.state) {
    throw new Error(`the generated repo does not validate:\n${result.problems.slice(0, 10).map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`).join('\n')}`);
  }
  const services = result.state.stacks.reduce((n, s) => n + s.services.length, 0);
  return { ms, cpuMs: (used.user + used.system) / 1000, services };
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-bench-'));
  try {
    generate(root);
    const warm = await timeOnce(root);
    console.log(`repo: ${STACKS} stacks, ${warm.services} services, ${NODES} nodes (in ${root})`);
    console.log(`warm-up (includes compiling the schemas): ${fmt(warm.ms)}`);
    const runs: Array<{ ms: number; cpuMs: number }> = [];
    for (let i = 0; i < RUNS; i++) runs.push(await timeOnce(root));
    const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    const cpuMedian = runs.map((r) => r.cpuMs).sort((a, b) => a - b)[Math.floor(runs.length / 2)] as number;
    console.log(`loadDesiredState over ${RUNS} runs: median ${fmt(median)}, min ${fmt(sorted[0] as number)}, max ${fmt(sorted[sorted.length - 1] as number)} (median CPU time ${fmt(cpuMedian)})`);
    const met = median < TARGET_MS;
    console.log(`target: under ${TARGET_MS} ms on one core: ${met ? 'met' : 'NOT met'}`);
    // Wall time on a shared machine measures the neighbours too; say so rather than mislead.
    const load = loadavg()[0] as number;
    if (load > availableParallelism()) {
      console.log(`note: load average ${load.toFixed(1)} on ${availableParallelism()} cores while measuring; the CPU time (${fmt(cpuMedian)}) is the steadier figure`);
    }
    if (!met) process.exitCode = 1;
  } finally {
    if (process.env.KEEP) console.log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

await main();
