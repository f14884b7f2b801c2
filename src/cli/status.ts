// `flotilla status` and `flotilla history`: read the running daemon's API.
import { formatHelp, parseOptions, type OptionSpecs } from './options.js';
import type { CommandIO } from './io.js';
import { getJson } from './server-client.js';
import { renderStatusText, type DaemonStatus } from '../reconcile/report/status.js';
import type { HistoryEntry } from '../state.js';

const OPTIONS: OptionSpecs = {
  server: { type: 'string', default: 'http://127.0.0.1:9797', value: 'URL', description: 'Address of the running daemon' },
  format: { type: 'string', default: 'text', value: 'text|json', description: 'Output format' },
};

export const statusHelp = formatHelp('flotilla status [--server URL] [--format text|json]', 'Shows what the daemon is doing: tracked, applied and last good commits, the last error,\nnodes, and per service its sync state, drift and where its replicas run.', OPTIONS);
export const historyHelp = formatHelp('flotilla history [--server URL] [--format text|json]', 'Shows the last 50 deployments: commit, time, outcome, reason and what changed.', OPTIONS);

export async function statusCommand(argv: string[], io: CommandIO): Promise<number> {
  const { options } = parseOptions(argv, OPTIONS, io.env);
  const status = (await getJson(options.server as string, 'api/v1/status')) as DaemonStatus;
  io.out(options.format === 'json' ? JSON.stringify(status, null, 2) : renderStatusText(status));
  return 0;
}

export async function historyCommand(argv: string[], io: CommandIO): Promise<number> {
  const { options } = parseOptions(argv, OPTIONS, io.env);
  const history = (await getJson(options.server as string, 'api/v1/history')) as HistoryEntry[];
  if (options.format === 'json') {
    io.out(JSON.stringify(history, null, 2));
    return 0;
  }
  io.out('REVISION'.padEnd(14) + 'STARTED'.padEnd(26) + 'OUTCOME'.padEnd(11) + 'CHANGES'.padEnd(22) + 'REASON');
  for (const h of [...history].reverse()) {
    const changes = `+${h.changes.create} ~${h.changes.replace} -${h.changes.remove}`;
    io.out(h.revision.slice(0, 12).padEnd(14) + h.startedAt.padEnd(26) + h.outcome.padEnd(11) + changes.padEnd(22) + (h.reason ?? ''));
  }
  return 0;
}
