// What a review needs from a forge's API (GitHub, Gitea, GitLab): a commit status and one
// comment on the pull request that is edited rather than repeated. The clients live in
// src/notify/<forge>.ts; the review flow only sees this interface.

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  /** The status's name on the commit, e.g. flotilla/plan. */
  context: string;
  state: CommitState;
  description: string;
  targetUrl?: string;
}

export interface ReviewPoster {
  /** Longest status description and comment body the forge accepts. */
  readonly limits: { statusDescription: number; commentBody: number };
  setStatus(repository: string, sha: string, status: CommitStatus): Promise<void>;
  /** Edits the comment holding `marker` (the first such), or creates one. */
  upsertComment(repository: string, number: number, marker: string, body: string): Promise<'created' | 'updated'>;
}
