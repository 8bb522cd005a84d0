/**
 * The `subsets` of a Service's Endpoints, as upstream's endpoints
 * controller computes them: one address per selected pod (ready, or under
 * notReadyAddresses), one port per Service port the pod has, repacked into
 * the canonical form — addresses offering the same ports grouped into one
 * subset, sorted — so an unchanged set compares equal and is not rewritten.
 *
 * Upstream orders ports and subsets by a hash of their Go representation;
 * we order them by name/number and by content, which is just as stable.
 */
import type { Obj } from '../../client/types.ts';
import { findPort, isPodReady, podIPv4, shouldPodBeInEndpoints, shouldSetHostname, targetRef } from './pod-endpoints.ts';

/** Upstream truncates Endpoints beyond this many addresses (EndpointSlices have no such limit). */
export const maxEndpointsCapacity = 1000;

interface Entry {
  address: Obj;
  ready: boolean;
  /** undefined: a headless Service without ports. */
  port?: Obj;
}

/** One entry per (pod, Service port) pair, before repacking. */
export function endpointEntries(svc: Obj, pods: Obj[]): Entry[] {
  const spec = svc['spec'] ?? {};
  const tolerateUnready = spec.publishNotReadyAddresses === true;
  const out: Entry[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const address: Obj = { ip };
    if (shouldSetHostname(pod, svc)) address['hostname'] = pod['spec'].hostname;
    if (pod['spec']?.nodeName) address['nodeName'] = pod['spec'].nodeName;
    address['targetRef'] = targetRef(pod);
    const ready = tolerateUnready || isPodReady(pod);
    const ports: Obj[] = spec.ports ?? [];
    if (ports.length === 0) {
      if (spec.clusterIP === 'None') out.push({ address, ready });
      continue;
    }
    for (const sp of ports) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      const port: Obj = { port: n, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) port['name'] = sp.name;
      if (sp.appProtocol) port['appProtocol'] = sp.appProtocol;
      out.push({ address, ready, port });
    }
  }
  return out;
}

const addrKey = (a: Obj) => `${a['ip']}\u0000${a['targetRef']?.uid ?? ''}`;
const portKey = (p: Obj | undefined) => (p ? `${p['name'] ?? ''}\u0000${p['port']}\u0000${p['protocol']}\u0000${p['appProtocol'] ?? ''}` : '');

/** Upstream's address order: by IP bytes, then target uid (no target first). */
export function compareAddresses(a: Obj, b: Obj): number {
  if (a['ip'] !== b['ip']) return a['ip'] < b['ip'] ? -1 : 1;
  const ua = a['targetRef']?.uid;
  const ub = b['targetRef']?.uid;
  if (ua === ub) return 0;
  if (ua === undefined) return -1;
  if (ub === undefined) return 1;
  return ua < ub ? -1 : 1;
}

const comparePorts = (a: Obj, b: Obj) => (portKey(a) < portKey(b) ? -1 : portKey(a) > portKey(b) ? 1 : 0);

/** Groups entries into subsets: ports served by exactly the same addresses (with the same readiness) share one. */
export function repackSubsets(entries: Entry[]): Obj[] {
  const addrs = new Map<string, Obj>();
  const byPort = new Map<string, { port?: Obj; ready: Map<string, boolean> }>();
  for (const e of entries) {
    const ak = addrKey(e.address);
    if (!addrs.has(ak)) addrs.set(ak, e.address);
    const pk = portKey(e.port);
    let slot = byPort.get(pk);
    if (!slot) byPort.set(pk, (slot = { port: e.port, ready: new Map() }));
    // Listed both ready and not ready for one port: not ready wins, as upstream.
    const was = slot.ready.get(ak);
    if (was === undefined || was) slot.ready.set(ak, e.ready);
  }
  const groups = new Map<string, { ready: Map<string, boolean>; ports: Obj[] }>();
  for (const { port, ready } of byPort.values()) {
    const sig = [...ready].map(([k, r]) => `${k}\u0000${r}`).sort().join('\u0001');
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { ready, ports: [] }));
    if (port) g.ports.push(port);
  }
  const subsets: Obj[] = [];
  for (const g of groups.values()) {
    const ready: Obj[] = [];
    const notReady: Obj[] = [];
    for (const [k, r] of g.ready) (r ? ready : notReady).push(addrs.get(k)!);
    const ss: Obj = {};
    if (ready.length) ss['addresses'] = ready.sort(compareAddresses);
    if (notReady.length) ss['notReadyAddresses'] = notReady.sort(compareAddresses);
    if (g.ports.length) ss['ports'] = g.ports.sort(comparePorts);
    subsets.push(ss);
  }
  const text = subsets.map((s) => JSON.stringify([s['ports'] ?? [], s['addresses'] ?? [], s['notReadyAddresses'] ?? []]));
  return subsets.map((s, i) => ({ s, t: text[i]! })).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0)).map((x) => x.s);
}

/**
 * Keeps at most maxEndpointsCapacity addresses, ready ones first, spread
 * over the subsets in proportion, as upstream. Returns whether it cut.
 */
export function truncateSubsets(subsets: Obj[], max = maxEndpointsCapacity): boolean {
  let ready = 0;
  let notReady = 0;
  for (const s of subsets) {
    ready += s['addresses']?.length ?? 0;
    notReady += s['notReadyAddresses']?.length ?? 0;
  }
  if (ready + notReady <= max) return false;
  const cutReady = ready > max;
  const budget = cutReady ? max : max - ready;
  const total = cutReady ? ready : notReady;
  let left = budget;
  for (const s of subsets) {
    const list: Obj[] = (cutReady ? s['addresses'] : s['notReadyAddresses']) ?? [];
    const n = Math.min(left, Math.ceil((list.length / total) * budget));
    const kept = list.slice(0, n);
    if (cutReady) {
      if (kept.length) s['addresses'] = kept;
      else delete s['addresses'];
      delete s['notReadyAddresses'];
    } else if (kept.length) s['notReadyAddresses'] = kept;
    else delete s['notReadyAddresses'];
    left -= kept.length;
  }
  return true;
}

/** The subsets for a Service over candidate pods (already filtered by its selector). */
export function desiredSubsets(svc: Obj, pods: Obj[]): Obj[] {
  return repackSubsets(endpointEntries(svc, pods));
}
