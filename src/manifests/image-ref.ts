// Docker image references (`nginx:1.27`, `registry.example.com:5000/team/api@sha256:…`).
// A malformed one would pass every other check and then fail on every node at pull time,
// after the commit had been accepted; checking the grammar here keeps that out of a
// rollout. The grammar is Docker's distribution/reference, minus IPv6 registry hosts.

const HOST_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${HOST_PART}(?:\\.${HOST_PART})*(?::[0-9]+)?`;
const PATH_PART = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_PART}(?:/${PATH_PART})*(?::${TAG})?(?:@${DIGEST})?$`);

/** Why `image` is not a valid reference, or undefined when it is. */
export function imageReferenceProblem(image: string): string | undefined {
  // Docker caps a name at 255 characters; the cap also keeps the regex linear in practice.
  if (image.length > 512) return `image reference is ${image.length} characters long; Docker allows at most 255 for the name`;
  if (REFERENCE.test(image)) return undefined;
  const hint = /\s/.test(image)
    ? 'it contains whitespace'
    : /[A-Z]/.test(image.split(/[:@]/)[0]?.split('/').slice(-1)[0] ?? '')
      ? 'repository names must be lowercase'
      : /:$/.test(image)
        ? 'the tag after ":" is empty'
        : 'expected [registry/]name[:tag][@digest], e.g. nginx:1.27';
  return `image ${JSON.stringify(image)} is not a valid image reference: ${hint}`;
}
