/**
 * Turning agent flags into node configurations: `--node-label k=v`,
 * `--node-taint k=v:Effect`, `--capacity cpu=4,memory=8Gi,pods=110`, and
 * the fake node's identity (nodeInfo, addresses, fallback pod CIDR). Bad
 * values are `ConfigError`s, which the CLI reports as usage errors.
 */
import { createHash } from 'node:crypto';
import { canonicalQuantity } from '../api/quantity.ts';
import type { Obj } from '../client/types.ts';
import { fakeMachineIds, goArch, kernelVersion, osImage } from './node/host-info.ts';
import { defaultLabels, fakeNodeLabel, type NodeConfig } from './node/node-object.ts';
import { ipToString, parseCIDR } from './runtime/fake/ip-pool.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** `k=v` items into labels. */
export function parseLabels(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const k = eq < 0 ? item : item.slice(0, eq);
    const v = eq < 0 ? '' : item.slice(eq + 1);
    if (eq < 0 || !labelKey.test(k) || !labelValue.test(v)) throw new ConfigError(`invalid node label "${item}" (want key=value)`);
    out[k] = v;
  }
  return out;
}

const effects = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** `key=value:Effect` or `key:Effect` items into taints. */
export function parseTaints(items: string[]): Obj[] {
  return items.map((item) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(.+)$/.exec(item);
    if (!m || !labelKey.test(m[1]!) || !labelValue.test(m[2] ?? '') || !effects.has(m[3]!)) {
      throw new ConfigError(`invalid node taint "${item}" (want key=value:Effect, Effect one of NoSchedule, PreferNoSchedule, NoExecute)`);
    }
    return m[2] ? { key: m[1], value: m[2], effect: m[3] } : { key: m[1], effect: m[3] };
  });
}

export const defaultCapacity = 'cpu=4,memory=8Gi,pods=110';

/** `cpu=4,memory=8Gi,pods=110` (also as separate items) into canonical quantities. */
export function parseCapacity(items: string[] | string): Record<string, string> {
  const list = (Array.isArray(items) ? items : [items]).flatMap((s) => s.split(',')).filter((s) => s.trim() !== '');
  const out: Record<string, string> = {};
  for (const item of list) {
    const [k, v] = item.split('=', 2).map((s) => s.trim());
    const q = v === undefined ? undefined : canonicalQuantity(v);
    if (!k || q === undefined) throw new ConfigError(`invalid capacity "${item}" (want name=quantity, e.g. memory=8Gi)`);
    out[k] = q;
  }
  if (!out['pods']) out['pods'] = '110';
  return out;
}

export interface FakeNodeSpec {
  name: string;
  internalIP: string;
  labels: Record<string, string>;
  taints: Obj[];
  capacity: Record<string, string>;
  runtimeVersion: string;
}

/** The configuration of a node on the fake runtime. */
export function fakeNodeConfig(s: FakeNodeSpec): NodeConfig {
  const arch = goArch();
  return {
    name: s.name,
    defaultLabels: defaultLabels(s.name, 'linux', arch, { [fakeNodeLabel.key]: fakeNodeLabel.value }),
    labels: s.labels,
    taints: s.taints,
    capacity: s.capacity,
    internalIP: s.internalIP,
    hostname: s.name,
    info: {
      ...fakeMachineIds(s.name),
      kernelVersion: kernelVersion(),
      osImage: osImage(),
      operatingSystem: 'linux',
      architecture: arch,
      containerRuntimeVersion: `fake://${s.runtimeVersion}`,
    },
  };
}

/** Where fallback pod CIDRs come from when the control plane allocates none: 32,768 /24s. */
export const fallbackRange = '10.128.0.0/9';

/** A /24 from the fallback range: by index (simulated nodes: unique) or by a hash of the name (one agent). */
export function fallbackPodCIDR(nameOrIndex: string | number): string {
  const { base } = parseCIDR(fallbackRange);
  const slots = 2 ** (24 - 9);
  const slot =
    typeof nameOrIndex === 'number' ? nameOrIndex % slots : createHash('sha256').update(nameOrIndex).digest().readUInt32BE(0) % slots;
  return `${ipToString(base + slot * 256)}/24`;
}

/** InternalIP of the i-th simulated node (0-based): 172.16.0.1 onwards, a private range unlikely to be routed. */
export function simNodeIP(i: number): string {
  const { base } = parseCIDR('172.16.0.0/12');
  return ipToString(base + 1 + i);
}
