/**
 * Recounting a namespace's usage for one ResourceQuota, as upstream's
 * quota.CalculateUsage: for each evaluator that accounts for some of the
 * quota's hard resources, the usage of every object of that kind in the
 * namespace that falls under the quota's scopes, masked to those
 * resources (zero where nothing counts). Objects are listed live, not from
 * a cache, so a recount never misses a write the cache has not seen yet.
 */
import { resources as servedResources } from '../../api/resources.ts';
import type { GroupResource } from '../../api/errors.ts';
import type { Client, Obj, ResourceId } from '../../client/types.ts';
import { add, mask, toList, zero, type ResourceList } from '../../admission/resource-quota-resources.ts';
import { quotaScopes } from '../../admission/resource-quota-scopes.ts';
import { countedResource, evaluatorFor, type Evaluator } from '../../admission/resource-quota-usage.ts';

/** The served resource for a group/resource (its one version), if bramble serves it. */
export function resourceIdFor(gr: GroupResource): ResourceId | undefined {
  const info = servedResources.find((r) => r.group === gr.group && r.resource === gr.resource && !r.storedAs);
  if (!info || !info.namespaced) return undefined;
  return { group: info.group, version: info.version, resource: info.resource };
}

/** The evaluators a quota needs, with the resources each accounts for. */
export function evaluatorsFor(hardNames: string[]): { ev: Evaluator; names: string[]; id: ResourceId }[] {
  const out: { ev: Evaluator; names: string[]; id: ResourceId }[] = [];
  const grs: GroupResource[] = [
    { group: '', resource: 'pods' },
    { group: '', resource: 'services' },
    { group: '', resource: 'persistentvolumeclaims' },
  ];
  for (const n of hardNames) {
    const gr = countedResource(n);
    if (gr && !grs.some((g) => g.group === gr.group && g.resource === gr.resource)) grs.push(gr);
  }
  for (const gr of grs) {
    const ev = evaluatorFor(gr);
    const names = ev.matching(hardNames);
    const id = resourceIdFor(gr);
    if (names.length && id) out.push({ ev, names, id });
  }
  return out;
}

/** The quota's new `status.used`: recounted where an evaluator applies, kept from before otherwise. */
export async function calculateUsage(client: Client, quota: Obj, now: number): Promise<ResourceList> {
  const namespace = quota['metadata'].namespace;
  const hard = toList(quota['spec']?.hard);
  const hardNames = [...hard.keys()];
  const scopes = quotaScopes(quota);
  let used: ResourceList = new Map(toList(quota['status']?.used));
  for (const { ev, names, id } of evaluatorsFor(hardNames)) {
    let sum: ResourceList = new Map(names.map((n) => [n, zero()]));
    const { items } = await client.list(id, namespace);
    for (const o of items) if (ev.matchesScopes(scopes, o)) sum = add(sum, mask(ev.usage(o, now), names));
    for (const [k, v] of sum) used.set(k, v);
  }
  used = mask(used, hardNames);
  return used;
}
