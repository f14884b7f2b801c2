// Broken corpus, references: stack files that are missing or outside the repo, duplicate
// names, and references inside a stack (depends_on, networks, volumes, env_file) that
// lead nowhere.
import { brokenCase, CLUSTER_FILE, COMPOSE } from './support.js';

brokenCase('stack-file-missing', 'a stack whose compose file does not exist is reported in cluster.yaml at `compose`', [
  { file: CLUSTER_FILE, line: 15, col: 16, pointer: '/spec/stacks/0/compose', message: /stack "app": compose file stacks\/app\/compose\.yaml does not exist at this revision/ },
]);

brokenCase('compose-path-escapes-repo', 'a compose path that leaves the repository is refused without being read', [
  { file: CLUSTER_FILE, line: 15, col: 16, pointer: '/spec/stacks/0/compose', message: /compose path \.\.\/shared\/compose\.yaml leaves the repository/ },
]);

brokenCase('duplicate-stack-names', 'a second stack with the same name is refused, pointing back at the first', [
  { file: CLUSTER_FILE, line: 16, col: 13, pointer: '/spec/stacks/1/name', message: /duplicate stack name "app" \(first declared on line 14\)/ },
]);

brokenCase('duplicate-node-names', 'a second node with the same name is refused, pointing back at the first', [
  { file: CLUSTER_FILE, line: 10, col: 13, pointer: '/spec/nodes/1/name', message: /duplicate node name "node-a" \(first declared on line 7\)/ },
]);

brokenCase('depends-on-unknown', 'depends_on naming a service the stack does not have is refused, listing those it has', [
  { file: COMPOSE, line: 4, col: 23, pointer: '/services/web/depends_on/1', message: /depends_on names "cache", which is not a service of this stack \(declared: web, api\)/ },
]);

brokenCase('depends-on-cycle', 'a depends_on cycle (in list and map form) is refused with the whole cycle spelt out', [
  { file: COMPOSE, line: 4, col: 5, pointer: '/services/web/depends_on', message: /depends_on forms a cycle: web -> api -> db -> web/ },
]);

brokenCase('undeclared-network', 'a service network that is not declared at the top level is refused, listing the declared ones', [
  { file: COMPOSE, line: 4, col: 16, pointer: '/services/web/networks/0', message: /network "frontend" is not declared under the top-level `networks:` \(declared: front\)/ },
]);

brokenCase('undeclared-volume', 'a named volume that is not declared at the top level is refused', [
  { file: COMPOSE, line: 5, col: 9, pointer: '/services/db/volumes/0', message: /named volume "pgdata" is not declared under the top-level `volumes:`/ },
]);

brokenCase('env-file-missing', 'an env_file that is not in the commit is refused, with the path that was looked for', [
  { file: COMPOSE, line: 4, col: 15, pointer: '/services/web/env_file', message: /env_file web\.env does not exist.*looked for stacks\/app\/web\.env/ },
]);

brokenCase('env-file-outside-repo', 'an env_file outside the repository is refused without being read', [
  { file: COMPOSE, line: 5, col: 9, pointer: '/services/web/env_file/0', message: /env_file \.\.\/\.\.\/\.\.\/etc\/environment is not inside the repository/ },
]);

brokenCase('compose-name-mismatch', 'a Compose `name` that differs from the stack name is refused', [
  { file: COMPOSE, line: 1, col: 7, pointer: '/name', message: /the Compose name "shop" differs from the stack name "app"/ },
]);

brokenCase('reserved-label', 'labels with the reserved flotilla. prefix are refused on services, deploy and networks, in map and list form', [
  { file: COMPOSE, line: 5, col: 7, pointer: '/services/web/labels/flotilla.stack', message: /label flotilla\.stack uses the reserved prefix "flotilla\."/ },
  { file: COMPOSE, line: 7, col: 28, pointer: '/services/web/deploy/labels/1', message: /label flotilla\.slot uses the reserved prefix/ },
  { file: COMPOSE, line: 10, col: 15, pointer: '/networks/default/labels/flotilla.managed', message: /label flotilla\.managed uses the reserved prefix/ },
]);

brokenCase('cross-stack-name-clash', 'two stacks whose containers or volumes would get the same Docker name are refused at the later one', [
  { file: 'stacks/shop-api/compose.yaml', line: 2, col: 3, pointer: '/services/web', message: /containers of shop-api\/web would be named shop-api-web-<slot>, exactly like those of shop\/api-web/ },
  { file: 'stacks/shop-api/compose.yaml', line: 6, col: 3, pointer: '/volumes/data', message: /volume shop-api\/data would be the Docker volume "shared-data", which shop\/data already creates/ },
]);
