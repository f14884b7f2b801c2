// Reads a webhook body into a JSON object, or says in one sentence why it cannot: the
// content type must be JSON (or, for forges that offer it, a form with a `payload` field)
// and the payload a JSON object. Never throws: bad input is the sender's problem (400).
import type { HttpRequest } from '../../server/http-types.js';

export type BodyResult = { ok: true; payload: Record<string, unknown> } | { ok: false; message: string };

export function readJsonBody(req: HttpRequest, acceptsForm: boolean): BodyResult {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let text: string;
  if (mediaType === 'application/json') {
    text = req.body.toString('utf8');
  } else if (acceptsForm && mediaType === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(req.body.toString('utf8')).get('payload');
    if (payload === null) return { ok: false, message: 'a form-encoded delivery must carry the JSON in a "payload" field' };
    text = payload;
  } else {
    const accepted = acceptsForm ? 'application/json (or application/x-www-form-urlencoded)' : 'application/json';
    return { ok: false, message: `content type must be ${accepted}, got ${mediaType === '' ? 'none' : JSON.stringify(mediaType.slice(0, 100))}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `malformed JSON: ${(err as Error).message.slice(0, 200)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'the payload must be a JSON object' };
  return { ok: true, payload: value as Record<string, unknown> };
}
