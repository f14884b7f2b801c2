// What a webhook delivery means once its provider's payload has been read: a push, a
// pull-request change, or something to acknowledge and ignore. Receivers never act on the
// payload beyond this: a push only asks for a reconcile (which re-reads Git itself), a pull
// request only asks for a review.
import type { HttpRequest } from '../../server/http-types.js';

export type WebhookProviderName = 'github' | 'gitlab' | 'gitea' | 'bitbucket' | 'generic';

/** How a payload names its repository: clone/web URLs and `owner/name`-style full names. */
export interface RepoCandidates {
  urls: string[];
  fullNames: string[];
}

export interface PushEvent {
  kind: 'push';
  /** Undefined when the sender did not name one (the generic sender may leave it out). */
  repository: RepoCandidates | undefined;
  /**
   * Full refs this push moved to a new commit (refs/heads/main); undefined when the sender
   * did not say, which the generic sender may do to mean "sync now".
   */
  updated: string[] | undefined;
  /** Full refs this push deleted. */
  deleted: string[];
}

export interface PullRequestEvent {
  kind: 'pull_request';
  provider: WebhookProviderName;
  /** The base repository, which holds the pull request's ref. */
  repository: RepoCandidates;
  /** How the provider's API names the base repository: `owner/name`, or GitLab's project id. */
  apiRepository: string;
  /** GitHub/Gitea pull request number, GitLab merge request iid, Bitbucket id. */
  number: number;
  action: string;
  /** The commit at the head of the pull request when the event was sent. */
  headSha: string;
  /** A ref of the base repository that points at the head: refs/pull/N/head and the like. */
  headRef: string;
  /** The branch the pull request would merge into. */
  baseBranch: string;
  title?: string;
  url?: string;
}

export interface IgnoredEvent {
  kind: 'ignored';
  reason: string;
}

export type WebhookEvent = PushEvent | PullRequestEvent | IgnoredEvent;

/** One forge's dialect: how it signs, how it names deliveries, how its payloads read. */
export interface WebhookProvider {
  readonly name: WebhookProviderName;
  /** Also accepts `application/x-www-form-urlencoded` with the JSON in a `payload` field. */
  readonly acceptsForm: boolean;
  /** True when the request carries a valid signature or token for `secret`; constant time. */
  authenticate(req: HttpRequest, secret: string): boolean;
  /** The sender's id of this delivery (the same on a redelivery), when it sends one. */
  deliveryId(req: HttpRequest): string | undefined;
  /** Reads an authenticated payload; never throws on odd shapes, answers `ignored` instead. */
  interpret(req: HttpRequest, payload: Record<string, unknown>): WebhookEvent;
}

/** The push event of a forge that sends one ref per push. */
export function singleRefPush(repository: RepoCandidates, ref: string | undefined, deleted: boolean): PushEvent {
  if (ref === undefined) return { kind: 'push', repository, updated: [], deleted: [] };
  return { kind: 'push', repository, updated: deleted ? [] : [ref], deleted: deleted ? [ref] : [] };
}
