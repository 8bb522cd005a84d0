/**
 * Field selectors (`?fieldSelector=metadata.name=web,status.phase!=Failed`):
 * only `=`, `==` and `!=` on a per-resource set of supported fields, as
 * upstream. Values may escape `\,`, `\=` and `\\`.
 */
import { SelectorError } from './label.ts';

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
  empty: boolean;
  matches(fields: Record<string, string>): boolean;
  /** The value required by `field=value`, if the selector pins one (used to narrow lists). */
  exact(field: string): string | undefined;
}

function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  terms.push(cur);
  return terms;
}

function unescape(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === undefined || !'\\,='.includes(n)) throw new SelectorError(`invalid escape sequence in field selector value: ${JSON.stringify(v)}`);
      out += n;
      i++;
    } else if (c === '=' || c === ',') throw new SelectorError(`invalid field selector value: unescaped '${c}' in ${JSON.stringify(v)}`);
    else out += c;
  }
  return out;
}

export function parseFieldSelector(input: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (input.trim() !== '') {
    for (const term of splitTerms(input)) {
      if (term === '') continue;
      let m: RegExpMatchArray | null;
      if ((m = term.match(/^([^=!]*)(!=|==|=)(.*)$/s))) {
        const field = m[1]!.trim();
        if (!field) throw new SelectorError(`invalid field selector: ${JSON.stringify(term)}`);
        reqs.push({ field, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!) });
      } else throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    }
  }
  return {
    requirements: reqs,
    empty: reqs.length === 0,
    matches: (fields) =>
      reqs.every((r) => {
        const v = fields[r.field] ?? '';
        return r.op === '=' ? v === r.value : v !== r.value;
      }),
    exact: (field) => reqs.find((r) => r.field === field && r.op === '=')?.value,
  };
}
