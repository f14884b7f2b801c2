// Why a pull failed, in the few words the issue asks a message and a metric to carry
// (`unauthorized`, `not found`, `manifest unknown`, ...), read from Docker's own message.
// Docker passes the registry's error through: "manifest for x not found: manifest unknown",
// "unauthorized: authentication required", "no basic auth credentials", "denied: ...",
// "pull access denied for x, repository does not exist or may require 'docker login'",
// "Get https://host/v2/: dial tcp ...: connection refused".

export type PullFailureReason = 'unauthorized' | 'not found' | 'manifest unknown' | 'unreachable' | 'timed out' | 'credentials unavailable' | 'refused';

/** The `result` label of flotilla_image_pull_total for each reason (and `success`). */
export const PULL_RESULT: Record<PullFailureReason, string> = {
  unauthorized: 'unauthorized',
  'not found': 'not_found',
  'manifest unknown': 'manifest_unknown',
  unreachable: 'unreachable',
  'timed out': 'timeout',
  'credentials unavailable': 'credentials_error',
  refused: 'error',
};

export function classifyPullFailure(dockerMessage: string): PullFailureReason {
  const m = dockerMessage;
  if (/manifest unknown|manifest for \S+ not found/i.test(m)) return 'manifest unknown';
  if (/repository does not exist|name unknown|repository name not known|\bnot found\b/i.test(m)) return 'not found';
  if (/no basic auth credentials|unauthorized|authentication required|denied|incorrect username or password|\b40[13]\b/i.test(m)) return 'unauthorized';
  if (/dial tcp|connection refused|no such host|i\/o timeout|network is unreachable|no route to host|tls handshake|x509:|certificate|server gave HTTP response|connection reset|EOF$/i.test(m)) return 'unreachable';
  return 'refused';
}

/** What a person does next, for each reason; `source` says where the credential sent came from. */
export function pullAdvice(reason: PullFailureReason, registry: string, source: string | undefined): string {
  switch (reason) {
    case 'unauthorized':
      return source !== undefined
        ? `The registry refused the credentials from ${source}: check that they are current and may pull this repository.`
        : `No credentials are configured for ${registry}: add it to spec.registries in cluster.yaml with an auth.file, or log in to it in the controller's Docker config (--docker-config).`;
    case 'manifest unknown':
      return 'The registry has no such tag or digest: check the tag, and that the image was pushed.';
    case 'not found':
      return 'The registry has no such repository (or does not show it to these credentials): check the image name.';
    case 'unreachable':
      return 'The node cannot reach the registry: check its address, DNS, TLS trust (/etc/docker/certs.d) and that it is up.';
    case 'timed out':
      return 'Check that the node can reach the registry, or raise the pull timeout for large images.';
    case 'credentials unavailable':
      return 'Fix the credential file or helper on the controller\'s machine; nothing was pulled.';
    case 'refused':
      return 'Check the image name and tag, and that the node can reach its registry.';
  }
}
