// Compose `platform` reaches Docker as the `platform` query of the pull and of the create.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterYaml, startFlow } from './flow-harness.js';

test('a service with a platform pulls and creates its containers with that platform', async () => {
  const flow = await startFlow({ nodeOptions: { images: [] } });
  flow.source.commit({
    'clusters/prod/cluster.yaml': clusterYaml(),
    'stacks/shop/compose.yaml': `services:
  web:
    image: web:1
    platform: linux/x86_64
    deploy: { placement: { constraints: [node.name==node-b] } }
  plain:
    image: plain:1
    deploy: { placement: { constraints: [node.name==node-b] } }
`,
  });
  assert.equal(await flow.run(), 'success');
  assert.deepEqual(flow.nodes.get('node-b')?.platforms, [
    { call: 'pull', name: 'web:1', platform: 'linux/amd64' },
    { call: 'create', name: 'shop-web-1', platform: 'linux/amd64' },
  ]);
});
