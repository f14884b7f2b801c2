// Durations on the command line (`--interval 30s`), in the same syntax as Compose files.
import { parseDurationMs } from './manifests/compose-values.js';

export function parseCliDuration(option: string, text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDurationMs(text);
  if (ms === undefined || ms <= 0) throw new Error(`--${option} ${text}: expected a duration such as 30s, 2m or 1h`);
  return ms;
}
