import { test } from 'node:test';
import assert from 'node:assert/strict';
import { repoKey, RepoMatcher } from '../../../src/sync/webhooks/repo-identity.js';

test('clone URLs, ssh addresses and web URLs of one repository reduce to the same host and path', () => {
  const same = [
    'https://github.com/acme/fleet-config.git',
    'https://github.com/Acme/Fleet-Config',
    'https://token:x-oauth@github.com/acme/fleet-config.git/',
    'http://github.com:8080/acme/fleet-config',
    'git@github.com:acme/fleet-config.git',
    'ssh://git@github.com:22/acme/fleet-config.git',
    'git://github.com/acme/fleet-config.git',
  ];
  for (const url of same) assert.deepEqual(repoKey(url), { host: 'github.com', path: 'acme/fleet-config' }, url);
  assert.deepEqual(repoKey('acme/fleet-config'), { host: undefined, path: 'acme/fleet-config' });
  assert.deepEqual(repoKey('https://gitlab.example.com/group/sub%20group/proj.git'), { host: 'gitlab.example.com', path: 'group/sub group/proj' });
  assert.equal(repoKey(''), undefined);
  assert.equal(repoKey('https://'), undefined);
});

test('a tracked URL matches payload URLs on host and path, and full names on path', () => {
  const m = new RepoMatcher('https://x-access-token:ghp_secret@github.com/acme/fleet-config.git');
  assert.equal(m.matches({ urls: ['git@github.com:ACME/fleet-config.git'], fullNames: [] }), true);
  assert.equal(m.matches({ urls: [], fullNames: ['acme/Fleet-Config'] }), true);
  assert.equal(m.matches({ urls: ['https://ghe.example.com/acme/fleet-config.git'], fullNames: [] }), false, 'same path on another host');
  assert.equal(m.matches({ urls: ['https://github.com/acme/fleet-config-old.git'], fullNames: ['acme/fleet-config-old'] }), false);
  assert.equal(m.matches({ urls: [], fullNames: [] }), false);
});

test('a tracked local directory matches on the repository name', () => {
  const m = new RepoMatcher('/srv/mirrors/fleet-config.git');
  assert.equal(m.matches({ urls: ['https://github.com/acme/fleet-config.git'], fullNames: [] }), true);
  assert.equal(m.matches({ urls: [], fullNames: ['acme/other'] }), false);
});
