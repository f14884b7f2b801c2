// Slack incoming webhooks: a message with a plain `text` (what phones and notifications
// show) and blocks for the channel: the sentence, then cluster, commit, services, nodes.
// The webhook URL is itself the credential, so it comes only from urlFile or urlEnv.
import type { ProviderFactory } from './context.js';
import { expectSuccess, post, safeTarget } from './http.js';
import { requireHttpUrl, requireSecretOption } from './options.js';
import type { FleetEvent, FleetEventType } from './types.js';

const HEADLINE: Record<FleetEventType, { emoji: string; title: string }> = {
  deployed: { emoji: ':white_check_mark:', title: 'Deployed' },
  failed: { emoji: ':x:', title: 'Rollout failed' },
  reverted: { emoji: ':rewind:', title: 'Reverted' },
  drift: { emoji: ':warning:', title: 'Drift' },
  validation_failed: { emoji: ':no_entry:', title: 'Invalid commit' },
  untrusted: { emoji: ':lock:', title: 'Untrusted commit' },
  node_down: { emoji: ':rotating_light:', title: 'Node down' },
};

/** Slack shows at most this many names per field before "and N more". */
const MAX_LISTED = 15;

export const createSlackProvider: ProviderFactory = (spec, context) => {
  const url = requireHttpUrl(spec, requireSecretOption(spec, 'url', context.secrets, false), 'the Slack webhook URL');
  const target = safeTarget(url);
  return {
    kind: 'slack',
    target,
    async deliver(event, attempt) {
      const result = await post({ url, body: JSON.stringify(slackMessage(event)), headers: {}, timeoutMs: context.timeoutMs, signal: attempt.signal });
      expectSuccess(result, target);
    },
  };
};

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

export function slackMessage(event: FleetEvent): SlackMessage {
  const { emoji, title } = HEADLINE[event.type];
  const fields = [field('Cluster', escape(event.cluster))];
  if (event.revision) fields.push(field(event.type === 'reverted' ? 'Failed commit' : 'Commit', `\`${escape(short(event.revision))}\``));
  if (event.restoredRevision) fields.push(field('Restored commit', `\`${escape(short(event.restoredRevision))}\``));
  if (event.services.length) fields.push(field('Services', list(event.services)));
  else if (event.stacks.length) fields.push(field('Stacks', list(event.stacks)));
  if (event.nodes.length) fields.push(field('Nodes', list(event.nodes)));
  return {
    text: `${title} on ${event.cluster}: ${event.message}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${emoji} *${title}* on *${escape(event.cluster)}*\n${escape(event.message)}` } },
      { type: 'section', fields },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Flotilla · ${escape(event.at)}` }] },
    ],
  };
}

function field(name: string, value: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: `*${name}*\n${value}` };
}

function list(names: string[]): string {
  const shown = names.slice(0, MAX_LISTED).map(escape).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}

function short(revision: string): string {
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision;
}

/** Slack's mrkdwn treats &, < and > as markup (links, mentions); names must not trigger it. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
