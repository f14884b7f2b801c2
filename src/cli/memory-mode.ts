// How the daemon's JS heap trades memory for CPU. V8 tunes for throughput: after each full
// GC it lets the old generation grow to up to 4x what is live (on machines with a few GB of
// RAM or more), and grows the young generation to 2 x 16 MB. A reconciling daemon rebuilds
// its view of the fleet every cycle (observation, plan and status are replaced each time),
// so what lived through one cycle is old-generation garbage by the next, and the heap sits
// at several times its live size. Measured at 1,000 services (npm run bench:rss): ~35 MB
// live, yet 277 MB RSS with V8's defaults; 128-134 MB in `lean` mode, for 5-40% more CPU
// per steady reconcile (about 0.2 s per poll at that size).
import { setFlagsFromString } from 'node:v8';

export const MEMORY_MODES = ['lean', 'throughput'] as const;
export type MemoryMode = (typeof MEMORY_MODES)[number];

export function parseMemoryMode(text: string): MemoryMode {
  const mode = MEMORY_MODES.find((m) => m === text.trim().toLowerCase());
  if (!mode) throw new Error(`--memory-mode must be ${MEMORY_MODES.join(' or ')}, not "${text}"`);
  return mode;
}

/**
 * Applies the mode to this process. Both V8 settings below are read each time V8 sizes a
 * generation, so they take effect after start-up (unlike --max-old-space-size or
 * --max-semi-space-size, which size the heap when the process starts and so only work in
 * NODE_OPTIONS). `throughput` leaves V8's defaults alone.
 */
export function applyMemoryMode(mode: MemoryMode): void {
  if (mode !== 'lean') return;
  // A full GC once the old generation outgrows what was live after the last one by 20%.
  setFlagsFromString('--heap-growing-percent=20');
  // The young generation keeps its initial size (1 MB per semispace) instead of growing to 16 MB.
  setFlagsFromString('--semi-space-growth-factor=1');
}
