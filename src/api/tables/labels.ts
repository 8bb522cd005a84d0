/**
 * Label maps and label selectors rendered as apimachinery renders them.
 * Selector parsing and its canonical string live in `api/selectors`; this
 * file adds the two printer-specific spellings around it.
 */
import { formatLabelSelector, fromLabelSelector, type LabelSelector } from '../selectors/label.ts';

export { formatLabelSelector };

/** `k1=v1,k2=v2` in key order (`labels.FormatLabels`), or `<none>` for an empty or missing map. */
export function formatLabels(map: Record<string, string> | undefined | null): string {
  const keys = Object.keys(map ?? {}).sort(compareStrings);
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${map![k]}`).join(',');
}

/**
 * The selector's plain string (`LabelSelectorAsSelector(s).String()`), as
 * the Deployment printer shows it: `''` for a missing or empty selector
 * rather than `<none>`, and `<invalid>` for one that does not compile.
 */
export function selectorString(selector: LabelSelector | undefined | null): string {
  if (!selector) return '';
  try {
    return fromLabelSelector(selector).toString();
  } catch {
    return '<invalid>';
  }
}

/** Byte-order comparison, as Go's sort.Strings does (localeCompare would not). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
