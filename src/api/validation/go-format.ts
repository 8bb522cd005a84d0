/**
 * Renders bad values the way upstream's field errors print them. Go prints
 * strings quoted and numbers bare, but maps and structs with `%#v`, so the
 * messages users know read like
 * `Invalid value: map[string]string{"app":"web"}: ...` and
 * `Invalid value: v1.LabelSelector{MatchLabels:...}: field is immutable`.
 */

const q = (s: unknown): string => JSON.stringify(typeof s === 'string' ? s : String(s ?? ''));

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `map[string]string{"a":"1", "b":"2"}`, keys sorted as Go's fmt sorts them. */
export function goStringMap(m: unknown): string {
  if (!isPlainObject(m)) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${q(k)}:${q(m[k])}`).join(', ')}}`;
}

/** `[]string{"a", "b"}` */
export function goStrings(a: unknown): string {
  if (!Array.isArray(a)) return '[]string(nil)';
  return `[]string{${a.map(q).join(', ')}}`;
}

/** A metav1.LabelSelector as `%#v` prints it (package name `v1`). */
export function goLabelSelector(sel: unknown): string {
  if (sel === undefined || sel === null) return 'null';
  const s = isPlainObject(sel) ? sel : {};
  const exprs = Array.isArray(s.matchExpressions) ? s.matchExpressions : undefined;
  const renderedExprs = exprs
    ? `[]v1.LabelSelectorRequirement{${exprs
        .map((e: any) => {
          const values = e?.values === undefined || e?.values === null ? '[]string(nil)' : goStrings(e.values);
          return `v1.LabelSelectorRequirement{Key:${q(e?.key)}, Operator:${q(e?.operator)}, Values:${values}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(s.matchLabels)}, MatchExpressions:${renderedExprs}}`;
}

/** An IntOrString field value as `%#v` prints the struct. */
export function goIntOrString(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'number') return `intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`;
  return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${q(v)}}`;
}

/**
 * A best-effort Go rendering of any decoded JSON value: scalars exactly,
 * string maps and string lists as `%#v`, anything else as JSON.
 */
export function goValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return goStrings(v);
  if (isPlainObject(v) && Object.values(v).every((x) => typeof x === 'string')) return goStringMap(v);
  return JSON.stringify(v);
}
