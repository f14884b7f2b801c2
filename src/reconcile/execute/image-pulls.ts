// The pull of one image onto one node, with the credentials of its registry: resolved once
// per registry per run (one credential helper run or file read however many nodes pull),
// and every outcome reported for flotilla_image_pull_total{registry,result}.
import { ImagePullError } from '../../docker/errors.js';
import type { PullAuth } from '../../docker/registry/auth-resolver.js';
import { registryHostOf } from '../../docker/registry/image-host.js';
import { PULL_RESULT } from '../../docker/registry/pull-failure.js';
import type { DockerNode, PullCredentials } from '../../docker/types.js';
import type { RegistrySpec } from '../../manifests/model.js';
import type { ExecuteOptions } from './execution-types.js';

export class ImagePulls {
  private readonly auth = new Map<string, Promise<PullAuth>>();

  constructor(
    private readonly registries: readonly RegistrySpec[],
    private readonly options: Pick<ExecuteOptions, 'registryAuth' | 'onImagePull'>,
  ) {}

  async pull(node: DockerNode, image: string, platform?: string): Promise<void> {
    const registry = registryHostOf(image);
    let credentials: PullCredentials | undefined;
    let started = performance.now();
    const report = (result: string): void => this.options.onImagePull?.({ node: node.name, image, registry, result, durationMs: Math.round(performance.now() - started), authenticated: credentials !== undefined });
    try {
      const auth = await this.authFor(registry);
      if (auth.header !== undefined) credentials = { header: auth.header, source: auth.source ?? `the credentials for ${registry}` };
    } catch (err) {
      const failure = new ImagePullError(node.name, image, (err as Error).message, { reason: 'credentials unavailable', cause: err });
      report(PULL_RESULT[failure.reason]);
      throw failure;
    }
    started = performance.now();
    try {
      await node.pullImage(image, credentials, platform);
      report('success');
    } catch (err) {
      report(err instanceof ImagePullError ? PULL_RESULT[err.reason] : 'error');
      throw err;
    }
  }

  private authFor(registry: string): Promise<PullAuth> {
    const resolver = this.options.registryAuth;
    if (!resolver) return Promise.resolve({ registry });
    let pending = this.auth.get(registry);
    if (!pending) {
      pending = resolver.authFor(registry, this.registries);
      this.auth.set(registry, pending);
    }
    return pending;
  }
}
