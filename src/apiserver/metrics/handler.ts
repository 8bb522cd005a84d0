/**
 * Serving `/apis/metrics.k8s.io/v1beta1/...` as metrics-server does: figures
 * from the collector joined with the Node and Pod objects (their labels,
 * which the label selector matches), `get` and `list` only, JSON whatever
 * the Accept header asks (kubectl decodes by Content-Type). A node or pod
 * without figures is left out of lists and is NotFound by name.
 */
import { errors } from '../../api/errors.ts';
import { Quantity } from '../../api/quantity.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Obj } from '../../registry/types.ts';
import type { RequestContext } from '../http.ts';
import { listOptions } from '../query.ts';
import type { ResourceRequest } from '../request-info.ts';
import { notFoundStatus } from '../resource-handler.ts';
import { writeJSON } from '../respond.ts';
import type { MetricsCollector, NodePoint, Usage } from './collector.ts';
import { metricsGroup, metricsVersion } from './resources.ts';

const apiVersion = `${metricsGroup}/${metricsVersion}`;

export interface MetricsDeps {
  registry: Registry;
  metrics: Pick<MetricsCollector, 'get'>;
}

/** CPU as metrics-server writes it (a nanocore-scaled quantity, canonical: `250m`, `1234567n`); memory in bytes, BinarySI. */
export function usageQuantities(u: Usage): { cpu: string; memory: string } {
  return { cpu: new Quantity(BigInt(u.cpu), -9, 'DecimalSI').toString(), memory: Quantity.of(u.memory, 'BinarySI').toString() };
}

const windowText = (ms: number) => `${Math.round(ms) / 1000}s`;

function meta(obj: Obj, now: string): Obj {
  const m: Obj = { name: obj['metadata']?.name };
  if (obj['metadata']?.namespace) m['namespace'] = obj['metadata'].namespace;
  // metrics-server stamps creation with the time of the answer: these objects are not stored.
  m['creationTimestamp'] = now;
  if (obj['metadata']?.labels) m['labels'] = obj['metadata'].labels;
  return m;
}

function point(p: NodePoint) {
  return { timestamp: new Date(p.timestamp).toISOString().replace(/\.\d+Z$/, 'Z'), window: windowText(p.windowMs) };
}

export async function serveMetrics(ctx: RequestContext, r: ResourceRequest, deps: MetricsDeps): Promise<void> {
  if (r.version !== metricsVersion || (r.resource !== 'nodes' && r.resource !== 'pods') || r.subresource) throw notFoundStatus();
  if (r.resource === 'nodes' && r.namespace) throw notFoundStatus();
  if (r.resource === 'pods' && r.verb === 'get' && !r.namespace) throw notFoundStatus();
  if (r.verb !== 'get' && r.verb !== 'list') throw errors.methodNotAllowed();
  const q = ctx.url.searchParams;
  const opts = { labelSelector: listOptions(q).labelSelector, fieldSelector: listOptions(q).fieldSelector };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  if (r.resource === 'nodes') {
    const nodes = r.verb === 'get' ? [await getOrUndefined(deps.registry, 'nodes', '', r.name)].filter((n): n is Obj => !!n) : (await deps.registry.storeFor('', 'nodes').list('', opts)).items;
    const snap = await deps.metrics.get();
    const items = [];
    for (const n of nodes) {
      const p = snap.nodes.get(n['metadata']?.name);
      if (p) items.push({ metadata: meta(n, now), ...point(p), usage: usageQuantities(p.usage) });
    }
    if (r.verb === 'get') {
      if (!items[0]) throw errors.notFound({ group: metricsGroup, resource: 'nodemetrics' }, r.name);
      return writeJSON(ctx.res, 200, { kind: 'NodeMetrics', apiVersion, ...items[0] });
    }
    return writeJSON(ctx.res, 200, { kind: 'NodeMetricsList', apiVersion, metadata: {}, items });
  }

  const pods = r.verb === 'get' ? [await getOrUndefined(deps.registry, 'pods', r.namespace, r.name)].filter((p): p is Obj => !!p) : (await deps.registry.storeFor('', 'pods').list(r.namespace, opts)).items;
  const snap = await deps.metrics.get();
  const items = [];
  for (const pod of pods) {
    const p = snap.pods.get(pod['metadata']?.uid);
    if (!p) continue;
    items.push({ metadata: meta(pod, now), ...point(p), containers: p.containers.map((c) => ({ name: c.name, usage: usageQuantities(c.usage) })) });
  }
  if (r.verb === 'get') {
    if (!items[0]) throw errors.notFound({ group: metricsGroup, resource: 'podmetrics' }, `${r.namespace}/${r.name}`);
    return writeJSON(ctx.res, 200, { kind: 'PodMetrics', apiVersion, ...items[0] });
  }
  return writeJSON(ctx.res, 200, { kind: 'PodMetricsList', apiVersion, metadata: {}, items });
}

async function getOrUndefined(registry: Registry, resource: string, ns: string, name: string): Promise<Obj | undefined> {
  try {
    return await registry.storeFor('', resource).get(ns, name);
  } catch (e) {
    if ((e as { reason?: string }).reason === 'NotFound') return undefined;
    throw e;
  }
}
