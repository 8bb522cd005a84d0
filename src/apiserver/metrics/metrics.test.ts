/**
 * The metrics API in process: the collector's sampling and rates against a
 * stand-in summary source, and the HTTP shapes kubectl top reads, served by
 * the real request handler over loopback HTTP with a real registry.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { resources as builtin } from '../../api/resources.ts';
import type { Summary } from '../../agent/stats/types.ts';
import { InProcessClient } from '../../client/in-process.ts';
import { resources } from '../../client/types.ts';
import { openTestRegistry, systemUser } from '../../../test/harness/registry.ts';
import { createHandler } from '../handler.ts';
import type { UserInfo } from '../http.ts';
import { MetricsCollector, scrapeTarget } from './collector.ts';
import { usageQuantities } from './handler.ts';
import { metricsResources } from './resources.ts';
import type { ScrapeTarget, SummarySource } from './scraper.ts';

const MI = 1024 * 1024;

/** A stand-in agent fleet: each node's summary advances by fixed rates per scrape. */
function fleet() {
  const calls: ScrapeTarget[] = [];
  const clock = new Map<string, number>();
  const failing = new Set<string>();
  const source: SummarySource = {
    async fetch(t) {
      calls.push(t);
      if (failing.has(t.nodeName)) throw new Error('connection refused');
      // Each scrape is 10 s later on the agent's clock.
      const n = (clock.get(t.nodeName) ?? 0) + 1;
      clock.set(t.nodeName, n);
      const time = new Date(Date.UTC(2026, 0, 1, 0, 0, n * 10)).toISOString();
      const start = new Date(Date.UTC(2025, 0, 1)).toISOString();
      const s: Summary = {
        node: { nodeName: t.nodeName, cpu: { time, usageCoreNanoSeconds: n * 2.5e9 }, memory: { time, workingSetBytes: 1536 * MI } },
        pods: [
          {
            podRef: { name: 'web', namespace: 'default', uid: `uid-web-${t.nodeName}` },
            containers: [
              { name: 'app', startTime: start, cpu: { time, usageCoreNanoSeconds: n * 1e9 }, memory: { time, workingSetBytes: 5 * MI } },
              { name: 'side', startTime: start, cpu: { time, usageCoreNanoSeconds: n * 1e7 }, memory: { time, workingSetBytes: MI } },
            ],
          },
          // A container without figures yet: the pod is left out, as metrics-server does.
          { podRef: { name: 'starting', namespace: 'default', uid: `uid-starting-${t.nodeName}` }, containers: [{ name: 'c', startTime: start }] },
        ],
      };
      return s;
    },
  };
  return { source, calls, failing };
}

const readyNode = (name: string, ip: string, port?: number, ready = true) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }],
    ...(port ? { daemonEndpoints: { kubeletEndpoint: { Port: port } } } : {}),
    allocatable: { cpu: '4', memory: '8Gi' },
  },
});

const waitFor = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('metrics collector', () => {
  it('scrape targets: Ready nodes, InternalIP, kubelet port (10250 by default)', () => {
    assert.deepEqual(scrapeTarget(readyNode('a', '10.0.0.1')), { nodeName: 'a', address: '10.0.0.1', port: 10250 });
    assert.deepEqual(scrapeTarget(readyNode('b', '10.0.0.2', 12345)), { nodeName: 'b', address: '10.0.0.2', port: 12345 });
    assert.equal(scrapeTarget(readyNode('c', '10.0.0.3', 1, false)), undefined);
  });

  it('a cold request scrapes twice and answers with rates; refresh runs while asked and stops when idle', async () => {
    const f = fleet();
    f.failing.add('broken');
    const nodes = [readyNode('n1', '10.0.0.1'), readyNode('broken', '10.0.0.9'), readyNode('down', '10.0.0.5', undefined, false)];
    const c = new MetricsCollector({ source: f.source, listNodes: async () => nodes, coldGapMs: 10, refreshMs: 60, idleMs: 200 });
    try {
      const snap = await c.get();
      assert.deepEqual(f.calls.map((t) => t.nodeName).sort(), ['broken', 'broken', 'n1', 'n1'], 'two rounds; never the NotReady node');
      assert.deepEqual(snap.nodes.get('n1'), { timestamp: Date.UTC(2026, 0, 1, 0, 0, 20), windowMs: 10_000, usage: { cpu: 250e6, memory: 1536 * MI } });
      assert.equal(snap.nodes.has('broken'), false);
      const web = snap.pods.get('uid-web-n1')!;
      assert.deepEqual(web.containers, [
        { name: 'app', usage: { cpu: 100e6, memory: 5 * MI } },
        { name: 'side', usage: { cpu: 1e6, memory: MI } },
      ]);
      assert.deepEqual(web.usage, { cpu: 101e6, memory: 6 * MI });
      assert.equal(snap.pods.has('uid-starting-n1'), false);

      // Fresh figures are served from the store, with no scrape.
      const before = f.calls.length;
      await c.get();
      assert.equal(f.calls.length, before);
      assert.ok(c.refreshing);
      await waitFor(() => f.calls.length >= before + 4); // two background rounds
      await waitFor(() => !c.refreshing, 2000);
      const settled = f.calls.length;
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(f.calls.length, settled, 'no scrapes once idle');
    } finally {
      c.stop();
    }
  });

  it('a node that joins is scraped at the next request; one that does not answer waits for the refresh', async () => {
    const f = fleet();
    f.failing.add('ghost');
    const nodes = [readyNode('ghost', '10.0.0.7')];
    const c = new MetricsCollector({ source: f.source, listNodes: async () => nodes, coldGapMs: 10, refreshMs: 60_000 });
    try {
      assert.equal((await c.get()).nodes.size, 0);
      const calls = f.calls.length;
      f.failing.delete('ghost');
      assert.equal((await c.get()).nodes.size, 0, 'a failed node is not retried on demand');
      assert.equal(f.calls.length, calls);
      nodes.push(readyNode('new', '10.0.0.8'));
      const snap = await c.get();
      assert.equal(snap.nodes.get('new')?.usage.cpu, 250e6, 'two rounds for the new node');
      assert.equal(snap.nodes.get('ghost')?.usage.cpu, 250e6, 'the recovered node came along in those rounds');
    } finally {
      c.stop();
    }
  });

  it('quantities as metrics-server writes them', () => {
    assert.deepEqual(usageQuantities({ cpu: 250e6, memory: 1536 * MI }), { cpu: '250m', memory: '1536Mi' });
    // Below 1024 bytes upstream falls back to decimal suffixes; inexact binary amounts stay plain.
    assert.deepEqual(usageQuantities({ cpu: 1234567, memory: 1000 }), { cpu: '1234567n', memory: '1k' });
    assert.deepEqual(usageQuantities({ cpu: 1.5e9, memory: 3 * MI + 512 }), { cpu: '1500m', memory: '3146240' });
    assert.equal(usageQuantities({ cpu: 2e9, memory: 0 }).cpu, '2');
  });
});

describe('metrics.k8s.io over HTTP', () => {
  let reg: Awaited<ReturnType<typeof openTestRegistry>>;
  let server: http.Server;
  let base: string;
  let collector: MetricsCollector;
  let nodeUser: UserInfo | undefined;

  before(async () => {
    reg = await openTestRegistry();
    const client = new InProcessClient(reg.registry, systemUser);
    await client.create(resources.nodes, '', readyNode('n1', '127.0.0.1', 10250));
    await client.create(resources.nodes, '', readyNode('n2', '127.0.0.2'));
    const pod = (name: string, ns: string, labels: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels },
      spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox' }] },
    });
    await client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    const web = await client.create(resources.pods, 'default', pod('web', 'default', { app: 'web' }));
    const api = await client.create(resources.pods, 'other', pod('api', 'other', { app: 'api' }));
    const uids: Record<string, string> = { web: web['metadata'].uid, api: api['metadata'].uid };
    const time = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n * 10)).toISOString();
    let n = 0;
    const source: SummarySource = {
      async fetch(t) {
        if (t.nodeName !== 'n1') throw new Error('no agent');
        n++;
        const podStats = (name: string, ns: string, cpuPerScrape: number) => ({
          podRef: { name, namespace: ns, uid: uids[name]! },
          containers: [{ name: 'app', startTime: time(0), cpu: { time: time(n), usageCoreNanoSeconds: n * cpuPerScrape }, memory: { time: time(n), workingSetBytes: 5 * MI } }],
        });
        return {
          node: { nodeName: 'n1', cpu: { time: time(n), usageCoreNanoSeconds: n * 2.5e9 }, memory: { time: time(n), workingSetBytes: 1536 * MI } },
          pods: [podStats('web', 'default', 1e9), podStats('api', 'other', 2e7), { podRef: { name: 'gone', namespace: 'default', uid: 'not-in-api' }, containers: [] }],
        };
      },
    };
    collector = new MetricsCollector({ source, listNodes: async () => (await reg.registry.storeFor('', 'nodes').list('')).items, coldGapMs: 5 });
    const handler = createHandler({
      registry: reg.registry,
      printers: () => undefined as never,
      discovery: { resources: [...builtin, ...metricsResources] },
      health: { livez: [], readyz: [] },
      version: 'v1.32.4+bramble',
      serverAddress: '127.0.0.1:6443',
      metrics: collector,
    });
    server = http.createServer((req, res) => {
      const abort = new AbortController();
      void handler(req, res, nodeUser ?? systemUser, abort.signal);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    collector?.stop();
    await new Promise((r) => server?.close(r));
    await reg?.close();
  });

  const get = async (path: string, accept = 'application/vnd.kubernetes.protobuf, */*') => {
    const res = await fetch(base + path, { headers: { accept } });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as any };
  };

  it('aggregated and legacy discovery list metrics.k8s.io/v1beta1 nodes and pods', async () => {
    const agg = await get('/apis', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json');
    const group = agg.json.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'metrics.k8s.io');
    assert.ok(group, 'group in aggregated discovery');
    assert.equal(group.versions[0].version, 'v1beta1');
    assert.deepEqual(
      group.versions[0].resources.map((r: Record<string, unknown>) => [r['resource'], r['scope'], (r['responseKind'] as { kind: string }).kind, r['verbs']]),
      [['nodes', 'Cluster', 'NodeMetrics', ['get', 'list']], ['pods', 'Namespaced', 'PodMetrics', ['get', 'list']]],
    );
    const legacy = await get('/apis', 'application/json');
    assert.ok(legacy.json.groups.some((g: { name: string }) => g.name === 'metrics.k8s.io'));
    const list = await get('/apis/metrics.k8s.io/v1beta1', 'application/json, */*');
    assert.deepEqual(list.json.resources.map((r: { name: string; namespaced: boolean }) => [r.name, r.namespaced]), [['nodes', false], ['pods', true]]);
  });

  it('NodeMetricsList: scraped nodes only, JSON to a protobuf Accept, labels from the Node', async () => {
    const r = await get('/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/json');
    assert.equal(r.json.kind, 'NodeMetricsList');
    assert.equal(r.json.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.equal(r.json.items.length, 1, 'n2 has no agent: left out');
    const [item] = r.json.items;
    assert.equal(item.metadata.name, 'n1');
    assert.deepEqual(item.metadata.labels, { 'kubernetes.io/hostname': 'n1' });
    assert.deepEqual(item.usage, { cpu: '250m', memory: '1536Mi' });
    assert.equal(item.window, '10s');
    assert.match(item.timestamp, /^2026-01-01T00:00:\d0Z$/);
    const one = await get('/apis/metrics.k8s.io/v1beta1/nodes/n1');
    assert.equal(one.json.kind, 'NodeMetrics');
    assert.deepEqual(one.json.usage, item.usage);
    const missing = await get('/apis/metrics.k8s.io/v1beta1/nodes/n2');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.reason, 'NotFound');
    assert.equal(missing.json.message, 'nodemetrics.metrics.k8s.io "n2" not found');
    assert.equal((await get('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=kubernetes.io%2Fhostname%3Dn2')).json.items.length, 0);
  });

  it('PodMetrics: per namespace, all namespaces, by name, label selector; pods unknown to the API are left out', async () => {
    const ns = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
    assert.equal(ns.json.kind, 'PodMetricsList');
    assert.deepEqual(ns.json.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['web']);
    const web = ns.json.items[0];
    assert.equal(web.metadata.namespace, 'default');
    assert.deepEqual(web.metadata.labels, { app: 'web' });
    assert.deepEqual(web.containers, [{ name: 'app', usage: { cpu: '100m', memory: '5Mi' } }]);
    const all = await get('/apis/metrics.k8s.io/v1beta1/pods');
    assert.deepEqual(all.json.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort(), ['api', 'web']);
    assert.deepEqual(all.json.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'api').containers[0].usage, { cpu: '2m', memory: '5Mi' });
    const sel = await get('/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Dapi');
    assert.deepEqual(sel.json.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['api']);
    const one = await get('/apis/metrics.k8s.io/v1beta1/namespaces/other/pods/api');
    assert.equal(one.json.kind, 'PodMetrics');
    const missing = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/api');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.message, 'podmetrics.metrics.k8s.io "default/api" not found');
  });

  it('read-only, v1beta1 only, and authorised as a resource read', async () => {
    const post = await fetch(base + '/apis/metrics.k8s.io/v1beta1/nodes', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(post.status, 405);
    assert.equal((await get('/apis/metrics.k8s.io/v1/nodes')).status, 404);
    nodeUser = { name: 'jane', groups: ['system:authenticated'], via: 'x509' };
    try {
      const denied = await get('/apis/metrics.k8s.io/v1beta1/nodes');
      assert.equal(denied.status, 403);
      assert.match(denied.json.message, /cannot list resource "nodes" in API group "metrics.k8s.io"/);
    } finally {
      nodeUser = undefined;
    }
  });
});
