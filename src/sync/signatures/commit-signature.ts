// Splits a raw Git commit object into its signature (the `gpgsig` header, as `git commit
// -S` writes it) and the signed payload (the object without that header), the way Git
// itself does before it hands both to gpg or ssh-keygen.

export type SignatureKind = 'openpgp' | 'ssh';

export interface CommitSignature {
  kind: SignatureKind;
  /** The armored signature, newline-terminated. */
  signature: string;
  /** The bytes that were signed. */
  payload: Buffer;
}

/** The signature of the commit object `raw`, or undefined when it carries none. */
export function commitSignature(raw: Uint8Array): CommitSignature | undefined {
  const text = Buffer.from(raw).toString('utf8');
  const headerEnd = text.indexOf('\n\n');
  const headers = (headerEnd < 0 ? text : text.slice(0, headerEnd + 1)).split('\n');
  const kept: string[] = [];
  const signature: string[] = [];
  let inSignature = false;
  for (const line of headers) {
    if (line.startsWith('gpgsig ')) {
      inSignature = true;
      signature.push(line.slice('gpgsig '.length));
      continue;
    }
    // A header's continuation lines start with one space.
    if (inSignature && line.startsWith(' ')) {
      signature.push(line.slice(1));
      continue;
    }
    inSignature = false;
    kept.push(line);
  }
  if (signature.length === 0) return undefined;
  const armored = `${signature.join('\n')}\n`;
  const payload = Buffer.from(kept.join('\n') + (headerEnd < 0 ? '' : text.slice(headerEnd + 1)), 'utf8');
  const kind: SignatureKind | undefined = armored.startsWith('-----BEGIN PGP SIGNATURE-----') ? 'openpgp' : armored.startsWith('-----BEGIN SSH SIGNATURE-----') ? 'ssh' : undefined;
  if (!kind) return undefined;
  return { kind, signature: armored, payload };
}
