// Image references are checked against Docker's grammar before anything is pulled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageReferenceProblem } from '../../../src/manifests/image-ref.js';

test('names, tags, registries with ports, nested paths and digests are accepted', () => {
  for (const image of ['nginx', 'nginx:1.27-alpine', 'library/nginx:latest', 'traefik/whoami:v1.10', 'registry.example.com:5000/team/api:v1', 'localhost:5000/x', 'ghcr.io/org/my_repo.name/sub-x', `nginx:1.27@sha256:${'b'.repeat(64)}`]) {
    assert.equal(imageReferenceProblem(image), undefined, image);
  }
});

test('uppercase repositories, empty tags, whitespace and bad separators are refused with a reason', () => {
  assert.match(imageReferenceProblem('team/Api') ?? '', /must be lowercase/);
  assert.match(imageReferenceProblem('nginx:') ?? '', /the tag after ":" is empty/);
  assert.match(imageReferenceProblem('nginx latest') ?? '', /contains whitespace/);
  assert.match(imageReferenceProblem('a..b') ?? '', /expected \[registry\/\]name\[:tag\]\[@digest\]/);
  assert.match(imageReferenceProblem('nginx:-x') ?? '', /not a valid image reference/);
  assert.match(imageReferenceProblem('nginx@sha256:abc') ?? '', /not a valid image reference/);
});

test('a pathologically long reference is refused at once', () => {
  const started = performance.now();
  assert.match(imageReferenceProblem('a-'.repeat(100_000)) ?? '', /at most 255/);
  assert.ok(performance.now() - started < 500);
});
