// Finds files shipped with the package (schemas, the example repo) whether running from
// dist/ after a build or from an installed package: walk up to the nearest package.json.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'schemas'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Flotilla package root (package.json with schemas/)');
    dir = parent;
  }
  cached = dir;
  return dir;
}
