/**
 * API discovery documents, generated from the resource table: aggregated
 * (`apidiscovery.k8s.io/v2`, one request for everything) and the legacy
 * per-group-version `APIResourceList`s that `kubectl drain` still reads.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, groupOrder, type ResourceInfo } from '../api/resources.ts';

export interface DiscoverySource {
  resources: ResourceInfo[];
}

function groupsOf(list: ResourceInfo[]): Map<string, Map<string, ResourceInfo[]>> {
  const groups = new Map<string, Map<string, ResourceInfo[]>>();
  const order = (g: string) => {
    const i = groupOrder.indexOf(g);
    return i < 0 ? groupOrder.length : i;
  };
  const sorted = [...list].sort((a, b) => order(a.group) - order(b.group) || a.group.localeCompare(b.group));
  for (const r of sorted) {
    let versions = groups.get(r.group);
    if (!versions) groups.set(r.group, (versions = new Map()));
    let rs = versions.get(r.version);
    if (!rs) versions.set(r.version, (rs = []));
    rs.push(r);
  }
  return groups;
}

function responseKind(r: ResourceInfo, sub?: { kind?: { group: string; version: string; kind: string } }) {
  return sub?.kind ?? { group: r.group, version: r.version, kind: r.kind };
}

function aggregatedResource(r: ResourceInfo) {
  const out: Record<string, unknown> = {
    resource: r.resource,
    responseKind: responseKind(r),
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames?.length) out['shortNames'] = r.shortNames;
  if (r.categories?.length) out['categories'] = r.categories;
  if (r.subresources.length) {
    out['subresources'] = r.subresources.map((s) => ({ subresource: s.name, responseKind: responseKind(r, s), verbs: s.verbs }));
  }
  return out;
}

/** `/api` (core only) or `/apis` (all named groups) as APIGroupDiscoveryList. */
export function aggregatedDiscovery(src: DiscoverySource, core: boolean, version: 'v2' | 'v2beta1') {
  const items = [];
  for (const [group, versions] of groupsOf(src.resources)) {
    if ((group === '') !== core) continue;
    items.push({
      metadata: { name: group, creationTimestamp: null },
      versions: [...versions].map(([v, rs]) => ({ version: v, resources: rs.map(aggregatedResource), freshness: 'Current' })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string, versions: string[]) {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(src: DiscoverySource) {
  const groups = [];
  for (const [group, versions] of groupsOf(src.resources)) if (group) groups.push(apiGroup(group, [...versions.keys()]));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroupDoc(src: DiscoverySource, group: string) {
  const versions = groupsOf(src.resources).get(group);
  if (!versions || !group) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, [...versions.keys()]) };
}

/** Legacy `APIResourceList` for one group-version; subresources are listed as `pods/eviction`. */
export function apiResourceList(src: DiscoverySource, group: string, version: string) {
  const rs = groupsOf(src.resources).get(group)?.get(version);
  if (!rs) return undefined;
  const entries: Record<string, unknown>[] = [];
  for (const r of rs) {
    const e: Record<string, unknown> = {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    };
    if (r.shortNames?.length) e['shortNames'] = r.shortNames;
    if (r.categories?.length) e['categories'] = r.categories;
    e['storageVersionHash'] = createHash('sha256').update(`${apiVersionOf(r)}/${r.kind}`).digest('base64').slice(0, 11);
    entries.push(e);
    for (const s of r.subresources) {
      const sub: Record<string, unknown> = { name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced };
      if (s.kind && (s.kind.group !== r.group || s.kind.version !== r.version)) {
        sub['group'] = s.kind.group;
        sub['version'] = s.kind.version;
      }
      sub['kind'] = s.kind?.kind ?? r.kind;
      sub['verbs'] = s.verbs;
      entries.push(sub);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: entries };
}
