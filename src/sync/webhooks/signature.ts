// Signature and token checks for webhook deliveries. Every comparison goes through
// constantTimeEqual (digests of both sides), so neither the secret's length nor how much of
// a forged signature is right can be learned from response times.
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../../server/routes.js';

export function hmacSha256Hex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * `header` must be `<prefix><hex HMAC-SHA256 of the raw body>` (GitHub, Bitbucket and the
 * generic sender use `sha256=`, Gitea no prefix). Hex case is not significant.
 */
export function verifyHmacHeader(header: string | undefined, prefix: string, secret: string, body: Buffer): boolean {
  if (header === undefined) return false;
  const given = header.trim();
  const expected = prefix + hmacSha256Hex(secret, body);
  // Lower-casing only the prefix-free hex of the given value: the comparison stays on digests.
  const normalized = given.slice(0, prefix.length) + given.slice(prefix.length).toLowerCase();
  return constantTimeEqual(normalized, expected);
}

/** A shared token sent as is (GitLab's X-Gitlab-Token). */
export function verifyToken(header: string | undefined, secret: string): boolean {
  if (header === undefined) return false;
  return constantTimeEqual(header, secret);
}
