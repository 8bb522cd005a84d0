/**
 * Object lifecycles that involve the server's own controllers: garbage
 * collection by ownerReferences under each propagation policy, namespace
 * deletion, pod binding and eviction, and the events.k8s.io view.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type TestServer } from '../harness/server.ts';
import { apiClient, type ApiClient } from '../harness/api.ts';

let srv: TestServer;
let api: ApiClient;
before(async () => {
  srv = await startServer();
  api = apiClient(srv.kubeconfig);
});
after(async () => srv?.stop());

const cms = '/api/v1/namespaces/default/configmaps';

async function eventually(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for: ${what}`);
}

const gone = (path: string) => async () => (await api.request('GET', path)).status === 404;

/** An owner ConfigMap and `n` dependents referencing it. */
async function family(prefix: string, n: number, block = false): Promise<string> {
  const owner = (await api.request('POST', cms, { metadata: { name: `${prefix}-owner` } })).json;
  for (let i = 0; i < n; i++) {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name, uid: owner.metadata.uid, ...(block ? { blockOwnerDeletion: true } : {}) };
    const r = await api.request('POST', cms, { metadata: { name: `${prefix}-dep${i}`, ownerReferences: [ref] } });
    assert.equal(r.status, 201);
  }
  return owner.metadata.uid;
}

describe('garbage collection', () => {
  it('Background: deletes the owner at once, then its dependents', async () => {
    await family('bg', 2);
    const r = await api.request('DELETE', `${cms}/bg-owner`, { propagationPolicy: 'Background' });
    assert.equal(r.status, 200);
    assert.equal((await api.request('GET', `${cms}/bg-owner`)).status, 404);
    await eventually('dependents deleted', async () => (await gone(`${cms}/bg-dep0`)()) && (await gone(`${cms}/bg-dep1`)()));
  });

  it('Orphan: keeps dependents and removes their owner references', async () => {
    await family('or', 2);
    await api.request('DELETE', `${cms}/or-owner`, { propagationPolicy: 'Orphan' });
    await eventually('owner deleted after orphaning', gone(`${cms}/or-owner`));
    for (const d of ['or-dep0', 'or-dep1']) {
      const dep = await api.request('GET', `${cms}/${d}`);
      assert.equal(dep.status, 200);
      assert.equal(dep.json.metadata.ownerReferences, undefined);
    }
  });

  it('Foreground: the owner waits, marked, until blocking dependents are gone', async () => {
    await family('fg', 2, true);
    const r = await api.request('DELETE', `${cms}/fg-owner`, { propagationPolicy: 'Foreground' });
    assert.equal(r.status, 200);
    assert.ok(r.json.metadata.deletionTimestamp);
    assert.deepEqual(r.json.metadata.finalizers, ['foregroundDeletion']);
    await eventually('dependents and then owner deleted', async () => (await gone(`${cms}/fg-dep0`)()) && (await gone(`${cms}/fg-owner`)()));
    assert.equal((await api.request('GET', `${cms}/fg-dep1`)).status, 404);
  });

  it('deletes a dependent created after its owner is gone', async () => {
    const r = await api.request('POST', cms, {
      metadata: { name: 'stray', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'never', uid: '00000000-0000-0000-0000-000000000000' }] },
    });
    assert.equal(r.status, 201);
    await eventually('stray dependent collected', gone(`${cms}/stray`));
  });

  it('keeps a dependent that still has a live owner', async () => {
    const a = (await api.request('POST', cms, { metadata: { name: 'two-a' } })).json;
    const b = (await api.request('POST', cms, { metadata: { name: 'two-b' } })).json;
    const ref = (o: any) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name, uid: o.metadata.uid });
    await api.request('POST', cms, { metadata: { name: 'two-dep', ownerReferences: [ref(a), ref(b)] } });
    await api.request('DELETE', `${cms}/two-a`);
    await eventually('dangling reference removed', async () => {
      const d = await api.request('GET', `${cms}/two-dep`);
      return d.status === 200 && d.json.metadata.ownerReferences.length === 1;
    });
    assert.equal((await api.request('GET', `${cms}/two-dep`)).json.metadata.ownerReferences[0].name, 'two-b');
  });
});

describe('namespace deletion', () => {
  it('empties a namespace, waits for finalizers, then removes it', async () => {
    assert.equal((await api.request('POST', '/api/v1/namespaces', { metadata: { name: 'scratch' } })).status, 201);
    const ns = '/api/v1/namespaces/scratch';
    await api.request('POST', `${ns}/configmaps`, { metadata: { name: 'a' } });
    await api.request('POST', `${ns}/secrets`, { metadata: { name: 's' }, stringData: { k: 'v' } });
    await api.request('POST', `${ns}/configmaps`, { metadata: { name: 'held', finalizers: ['example.com/x'] } });
    const del = await api.request('DELETE', ns);
    assert.equal(del.status, 200);
    assert.equal(del.json.status.phase, 'Terminating');
    const refused = await api.request('POST', `${ns}/configmaps`, { metadata: { name: 'late' } });
    assert.equal(refused.status, 403);
    assert.match(refused.json.message, /because it is being terminated/);
    await eventually('content deleted', async () => (await gone(`${ns}/configmaps/a`)()) && (await gone(`${ns}/secrets/s`)()));
    await eventually('condition explains the wait', async () =>
      ((await api.request('GET', ns)).json.status?.conditions ?? []).some((c: any) => c.type === 'NamespaceContentRemaining'),
    );
    assert.equal((await api.request('GET', ns)).status, 200, 'namespace stays while content remains');
    await api.request('PATCH', `${ns}/configmaps/held`, { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
    await eventually('namespace removed', gone(ns), 8000);
  });
});

describe('pods: binding and eviction', () => {
  const pods = '/api/v1/namespaces/default/pods';
  const pod = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    // A scheduler nobody runs: the server's own would otherwise race the test's binding,
    // writing PodScheduled=False (no nodes) after the binding wrote True.
    spec: { schedulerName: 'test-binds-by-hand', containers: [{ name: 'c', image: 'busybox' }] },
  });

  it('binds once; a second binding is a conflict', async () => {
    await api.request('POST', pods, pod('b1'));
    const bind = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b1' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } };
    const r = await api.request('POST', `${pods}/b1/binding`, bind);
    assert.equal(r.status, 201);
    const p = (await api.request('GET', `${pods}/b1`)).json;
    assert.equal(p.spec.nodeName, 'node-1');
    assert.equal(p.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
    const again = await api.request('POST', `${pods}/b1/binding`, { ...bind, target: { kind: 'Node', name: 'node-2' } });
    assert.equal(again.status, 409);
    assert.match(again.json.message, /already assigned to node "node-1"/);
  });

  it('evicts when no budget forbids it, answers 429 when one does', async () => {
    await api.request('POST', pods, pod('e1', { app: 'guarded' }));
    await api.request('POST', pods, pod('e2', { app: 'free' }));
    const ready = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
    await api.request('PATCH', `${pods}/e1/status`, ready, { 'content-type': 'application/merge-patch+json' });
    const pdb = await api.request('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'guard' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } },
    });
    assert.equal(pdb.status, 201);
    await api.request(
      'PATCH',
      '/apis/policy/v1/namespaces/default/poddisruptionbudgets/guard/status',
      { status: { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } },
      { 'content-type': 'application/merge-patch+json' },
    );
    const ev = (name: string) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, deleteOptions: {} });
    const blocked = await api.request('POST', `${pods}/e1/eviction`, ev('e1'));
    assert.equal(blocked.status, 429);
    assert.equal(blocked.json.reason, 'TooManyRequests');
    assert.equal(blocked.json.details.causes[0].reason, 'DisruptionBudget');
    assert.equal((await api.request('GET', `${pods}/e1`)).status, 200);
    const ok = await api.request('POST', `${pods}/e2/eviction`, ev('e2'));
    assert.equal(ok.status, 201);
    assert.equal(ok.json.status, 'Success');
    assert.equal((await api.request('GET', `${pods}/e2`)).status, 404);
  });

  it('lets a running but not-Ready pod go without spending budget, and marks evicted pods', async () => {
    // A guarded pod that is Running but not Ready, under the default IfHealthyBudget policy with a healthy budget.
    await api.request('POST', pods, { ...pod('e3', { app: 'guarded' }), spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] } });
    await api.request('PATCH', `${pods}/e3/status`, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } }, { 'content-type': 'application/merge-patch+json' });
    const ev = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'e3', namespace: 'default' }, deleteOptions: {} };
    const r = await api.request('POST', `${pods}/e3/eviction`, ev);
    assert.equal(r.status, 201, r.text);
    const evicted = (await api.request('GET', `${pods}/e3`)).json;
    assert.ok(evicted.metadata.deletionTimestamp, 'bound pods are deleted gracefully');
    const cond = evicted.status.conditions.find((c: any) => c.type === 'DisruptionTarget');
    assert.deepEqual([cond.status, cond.reason], ['True', 'EvictionByEvictionAPI']);
    const pdb = (await api.request('GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/guard')).json;
    assert.equal(pdb.status.disruptionsAllowed, 0, 'no budget was spent');
  });
});

describe('events in both API groups', () => {
  it('serves core events as events.k8s.io/v1 and back', async () => {
    const core = await api.request('POST', '/api/v1/namespaces/default/events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'ev1' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default', uid: 'u1' },
      reason: 'Started',
      message: 'Started container',
      type: 'Normal',
      count: 2,
      source: { component: 'kubelet', host: 'node-1' },
    });
    assert.equal(core.status, 201);
    const v1 = (await api.request('GET', '/apis/events.k8s.io/v1/namespaces/default/events/ev1')).json;
    assert.equal(v1.apiVersion, 'events.k8s.io/v1');
    assert.equal(v1.note, 'Started container');
    assert.equal(v1.regarding.name, 'p');
    assert.equal(v1.deprecatedCount, 2);
    const byField = (await api.request('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.uid%3Du1,involvedObject.name%3Dp')).json;
    assert.equal(byField.items.length, 1);
  });
});
