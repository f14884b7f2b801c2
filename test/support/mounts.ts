// dockerd leaves mounts behind when it is SIGKILLed (its bind-mounted data root, overlay
// rootfs of containers, nsfs handles of their network namespaces); rm -rf of the node
// directory fails with EBUSY until they are detached.
import { readFileSync } from 'node:fs';
import { runSync } from './exec.js';

function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export interface MountEntry {
  mountPoint: string;
  fsType: string;
}

export function listMounts(): MountEntry[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const fields = line.split(' ');
      const sep = fields.indexOf('-');
      return { mountPoint: unescapeMountPath(fields[4] ?? ''), fsType: fields[sep + 1] ?? '' };
    });
}

export function mountsUnder(dir: string): string[] {
  return listMounts()
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** Lazily detaches every mount at or below `dir`, deepest first. */
export function unmountUnder(dir: string): void {
  // A path can be mounted over several times; loop until nothing is left.
  for (let round = 0; round < 10; round++) {
    const points = [...new Set(mountsUnder(dir))].sort((a, b) => b.length - a.length);
    if (points.length === 0) return;
    for (const p of points) {
      try {
        runSync('umount', ['-l', p]);
      } catch {
        // A parent detached in this round may already have taken it along.
      }
    }
  }
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`mounts still present under ${dir}: ${left.join(', ')}`);
}
