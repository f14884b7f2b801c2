// Compose-style `${VAR}` interpolation. Variables come only from the stack's `.env` (never
// the daemon's own environment) so that a commit means the same thing on every machine.
// Unlike Compose, an unset variable without a default is an error rather than an empty
// string: in GitOps a silently blank value reaches production unnoticed.

/** On failure, `index` is where in the text the offending `$` reference starts. */
export type InterpolationResult = { ok: true; value: string } | { ok: false; message: string; index: number };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(text: string, vars: ReadonlyMap<string, string>): InterpolationResult {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    i = dollar;
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const close = matchingBrace(text, i + 1);
      if (close < 0) return { ok: false, index: i, message: `unterminated "\${" in ${JSON.stringify(text)}; close it with "}" or write "$$" for a literal "$"` };
      const expanded = expandBraced(text.slice(i + 2, close), vars);
      if (!expanded.ok) return { ...expanded, index: i };
      out += expanded.value;
      i = close + 1;
      continue;
    }
    const name = NAME.exec(text.slice(i + 1));
    if (name) {
      const value = vars.get(name[0]);
      if (value === undefined) return { ...unset(name[0]), index: i };
      out += value;
      i += 1 + name[0].length;
      continue;
    }
    out += '$';
    i++;
  }
  return { ok: true, value: out };
}

function unset(name: string): InterpolationResult & { ok: false } {
  return { ok: false, index: 0, message: `variable ${name} is not set in the stack's .env; set it there or give a default with \${${name}:-value}` };
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function expandBraced(body: string, vars: ReadonlyMap<string, string>): InterpolationResult {
  const name = NAME.exec(body);
  if (!name) return { ok: false, index: 0, message: `invalid variable reference "\${${body}}": a name must start with a letter or "_"` };
  const rest = body.slice(name[0].length);
  const value = vars.get(name[0]);
  if (rest === '') return value === undefined ? unset(name[0]) : { ok: true, value };

  const op = /^(:?[-?+])/.exec(rest);
  if (!op) return { ok: false, index: 0, message: `invalid variable reference "\${${body}}": expected one of :- - :? ? :+ + after ${name[0]}` };
  const operator = op[1] as string;
  const arg = rest.slice(operator.length);
  const colon = operator.startsWith(':');
  const isSet = colon ? value !== undefined && value !== '' : value !== undefined;
  switch (operator.slice(-1)) {
    case '-':
      return isSet ? { ok: true, value: value as string } : interpolate(arg, vars);
    case '+':
      return isSet ? interpolate(arg, vars) : { ok: true, value: '' };
    default: {
      if (isSet) return { ok: true, value: value as string };
      const detail = interpolate(arg, vars);
      const why = detail.ok && detail.value ? detail.value : `${name[0]} must be set`;
      return { ok: false, index: 0, message: `required variable ${name[0]} is ${value === undefined ? 'not set' : 'empty'} in the stack's .env: ${why}` };
    }
  }
}
