/**
 * Address pools from MetalLB's ConfigMap (the `metallb-system/config` format
 * of MetalLB up to v0.12, which seed 004 applies unchanged):
 *
 *   data:
 *     config: |
 *       address-pools:
 *       - name: company-office
 *         protocol: layer2
 *         addresses:
 *         - 10.10.10.50-10.10.10.99
 *         auto-assign: true        # optional, default true
 *
 * Only layer 2 is served (bramble announces by ARP, it speaks no BGP): a
 * `bgp` pool is left out with a reason, as is any other pool MetalLB itself
 * would reject; the other pools still apply. A document that cannot be read
 * at all is a `MetalLBConfigError` — the controller keeps the last good pools
 * then, as MetalLB does ("configuration rejected").
 */
import { parse as parseYAML } from 'yaml';
import { parsePool, PoolError, type NamedPool } from './pool.ts';

export const METALLB_NAMESPACE = 'metallb-system';
export const METALLB_CONFIGMAP = 'config';

export class MetalLBConfigError extends Error {}

export interface MetalLBConfig {
  pools: NamedPool[];
  /** Pools left out, each with why (logged and recorded as a Warning event). */
  skipped: string[];
}

export function parseMetalLBConfig(data: Record<string, unknown> | undefined): MetalLBConfig {
  const text = data?.['config'];
  if (text === undefined) return { pools: [], skipped: [] };
  if (typeof text !== 'string') throw new MetalLBConfigError('data.config: must be a string');
  let doc: unknown;
  try {
    doc = parseYAML(text);
  } catch (e) {
    throw new MetalLBConfigError(`data.config: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { pools: [], skipped: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new MetalLBConfigError('data.config: must be a mapping with "address-pools"');
  const list = (doc as Record<string, unknown>)['address-pools'] ?? [];
  if (!Array.isArray(list)) throw new MetalLBConfigError('data.config: "address-pools" must be a list');
  const pools: NamedPool[] = [];
  const skipped: string[] = [];
  const names = new Set<string>();
  list.forEach((p: unknown, i) => {
    const where = `address-pools[${i}]`;
    if (typeof p !== 'object' || p === null) return void skipped.push(`${where}: must be a mapping`);
    const o = p as Record<string, unknown>;
    const name = o['name'];
    if (typeof name !== 'string' || !name) return void skipped.push(`${where}.name: required`);
    if (names.has(name)) return void skipped.push(`${where}.name: duplicate pool name "${name}"`);
    if (o['protocol'] !== 'layer2') return void skipped.push(`${where} (${name}): protocol "${String(o['protocol'] ?? '')}" is not supported; bramble announces addresses by layer 2 (ARP) only`);
    const addrs = o['addresses'];
    if (!Array.isArray(addrs) || !addrs.length || !addrs.every((a) => typeof a === 'string')) return void skipped.push(`${where}.addresses (${name}): a non-empty list of ranges or CIDRs is required`);
    const auto = o['auto-assign'];
    if (auto !== undefined && typeof auto !== 'boolean') return void skipped.push(`${where}.auto-assign (${name}): must be true or false`);
    try {
      pools.push({ name, ranges: parsePool(addrs as string[]), autoAssign: auto !== false });
      names.add(name);
    } catch (e) {
      if (!(e instanceof PoolError)) throw e;
      skipped.push(`${where}.addresses (${name}): ${e.message}`);
    }
  });
  return { pools, skipped };
}
