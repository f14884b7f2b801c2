// Broken corpus, YAML level: syntax errors are reported where the mistake is (the opening
// of an unclosed quote or bracket, the over-indented line), never as a cascade.
import { brokenCase, CLUSTER_FILE, COMPOSE } from './support.js';

brokenCase('cluster-yaml-syntax', 'an unclosed { in cluster.yaml is reported once, at the brace that is never closed', [
  { file: CLUSTER_FILE, line: 9, col: 15, message: /YAML syntax error: the \{ opened here is not closed with \}/ },
]);

brokenCase('compose-yaml-bad-indent', 'an over-indented key in a compose file is reported at that line, not at the value above it', [
  { file: COMPOSE, line: 4, col: 6, message: /indented deeper than the key above it/ },
]);

brokenCase('compose-yaml-unclosed-quote', 'an unclosed quote is reported at the opening quote', [
  { file: COMPOSE, line: 3, col: 12, message: /string opened here with " is never closed/ },
]);

brokenCase('compose-yaml-unclosed-bracket', 'an unclosed [ is reported at the bracket, not at the next key where the parser gave up', [
  { file: COMPOSE, line: 4, col: 12, message: /the \[ opened here is not closed with \]/ },
]);

brokenCase('compose-duplicate-key', 'a duplicate key in a service is refused at the second occurrence and named', [
  { file: COMPOSE, line: 5, col: 5, pointer: '', message: /duplicate key "image" in the same mapping/ },
]);

brokenCase('cluster-duplicate-key', 'a duplicate top-level key in cluster.yaml is refused and named', [
  { file: CLUSTER_FILE, line: 3, col: 1, message: /duplicate key "kind"/ },
]);

brokenCase('compose-multiple-documents', 'a compose file holding a second YAML document is refused at the ---', [
  { file: COMPOSE, line: 4, col: 1, message: /exactly one YAML document.*---/ },
]);

brokenCase('compose-undefined-alias', 'an alias with no anchor is reported at the alias, not mistaken for an alias bomb', [
  { file: COMPOSE, line: 4, col: 18, message: /alias \*common-env has no anchor &common-env before it/ },
]);

brokenCase('compose-unsupported-tag', "a YAML tag such as Compose's !reset is refused instead of silently becoming a string", [
  { file: COMPOSE, line: 4, col: 12, message: /unsupported YAML tag !reset/ },
]);
