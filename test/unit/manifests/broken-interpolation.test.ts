// Broken corpus, interpolation: unset and required variables are errors (a blank value
// must not reach production), reported at the `${...}` itself with the author's message.
import { brokenCase, COMPOSE } from './support.js';

brokenCase('var-required-with-message', "an unset ${VAR?message} fails with the author's message, at the reference", [
  { file: COMPOSE, line: 5, col: 26, pointer: '/services/db/environment/POSTGRES_PASSWORD', message: /required variable DB_PASSWORD is not set in the stack's \.env: set DB_PASSWORD in stacks\/app\/\.env/ },
]);

brokenCase('var-unset', 'an unset ${VAR} without a default is an error, not an empty string', [
  { file: COMPOSE, line: 3, col: 18, pointer: '/services/web/image', message: /variable TAG is not set in the stack's \.env; set it there or give a default with \$\{TAG:-value\}/ },
]);

brokenCase('var-required-but-empty', 'an empty ${VAR:?message} fails with the message, at the reference inside the quoted string', [
  { file: COMPOSE, line: 3, col: 19, pointer: '/services/web/image', message: /required variable TAG is empty in the stack's \.env: TAG must name a release/ },
]);

brokenCase('var-unterminated', 'an unterminated ${ is refused with how to write a literal $', [
  { file: COMPOSE, line: 5, col: 17, pointer: '/services/web/deploy/replicas', message: /unterminated "\$\{" in "\$\{REPLICAS:-2".*"\$\$" for a literal "\$"/ },
]);

brokenCase('dotenv-bad-line', 'a .env line that is not KEY=VALUE is reported at its line in the .env', [
  { file: 'stacks/app/.env', line: 2, col: 1, message: /expected KEY=VALUE, got "this line is not a pair"/ },
]);
