// Where each part of a merged Compose document was written. `extends` and `include` build
// one document out of several files; a problem found later (schema, references, policy)
// must still point at the file and line where the offending value was written, which is
// the only place it can be fixed. Every node of the tree knows its origin; a part that was
// taken whole from one file needs no children, since its descendants sit at the same
// relative paths there.
import type { JsonPath, YamlSource } from '../yaml-source.js';

export interface Origin {
  source: YamlSource;
  path: JsonPath;
}

export class OriginTree {
  private readonly children = new Map<string, OriginTree>();

  constructor(readonly origin: Origin) {}

  static at(source: YamlSource, path: JsonPath): OriginTree {
    return new OriginTree({ source, path });
  }

  /** The tree of `key`: recorded when the part was assembled, else the same path below this origin. */
  child(key: string | number): OriginTree {
    return this.children.get(String(key)) ?? new OriginTree({ source: this.origin.source, path: [...this.origin.path, key] });
  }

  set(key: string | number, tree: OriginTree): void {
    this.children.set(String(key), tree);
  }

  /** The recorded tree of `key`, recorded now if it was not, so later `set`s on it stick. */
  ensure(key: string | number): OriginTree {
    const found = this.children.get(String(key));
    if (found) return found;
    const made = this.child(key);
    this.set(key, made);
    return made;
  }

  /** Where the value at `path` of the merged document was written. */
  resolve(path: JsonPath): Origin {
    let tree: OriginTree = this;
    for (const seg of path) tree = tree.child(seg);
    return tree.origin;
  }
}

/** A value of a merged document with where its parts were written. */
export interface Located {
  value: unknown;
  tree: OriginTree;
}
