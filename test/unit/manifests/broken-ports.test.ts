// Broken corpus, ports: each malformed `ports:` entry is reported at the entry, saying
// which part is wrong and how the entry is written.
import { brokenCase, COMPOSE } from './support.js';

brokenCase('port-unknown-protocol', 'a port with a protocol other than tcp or udp is refused', [
  { file: COMPOSE, line: 5, col: 9, pointer: '/services/web/ports/0', message: /port "53:53\/sctp" has an unknown protocol "sctp"/ },
]);

brokenCase('port-out-of-range', 'a host port above 65535 is refused as out of range', [
  { file: COMPOSE, line: 5, col: 9, pointer: '/services/web/ports/0', message: /the host port "99999" is outside 1-65535/ },
]);

brokenCase('port-range-mismatch', 'a host range mapped to a container range of another length is refused', [
  { file: COMPOSE, line: 5, col: 9, pointer: '/services/web/ports/0', message: /maps 3 host ports to 2 container ports/ },
]);

brokenCase('port-not-a-number', 'a name instead of a port, a host name instead of an address and too many colons are each refused', [
  { file: COMPOSE, line: 5, col: 9, pointer: '/services/web/ports/0', message: /the host port "http" is not a number/ },
  { file: COMPOSE, line: 6, col: 9, pointer: '/services/web/ports/1', message: /invalid host address "localhost"/ },
  { file: COMPOSE, line: 7, col: 9, pointer: '/services/web/ports/2', message: /port "1:2:3:4" has too many ":"/ },
]);

brokenCase('port-long-syntax-invalid', 'a long-syntax port with target 0 is refused at target', [
  { file: COMPOSE, line: 5, col: 17, pointer: '/services/web/ports/0/target', message: /`services\.web\.ports\[0\]\.target` must be at least 1, got 0/ },
]);

brokenCase('port-published-twice', 'one service publishing the same host port twice is refused at the second entry', [
  { file: COMPOSE, line: 6, col: 9, pointer: '/services/web/ports/1', message: /host port 8080\/tcp is already published by ports\[0\]/ },
]);
