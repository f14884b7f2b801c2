// Dispatches `flotilla <command>`; each command lives in its own file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { processIO, type CommandIO } from './io.js';
import { UsageError } from './options.js';
import { validateCommand, validateHelp } from './validate.js';
import { runCommand, runHelp } from './run.js';
import { planCommand, planHelp } from './plan.js';
import { applyCommand, applyHelp } from './apply.js';
import { historyCommand, historyHelp, statusCommand, statusHelp } from './status.js';

interface Command {
  summary: string;
  help: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  run: { summary: 'Run the GitOps daemon: follow a branch and keep every node converged to it', help: runHelp, run: runCommand },
  plan: { summary: 'Show what a reconcile would create, replace and remove (changes nothing)', help: planHelp, run: planCommand },
  apply: { summary: 'Run one reconcile with progress output (exit 0 converged, 1 failed)', help: applyHelp, run: applyCommand },
  status: { summary: "Show the daemon's view: commits, nodes, per-service sync and drift", help: statusHelp, run: statusCommand },
  history: { summary: 'Show the last 50 deployments and their outcomes', help: historyHelp, run: historyCommand },
  validate: { summary: 'Check a config repo or commit: schemas, placement, policy (exit 0 valid, 1 invalid)', help: validateHelp, run: validateCommand },
};

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `flotilla ${version()} — GitOps for fleets of plain Docker hosts\n\nUsage: flotilla <command> [options]\n\nCommands:\n${rows.join('\n')}\n\nRun 'flotilla <command> --help' for a command's options.\n`;
}

export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(version());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`flotilla: unknown command "${name}"\n\n${mainHelp()}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`flotilla ${name}: ${err.message}\nRun 'flotilla ${name} --help' for usage.`);
      return 1;
    }
    throw err;
  }
}
