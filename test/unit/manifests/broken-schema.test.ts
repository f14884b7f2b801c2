// Broken corpus, schema level: wrong apiVersion/kind, unknown keys (named, with the likely
// intended key), unsupported Compose features, wrong types and bad durations, each at the
// offending key or value.
import { brokenCase, CLUSTER_FILE, COMPOSE } from './support.js';

brokenCase('cluster-bad-apiversion', 'a wrong apiVersion names the one that is supported', [
  { file: CLUSTER_FILE, line: 1, col: 13, pointer: '/apiVersion', message: /`apiVersion` must be "flotilla\/v1alpha1", got string "flotilla\/v1"/ },
]);

brokenCase('cluster-bad-kind', 'a wrong kind names the one that is expected', [
  { file: CLUSTER_FILE, line: 2, col: 7, pointer: '/kind', message: /`kind` must be "Cluster", got string "Clustr"/ },
]);

brokenCase('cluster-unknown-key', 'an unknown key in a node is named, with the key it was meant to be', [
  { file: CLUSTER_FILE, line: 12, col: 7, pointer: '/spec/nodes/1/adress', message: /unknown key `adress` in `spec\.nodes\[1\]`: did you mean `address`\?/ },
]);

brokenCase('cluster-bad-endpoint', 'a node endpoint that is not unix://, tcp:// or ssh:// is refused with the accepted forms', [
  { file: CLUSTER_FILE, line: 11, col: 17, pointer: '/spec/nodes/1/endpoint', message: /invalid value string "http:\/\/10\.0\.0\.2:2376": an endpoint is unix:/ },
]);

brokenCase('compose-unknown-key', 'a misspelt service key is named and the intended key suggested', [
  { file: COMPOSE, line: 4, col: 5, pointer: '/services/web/enviroment', message: /unknown key `enviroment` in `services\.web`: did you mean `environment`\?/ },
]);

brokenCase('compose-build', '`build:` without `image:` is refused at the build key, with the reason', [
  { file: COMPOSE, line: 3, col: 5, pointer: '/services/web/build', message: /`build` without `image` in `services\.web`.*never builds them/ },
]);

brokenCase('compose-missing-image', 'a service without image is reported at the service name', [
  { file: COMPOSE, line: 2, col: 3, pointer: '/services/web', message: /missing the required key `image`/ },
]);

brokenCase('compose-wrong-types', 'values of the wrong type are each reported with what was expected and what was found', [
  { file: COMPOSE, line: 4, col: 12, pointer: '/services/web/ports', message: /`services\.web\.ports` must be a list, got string "8080:80"/ },
  { file: COMPOSE, line: 5, col: 16, pointer: '/services/web/read_only', message: /must be a boolean, got string "true"; write true or false without quotes/ },
  { file: COMPOSE, line: 7, col: 17, pointer: '/services/web/deploy/replicas', message: /must be an integer, got string "three"/ },
]);

brokenCase('compose-bad-durations', 'durations that are not Go-style (1d, a bare number, "5 seconds") are refused with an example', [
  { file: COMPOSE, line: 4, col: 24, pointer: '/services/web/stop_grace_period', message: /invalid value string "1d": a duration is written like 10s/ },
  { file: COMPOSE, line: 7, col: 17, pointer: '/services/web/healthcheck/interval', message: /must be a string, got number 10; a duration is written like 10s/ },
  { file: COMPOSE, line: 10, col: 16, pointer: '/services/web/deploy/update_config/delay', message: /invalid value string "5 seconds": a duration/ },
]);

brokenCase('compose-global-with-replicas', '`mode: global` with `replicas` is refused at replicas', [
  { file: COMPOSE, line: 6, col: 17, pointer: '/services/agent/deploy/replicas', message: /`replicas` cannot be set with `mode: global`/ },
]);

brokenCase('compose-invalid-service-name', 'an invalid service name is reported once, at the name, and quoted', [
  { file: COMPOSE, line: 2, col: 3, pointer: '/services/web app', message: /invalid service name "web app"/ },
]);

brokenCase('merge-key-typo-in-anchor', 'an unknown key merged in with << is reported in the anchor, where it is written', [
  { file: COMPOSE, line: 3, col: 3, pointer: '/services/web/stop_grace_periode', message: /unknown key `stop_grace_periode`.*did you mean `stop_grace_period`\?/ },
]);

brokenCase('compose-invalid-image', 'image references Docker would refuse at pull time are refused now, saying what is wrong', [
  { file: COMPOSE, line: 3, col: 12, pointer: '/services/web/image', message: /image "Nginx:latest" is not a valid image reference: repository names must be lowercase/ },
  { file: COMPOSE, line: 5, col: 12, pointer: '/services/api/image', message: /image "traefik\/whoami:" is not a valid image reference: the tag after ":" is empty/ },
]);

brokenCase('healthcheck-test-without-cmd', 'a healthcheck test list that does not start with CMD, CMD-SHELL or NONE is refused', [
  { file: COMPOSE, line: 5, col: 13, pointer: '/services/web/healthcheck/test', message: /starts with "CMD", "CMD-SHELL" or "NONE", e\.g\. \["CMD", "curl", \.\.\.\]/ },
]);

brokenCase('cluster-shared-endpoint', 'two nodes on one Docker endpoint, and TLS files on a unix:// endpoint, are refused', [
  { file: CLUSTER_FILE, line: 11, col: 17, pointer: '/spec/nodes/1/endpoint', message: /node "node-b" has the same endpoint as node "node-a"/ },
  { file: CLUSTER_FILE, line: 12, col: 7, pointer: '/spec/nodes/1/tls', message: /tls applies only to tcp:\/\/ endpoints/ },
]);
