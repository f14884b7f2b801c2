// The secret values this daemon holds, and their removal from any text before it is logged.
// Redacting by field name cannot catch a token inside an error message ("GET
// https://hooks.slack.com/services/T/B/XYZ failed"); replacing the known values can.

/** Values shorter than this are not scrubbed: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 6;

export const REDACTED = '[redacted]';

export class SecretRedactor {
  private forms: string[] = [];

  /**
   * Registers a secret. For a URL (a Slack or webhook URL carries its token in the path or
   * query), its path and query are registered too, since messages often show only those.
   */
  add(value: string | undefined): void {
    if (value === undefined) return;
    const candidates = [value];
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') {
        if (url.pathname.length > 1) candidates.push(url.pathname + url.search);
        if (url.password) candidates.push(decodeURIComponent(url.password));
        if (url.search.length > 1) candidates.push(url.search.slice(1));
      }
    } catch {
      // not a URL: the value alone
    }
    const forms = new Set(this.forms);
    for (const candidate of candidates) {
      if (candidate.length < MIN_SECRET_LENGTH) continue;
      // As written, as it appears inside a JSON string, and URL-encoded.
      forms.add(candidate);
      forms.add(JSON.stringify(candidate).slice(1, -1));
      forms.add(encodeURIComponent(candidate));
    }
    // Longest first, so that a URL is replaced whole before its path is.
    this.forms = [...forms].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.forms.length;
  }

  scrub(text: string): string {
    let out = text;
    for (const form of this.forms) out = out.replaceAll(form, REDACTED);
    return out;
  }
}
