// A registry credential as Flotilla holds it in memory, and the X-Registry-Auth header the
// Docker Engine API takes on a pull: padded base64url of the JSON auth config (`username` and
// `password`, or an OAuth `identitytoken`, or a bearer `registrytoken`), with the
// `serveraddress` it is for. The credential never leaves this form except in that header.

export type RegistryCredential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identity-token'; token: string; username?: string }
  | { kind: 'registry-token'; token: string };

/** Where a credential was found, for messages: a file path or a helper's name, never its content. */
export interface CredentialSource {
  /** e.g. `auth.file /etc/flotilla/ghcr.json` or `docker-credential-ecr-login`. */
  describe: string;
}

export interface ResolvedCredential {
  credential: RegistryCredential;
  source: CredentialSource;
}

export function registryAuthHeader(credential: RegistryCredential, serverAddress: string): string {
  const config: Record<string, string> = { serveraddress: serverAddress };
  switch (credential.kind) {
    case 'basic':
      config.username = credential.username;
      config.password = credential.password;
      break;
    case 'identity-token':
      if (credential.username !== undefined) config.username = credential.username;
      config.identitytoken = credential.token;
      break;
    case 'registry-token':
      config.registrytoken = credential.token;
      break;
  }
  return authConfigHeader(config);
}

/**
 * base64url *with* its `=` padding, as the Docker CLI sends it. Docker 20.10 decodes the
 * header with Go's padded URL alphabet; unpadded (Node's 'base64url'), a JSON whose length
 * is not a multiple of 3 loses its last bytes, the daemon silently pulls without
 * credentials, and the registry answers "no basic auth credentials".
 */
export function authConfigHeader(config: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(config), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Every form in which a credential's secret could show up in text, for the log scrubber. */
export function secretFormsOf(credential: RegistryCredential): string[] {
  switch (credential.kind) {
    case 'basic':
      return [credential.password, Buffer.from(`${credential.username}:${credential.password}`).toString('base64')];
    case 'identity-token':
    case 'registry-token':
      return [credential.token];
  }
}
