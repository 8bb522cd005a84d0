import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { desiredGroups, sliceLabels } from './desired.ts';
import { planSlices } from './reconcile.ts';

const svc: Obj = {
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels: { app: 'web' } },
  spec: { clusterIP: '10.43.0.5', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }] },
};

function pod(i: number, o: { ready?: boolean; deleting?: boolean; node?: string; noPort?: boolean } = {}): Obj {
  return {
    metadata: { name: `p${i}`, namespace: 'ns', uid: `u${i}`, ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: o.node ?? 'n1', containers: [{ name: 'c', ports: o.noPort ? [] : [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: `10.244.${Math.floor(i / 200)}.${(i % 200) + 1}`, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const nodes: Record<string, Obj> = { n1: { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } } } };
const groups = (pods: Obj[]) => desiredGroups(svc, pods, (n) => nodes[n]);

/** Applies a plan to a slice list, naming created slices s1, s2 …, for the next round. */
function apply(slices: Obj[], plan: ReturnType<typeof planSlices>, seq = { n: 0 }): Obj[] {
  const gone = new Set(plan.delete.map((s) => s['metadata'].name));
  const updated = new Map(plan.update.map((s) => [s['metadata'].name, s]));
  const out = slices.filter((s) => !gone.has(s['metadata'].name)).map((s) => updated.get(s['metadata'].name) ?? s);
  for (const c of plan.create) out.push({ ...c, metadata: { ...c['metadata'], name: `s${++seq.n}` } });
  return out;
}

const count = (p: ReturnType<typeof planSlices>) => [p.create.length, p.update.length, p.delete.length];

test('endpoint conditions: ready, serving, terminating; zone from the node', () => {
  const [g] = [...groups([pod(1), pod(2, { ready: false }), pod(3, { deleting: true })]).values()];
  const byName = Object.fromEntries(g!.endpoints.map((e) => [e['targetRef'].name, e]));
  assert.deepEqual(byName['p1']!['conditions'], { ready: true, serving: true, terminating: false });
  assert.deepEqual(byName['p2']!['conditions'], { ready: false, serving: false, terminating: false });
  assert.deepEqual(byName['p3']!['conditions'], { ready: false, serving: true, terminating: true });
  assert.equal(byName['p1']!['zone'], 'zone-a');
  assert.deepEqual(g!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const published = desiredGroups({ ...svc, spec: { ...svc['spec'], publishNotReadyAddresses: true } }, [pod(2, { ready: false })], () => undefined);
  assert.deepEqual([...published.values()][0]!.endpoints[0]!['conditions'], { ready: true, serving: true, terminating: false });
});

test('labels: the Service labels plus service-name and managed-by; headless marked', () => {
  assert.deepEqual(sliceLabels(svc), { app: 'web', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  assert.equal(sliceLabels({ ...svc, spec: { clusterIP: 'None' } })['service.kubernetes.io/headless'], '');
});

test('planSlices: packing, stability, placeholder, strangers', () => {
  const seq = { n: 0 };
  // No endpoints: one placeholder, kept on the next round.
  let slices = apply([], planSlices(svc, [], groups([])), seq);
  assert.equal(slices.length, 1);
  assert.deepEqual([slices[0]!['endpoints'], slices[0]!['ports']], [[], []]);
  assert.deepEqual(count(planSlices(svc, slices, groups([]))), [0, 0, 0], 'placeholder kept');

  // 250 endpoints with at most 100 per slice: three slices; the placeholder (no ports) goes, as upstream.
  const pods = Array.from({ length: 250 }, (_, i) => pod(i));
  let plan = planSlices(svc, slices, groups(pods), 100);
  assert.deepEqual(count(plan), [3, 0, 1]);
  slices = apply(slices, plan, seq);
  assert.deepEqual(slices.map((s) => s['endpoints'].length).sort(), [100, 100, 50]);
  assert.ok(slices.every((s) => s['metadata'].ownerReferences?.[0]?.uid === 'svc-uid'));

  // Nothing changed: nothing written.
  assert.deepEqual(count(planSlices(svc, slices, groups(pods), 100)), [0, 0, 0]);

  // One pod turns not ready: exactly one slice is rewritten.
  const changed = pods.map((p, i) => (i === 7 ? pod(7, { ready: false }) : p));
  plan = planSlices(svc, slices, groups(changed), 100);
  assert.deepEqual(count(plan), [0, 1, 0]);
  slices = apply(slices, plan, seq);

  // A new pod goes into the slice with room, not a new slice.
  plan = planSlices(svc, slices, groups([...changed, pod(999)]), 100);
  assert.deepEqual(count(plan), [0, 1, 0]);
  assert.equal(plan.update[0]!['endpoints'].length, 51);

  // All pods gone: every slice goes, a fresh placeholder comes.
  plan = planSlices(svc, slices, groups([]), 100);
  assert.deepEqual(count(plan), [1, 0, 3]);

  // A slice left by another Service of the same name (other uid) is deleted.
  const stranger = { ...slices[0], metadata: { ...slices[0]!['metadata'], name: 'old', ownerReferences: [{ uid: 'previous', controller: true }] } };
  plan = planSlices(svc, [...slices, stranger], groups(changed), 100);
  assert.ok(plan.delete.some((s) => s['metadata'].name === 'old'));
});

test('planSlices: pods serving different port lists get different slices; a label change rewrites', () => {
  const pods = [pod(1), pod(2, { noPort: true })];
  const plan = planSlices(svc, [], groups(pods));
  assert.equal(plan.create.length, 2);
  assert.deepEqual(plan.create.map((s) => s['ports'].length).sort(), [0, 1]);
  const slices = apply([], plan);
  const relabelled = { ...svc, metadata: { ...svc['metadata'], labels: { app: 'web', tier: 'x' } } };
  const again = planSlices(relabelled, slices, desiredGroups(relabelled, pods, () => undefined));
  assert.equal(again.update.length, 2);
  assert.equal(again.update[0]!['metadata'].labels.tier, 'x');
});
