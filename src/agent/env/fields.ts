/**
 * Downward API values: pod fields (`fieldRef`) and container resources
 * (`resourceFieldRef`), shared by env vars and downwardAPI/projected volume
 * files. Behaviour follows the kubelet 1.32:
 * - `metadata.labels` / `metadata.annotations` without a subscript render
 *   as sorted `key="value"` lines (Go-quoted values);
 * - status fields (`status.podIP(s)`, `status.hostIP(s)`) and
 *   `spec.nodeName`/`spec.serviceAccountName` are only offered to env vars
 *   (the volume plugin does not support them, as upstream);
 * - resource values are rounded up after dividing by the divisor (default
 *   1), and unset limits default to the node's allocatable.
 */
import { parseQuantity, Quantity } from '../../api/quantity.ts';
import type { Obj } from '../../client/types.ts';

/** Thrown for unsupported or malformed field and resource selectors. */
export class FieldRefError extends Error {
  readonly code: 'UnsupportedFieldPath' | 'UnsupportedResource' | 'InvalidSubscript' | 'UnknownContainer';
  constructor(code: FieldRefError['code'], message: string) {
    super(message);
    this.name = 'FieldRefError';
    this.code = code;
  }
}

/** Go's strconv.Quote for the characters config values realistically hold. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if ((c >= 0x80 && c < 0xa0) || c === 0xfeff) out += c <= 0xffff ? '\\u' + c.toString(16).padStart(4, '0') : ch;
    else out += ch;
  }
  return out + '"';
}

/** Sorted `key="value"` lines, as upstream's fieldpath.FormatMap. */
export function formatMap(m: Record<string, string> | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return keys.map((k) => `${k}=${goQuote(m![k]!)}`).join('\n');
}

/** Splits `metadata.labels['key']` into path and subscript. */
function splitSubscript(fieldPath: string): { path: string; key: string } | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const body = fieldPath.slice(0, -2);
  const at = body.indexOf("['");
  if (at <= 0) return undefined;
  return { path: body.slice(0, at), key: body.slice(at + 2) };
}

/** Extra values only the env var path offers (upstream's podFieldSelectorRuntimeValue). */
export interface RuntimeFields {
  podIPs: string[];
  hostIPs: string[];
}

/**
 * The value of a pod `fieldRef`. `runtime` given: env var semantics
 * (status and spec fields allowed); absent: downward API volume semantics.
 */
export function podFieldValue(pod: Obj, fieldRef: Obj, runtime?: RuntimeFields): string {
  const apiVersion = fieldRef.apiVersion ?? 'v1';
  if (apiVersion !== 'v1') throw new FieldRefError('UnsupportedFieldPath', `unsupported pod version: ${apiVersion}`);
  const fieldPath: string = fieldRef.fieldPath ?? '';
  const meta = pod.metadata ?? {};
  if (runtime) {
    switch (fieldPath) {
      case 'spec.nodeName':
        return pod.spec?.nodeName ?? '';
      case 'spec.serviceAccountName':
        return pod.spec?.serviceAccountName ?? '';
      case 'status.hostIP':
        return runtime.hostIPs[0] ?? '';
      case 'status.hostIPs':
        return runtime.hostIPs.join(',');
      case 'status.podIP':
        return runtime.podIPs[0] ?? '';
      case 'status.podIPs':
        return runtime.podIPs.join(',');
    }
  }
  const sub = splitSubscript(fieldPath);
  if (sub) {
    if (sub.path === 'metadata.labels') return meta.labels?.[sub.key] ?? '';
    if (sub.path === 'metadata.annotations') return meta.annotations?.[sub.key] ?? '';
    throw new FieldRefError('InvalidSubscript', `fieldPath "${fieldPath}" does not support subscript`);
  }
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
  }
  throw new FieldRefError('UnsupportedFieldPath', `unsupported fieldPath: ${fieldPath}`);
}

const defaultedResources = ['cpu', 'memory', 'ephemeral-storage'];

function quantityOf(v: unknown): Quantity | undefined {
  if (v === undefined || v === null) return undefined;
  const p = parseQuantity(v as string | number);
  return p.ok ? p.quantity : undefined;
}

/**
 * The value of a `resourceFieldRef` for `container` (or the container it
 * names). `allocatable` is the node's status.allocatable: limits the
 * container does not set default to it, as the kubelet does for the
 * downward API.
 */
export function resourceFieldValue(pod: Obj, container: Obj | undefined, ref: Obj, allocatable: Record<string, string> = {}): string {
  let c = container;
  if (ref.containerName) {
    const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as Obj[];
    c = all.find((x) => x.name === ref.containerName);
    if (!c) throw new FieldRefError('UnknownContainer', `container ${ref.containerName} not found`);
  }
  const resource: string = ref.resource ?? '';
  const dot = resource.indexOf('.');
  const kind = resource.slice(0, dot);
  const name = resource.slice(dot + 1);
  const supported = defaultedResources.includes(name) || name.startsWith('hugepages-');
  if ((kind !== 'limits' && kind !== 'requests') || !supported) {
    throw new FieldRefError('UnsupportedResource', `unsupported container resource : ${resource}`);
  }
  let q = quantityOf(c?.resources?.[kind]?.[name]);
  if (!q && kind === 'limits' && defaultedResources.includes(name)) q = quantityOf(allocatable[name]);
  q ??= Quantity.of(0);
  let divisor = quantityOf(ref.divisor);
  if (!divisor || divisor.isZero()) divisor = Quantity.of(1);
  // CPU divides in millis, the rest in whole units; both round up.
  const n = name === 'cpu' ? q.milliValue() / divisor.milliValue() : q.value() / divisor.value();
  return String(Math.ceil(n));
}
