// A merged Compose document presented as one YamlSource, so every check after `extends` and
// `include` runs unchanged: positions and pointers are those of the file each value came
// from (OriginTree), not of the stack's compose file.
import type { YamlSource } from '../yaml-source.js';
import type { OriginTree } from './origin-tree.js';

export function mergedSource(root: YamlSource, value: unknown, tree: OriginTree): YamlSource {
  return {
    // The stack's own file: what a problem without a better position is reported against.
    file: root.file,
    text: root.text,
    doc: root.doc,
    value,
    locate(path, which) {
      const origin = tree.resolve(path);
      return origin.source.locate(origin.path, which);
    },
    locateOffset: root.locateOffset,
    problem(path, message, which) {
      const origin = tree.resolve(path);
      return origin.source.problem(origin.path, message, which);
    },
    writtenScalar(path) {
      const origin = tree.resolve(path);
      return origin.source.writtenScalar(origin.path);
    },
    refresh: () => [],
  };
}
