// --docker-config / FLOTILLA_DOCKER_CONFIG / DOCKER_CONFIG / ~/.docker/config.json, resolved
// as the Docker CLI does (a directory means its config.json), and checked at start-up: a
// path an operator named that does not exist, or a config.json that does not parse, stops
// the command with a usage error that quotes none of the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerConfigFile } from '../../../src/cli/docker-config-option.js';
import { UsageError } from '../../../src/cli/options.js';

test('the Docker config comes from --docker-config, then DOCKER_CONFIG, then ~/.docker; a directory means its config.json', () => {
  const home = mkdtempSync(join(tmpdir(), 'docker-config-'));
  mkdirSync(join(home, '.docker'));
  writeFileSync(join(home, '.docker', 'config.json'), '{"auths":{}}');
  const dir = join(home, 'elsewhere');
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), '{"credsStore":"pass"}');
  const file = join(home, 'given.json');
  writeFileSync(file, '{}');
  assert.equal(dockerConfigFile({}, { HOME: home }), join(home, '.docker', 'config.json'));
  assert.equal(dockerConfigFile({}, { HOME: home, DOCKER_CONFIG: dir }), join(dir, 'config.json'));
  assert.equal(dockerConfigFile({ 'docker-config': file }, { HOME: home, DOCKER_CONFIG: dir }), file);
  assert.equal(dockerConfigFile({ 'docker-config': dir }, { HOME: home }), join(dir, 'config.json'));
  assert.equal(dockerConfigFile({}, { HOME: join(home, 'nobody') }), undefined, 'no default config: anonymous pulls');
});

test('a named path that does not exist, or a config.json that does not parse, is a usage error without its content', () => {
  const home = mkdtempSync(join(tmpdir(), 'docker-config-'));
  assert.throws(() => dockerConfigFile({ 'docker-config': join(home, 'typo.json') }, { HOME: home }), (e: unknown) => e instanceof UsageError && /--docker-config names .*typo\.json, which does not exist/.test(e.message));
  assert.throws(() => dockerConfigFile({}, { HOME: home, DOCKER_CONFIG: home }), (e: unknown) => e instanceof UsageError && /DOCKER_CONFIG names the directory .* which holds no config\.json/.test(e.message));
  const broken = join(home, 'broken.json');
  writeFileSync(broken, '{"auths": {"reg.io": "s3cret-in-a-string"}}');
  assert.throws(() => dockerConfigFile({ 'docker-config': broken }, { HOME: home }), (e: unknown) => e instanceof UsageError && /`auths` entry for reg\.io must be an object/.test(e.message) && !e.message.includes('s3cret'));
});
