/**
 * Label selectors, as upstream k8s.io/apimachinery/pkg/labels: the string
 * form used in `?labelSelector=` (`app=nginx,tier!=db,env in (a,b),!canary`)
 * and the structured `LabelSelector` (matchLabels/matchExpressions) used in
 * specs. Both compile to the same list of requirements.
 */
export type Operator = 'exists' | 'notexists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A compiled selector; `empty` selects everything. */
export interface Selector {
  requirements: Requirement[];
  matches(labels: Record<string, string> | undefined): boolean;
  empty: boolean;
  /** Upstream's canonical string form (requirements sorted by key). */
  toString(): string;
}

/** Thrown for unparsable selector strings; the apiserver maps it to 400. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

const nameRe = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const dnsSubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): void {
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !dnsSubdomainRe.test(prefix))) {
    throw new SelectorError(`invalid label key "${key}": prefix part must be a valid DNS subdomain`);
  }
  if (!name || name.length > 63 || !nameRe.test(name)) {
    throw new SelectorError(
      `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

function checkValue(v: string): void {
  if (v === '') return;
  if (v.length > 63 || !nameRe.test(v)) {
    throw new SelectorError(
      `invalid label value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

function matchOne(r: Requirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels![r.key]! : undefined;
  switch (r.op) {
    case 'exists':
      return has;
    case 'notexists':
      return !has;
    case '=':
    case 'in':
      return has && r.values.includes(v!);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(v!);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const n = Number(v);
      const bound = Number(r.values[0]);
      return r.op === 'gt' ? n > bound : n < bound;
    }
  }
}

function requirementString(r: Requirement): string {
  switch (r.op) {
    case 'exists':
      return r.key;
    case 'notexists':
      return `!${r.key}`;
    case '=':
      return `${r.key}=${r.values[0]}`;
    case '!=':
      return `${r.key}!=${r.values[0]}`;
    case 'in':
      return `${r.key} in (${[...r.values].sort().join(',')})`;
    case 'notin':
      return `${r.key} notin (${[...r.values].sort().join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
  }
}

export function selectorFrom(requirements: Requirement[]): Selector {
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: sorted,
    empty: sorted.length === 0,
    matches: (labels) => sorted.every((r) => matchOne(r, labels)),
    toString: () => sorted.map(requirementString).join(','),
  };
}

export const everything: Selector = selectorFrom([]);

/** A selector matching nothing: a nil LabelSelector in some contexts. */
export const nothing: Selector = {
  requirements: [],
  empty: false,
  matches: () => false,
  toString: () => '<none>',
};

// --- string form --------------------------------------------------------

type Tok = { t: 'id' | 'op' | '(' | ')' | ',' | 'end'; v: string };

function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, v: c });
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if (c === '=' || c === '!' || c === '>' || c === '<') {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && !' \t(),=!<>'.includes(s[j]!)) j++;
    out.push({ t: 'id', v: s.slice(i, j) });
    i = j;
  }
  out.push({ t: 'end', v: '' });
  return out;
}

/** Parses the `?labelSelector=` string form. Throws SelectorError. */
export function parseLabelSelector(input: string): Selector {
  const toks = lex(input);
  let p = 0;
  const peek = () => toks[p]!;
  const next = () => toks[p++]!;
  const reqs: Requirement[] = [];
  const expectId = (what: string): string => {
    const t = next();
    if (t.t !== 'id') throw new SelectorError(`unable to parse requirement: found '${t.v || 'end of string'}', expected: ${what}`);
    return t.v;
  };
  // `(a,b)`; an empty slot (`()`, `(a,)`) stands for the empty value, as upstream.
  const valueList = (): string[] => {
    const open = next();
    if (open.t !== '(') throw new SelectorError(`unable to parse requirement: found '${open.v}', expected: '('`);
    const vals = new Set<string>();
    let wantValue = true;
    for (;;) {
      const t = next();
      if (t.t === 'id' && wantValue) {
        checkValue(t.v);
        vals.add(t.v);
        wantValue = false;
      } else if (t.t === ',' || t.t === ')') {
        if (wantValue) vals.add('');
        if (t.t === ')') return [...vals];
        wantValue = true;
      } else throw new SelectorError(`unable to parse requirement: found '${t.v || 'end of string'}', expected: ',' or ')'`);
    }
  };
  if (peek().t === 'end') return everything;
  for (;;) {
    const t = peek();
    if (t.t === 'op' && t.v === '!') {
      p++;
      const key = expectId('identifier');
      checkKey(key);
      reqs.push({ key, op: 'notexists', values: [] });
    } else {
      const key = expectId('identifier');
      checkKey(key);
      const o = peek();
      if (o.t === ',' || o.t === 'end') reqs.push({ key, op: 'exists', values: [] });
      else if (o.t === 'op') {
        p++;
        const op: Operator = o.v === '=' || o.v === '==' ? '=' : o.v === '!=' ? '!=' : o.v === '>' ? 'gt' : o.v === '<' ? 'lt' : '=';
        if (o.v === '!') throw new SelectorError(`unable to parse requirement: found '!', expected: '=', '!=', '==', 'in', notin'`);
        const vt = peek();
        const value = vt.t === 'id' ? (p++, vt.v) : '';
        if ((op === 'gt' || op === 'lt') && !/^-?\d+$/.test(value)) {
          throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
        }
        if (op === '=' || op === '!=') checkValue(value);
        reqs.push({ key, op, values: [value] });
      } else if (o.t === 'id' && (o.v === 'in' || o.v === 'notin')) {
        p++;
        reqs.push({ key, op: o.v, values: valueList() });
      } else throw new SelectorError(`unable to parse requirement: found '${o.v}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const sep = next();
    if (sep.t === 'end') break;
    if (sep.t !== ',') throw new SelectorError(`unable to parse requirement: found '${sep.v}', expected: ','`);
  }
  return selectorFrom(reqs);
}

/**
 * Compiles a structured LabelSelector. As upstream (metav1.LabelSelectorAsSelector),
 * undefined selects nothing and `{}` selects everything.
 */
export function fromLabelSelector(sel: LabelSelector | undefined | null): Selector {
  if (sel === undefined || sel === null) return nothing;
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    checkKey(key);
    checkValue(value);
    reqs.push({ key, op: '=', values: [value] });
  }
  for (const e of sel.matchExpressions ?? []) {
    checkKey(e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw new SelectorError(`for 'in', 'notin' operators, values set can't be empty`);
        values.forEach(checkValue);
        reqs.push({ key: e.key, op: e.operator === 'In' ? 'in' : 'notin', values: [...values] });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length) throw new SelectorError(`values set must be empty for exists and does not exist`);
        reqs.push({ key: e.key, op: e.operator === 'Exists' ? 'exists' : 'notexists', values: [] });
        break;
      default:
        throw new SelectorError(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  return selectorFrom(reqs);
}

/** The selector string upstream prints for a LabelSelector (`<none>` for nil, as FormatLabelSelector). */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  if (!sel) return '<none>';
  try {
    const s = fromLabelSelector(sel).toString();
    return s === '' ? '<none>' : s;
  } catch {
    return '<error>';
  }
}
