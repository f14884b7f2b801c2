// Broken corpus, placement and admission policy: placement that can be proven impossible
// from the manifests, and what the cluster's policy forbids (privileged, host network,
// bind mounts outside the allowed prefixes, including `..` escapes), and credentials
// written into notifications.
import { brokenCase, CLUSTER_FILE, COMPOSE } from './support.js';

brokenCase('constraint-bad-syntax', 'a constraint with a single = and one on an unsupported attribute are both refused', [
  { file: COMPOSE, line: 7, col: 13, pointer: '/services/web/deploy/placement/constraints/0', message: /not of the form "node\.name==x".*compare with == or !=/ },
  { file: COMPOSE, line: 8, col: 13, pointer: '/services/web/deploy/placement/constraints/1', message: /uses "node\.role"; Flotilla supports node\.name, node\.hostname and node\.labels/ },
]);

brokenCase('constraint-matches-no-node', 'a constraint no node satisfies is reported at that constraint, listing the nodes and their labels', [
  { file: COMPOSE, line: 8, col: 13, pointer: '/services/web/deploy/placement/constraints/1', message: /no node satisfies the placement constraint "node\.labels\.zone==c".*node-a \(zone=a, role=web\); node-b \(zone=b, role=db\)/ },
]);

brokenCase('fixed-port-too-many-replicas', 'a fixed host port with more replicas than eligible nodes is refused at the port', [
  { file: COMPOSE, line: 5, col: 9, pointer: '/services/web/ports/0', message: /3 replicas publish the fixed host port 8080\/tcp, but only 2 node\(s\) are eligible/ },
]);

brokenCase('max-replicas-per-node-impossible', 'more replicas than max_replicas_per_node allows on the eligible nodes is refused at replicas', [
  { file: COMPOSE, line: 5, col: 17, pointer: '/services/web/deploy/replicas', message: /5 replicas cannot be placed: 2 eligible node\(s\).*max_replicas_per_node 2 hold at most 4/ },
]);

brokenCase('policy-privileged', 'privileged: true is refused when the policy does not allow it', [
  { file: COMPOSE, line: 4, col: 17, pointer: '/services/web/privileged', message: /privileged containers are forbidden by the cluster policy/ },
]);

brokenCase('policy-host-network', 'network_mode: host is refused when the policy does not allow it', [
  { file: COMPOSE, line: 4, col: 19, pointer: '/services/web/network_mode', message: /host networking is forbidden by the cluster policy/ },
]);

brokenCase('policy-bind-mount-forbidden', 'a bind mount outside the allowed prefixes is refused while one under an allowed prefix passes', [
  { file: COMPOSE, line: 6, col: 9, pointer: '/services/web/volumes/1', message: /bind mount of host path \/var\/run\/docker\.sock is forbidden.*allowed prefixes: \/srv\/data/ },
]);

brokenCase('policy-bind-mount-dotdot-escape', 'a bind mount that climbs out of an allowed prefix with .. is refused, naming where it resolves', [
  { file: COMPOSE, line: 5, col: 9, pointer: '/services/web/volumes/0', message: /\/srv\/data\/\.\.\/\.\.\/etc \(which resolves to \/etc\) is forbidden/ },
  { file: COMPOSE, line: 6, col: 9, pointer: '/services/web/volumes/1', message: /\/srv\/data\/\.\/\.\.\/secrets \(which resolves to \/srv\/secrets\) is forbidden/ },
]);

brokenCase('bind-mount-relative', 'a relative bind mount names a repo folder; one the commit does not have is refused', [
  { file: COMPOSE, line: 5, col: 9, pointer: '/services/web/volumes/0', message: /bind mount source \.\/html does not exist in the repository \(looked for stacks\/app\/html\)/ },
]);

// The third notification (github without `repository`) is incomplete, not a credential: a
// warning of `flotilla validate` (cli-validate.test.ts), never an error that holds up a deploy.
brokenCase('notification-credentials', 'a credential written into a notification is refused before merge', [
  { file: CLUSTER_FILE, line: 15, col: 12, pointer: '/spec/notifications/0/url', message: /notification ops: the slack url is a credential and must not be written in Git; .*urlFile.*urlEnv/ },
  { file: CLUSTER_FILE, line: 18, col: 12, pointer: '/spec/notifications/1/url', message: /notification ci: this webhook URL carries a user, password or query string/ },
]);
