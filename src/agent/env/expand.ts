/**
 * `$(VAR)` expansion as the kubelet applies it to env values, command,
 * args and subPathExpr:
 * - `$(NAME)` becomes the mapped value; an unknown name stays `$(NAME)`;
 * - `$$` is an escaped `$` (so `$$(NAME)` yields the literal `$(NAME)`);
 * - a `$` followed by anything else, an unterminated `$(`, or a trailing
 *   `$` are kept as written.
 */

/** Expands `input`; `lookup` returns undefined for names it does not know. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        // Unterminated: emit "$(" and carry on scanning after it.
        out += '$(';
        i += 2;
      } else {
        const name = input.slice(i + 2, close);
        out += lookup(name) ?? `$(${name})`;
        i = close + 1;
      }
    } else {
      out += '$' + next;
      i += 2;
    }
  }
  return out;
}

/** A lookup over maps consulted in order (the container's variables, then service links). */
export function mappingFor(...maps: ReadonlyMap<string, string>[]): (name: string) => string | undefined {
  return (name) => {
    for (const m of maps) {
      const v = m.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
