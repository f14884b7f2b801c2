// Validation problems: every error a commit has is collected (never thrown one at a time)
// so a user fixes them all in one round, each pointing at file:line:col and a JSON pointer.

export interface ManifestProblem {
  /** Repo-relative path of the file the problem is in. */
  file: string;
  line: number;
  col: number;
  /** RFC 6901 JSON pointer into the file's document ('' for the whole file). */
  pointer: string;
  message: string;
}

export function toPointer(path: ReadonlyArray<string | number>): string {
  return path.map((seg) => '/' + String(seg).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function formatProblem(p: ManifestProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.pointer ? `${where}: ${p.message} (at ${p.pointer})` : `${where}: ${p.message}`;
}

/** Sorts problems by file, then position, so output is stable and reads top to bottom. */
export function sortProblems(problems: ManifestProblem[]): ManifestProblem[] {
  return [...problems].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.message.localeCompare(b.message),
  );
}

/** Thrown where a caller needs an exception: the commit is invalid and must not be applied. */
export class ValidationError extends Error {
  readonly code = 'VALIDATION_FAILED' as const;
  constructor(readonly problems: ManifestProblem[]) {
    super(
      `${problems.length} validation error${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => '  ' + formatProblem(p)).join('\n'),
    );
    this.name = 'ValidationError';
  }
}
