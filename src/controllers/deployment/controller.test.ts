import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { InformerFactory } from '../../client/informer.ts';
import { resources, type Obj } from '../../client/types.ts';
import { GarbageCollector } from '../garbage-collector/gc.ts';
import { startTestBinder } from '../common/testing.ts';
import { isPodReady } from '../common/pods.ts';
import { replicaSetControllerFactory } from '../replicaset/controller.ts';
import { deploymentControllerFactory } from './controller.ts';
import { equalIgnoreHash } from './replica-sets.ts';

const ns = 'default';

/** `new Deploy('web').replicas(2).image('nginx:1.14.2').obj()`. */
class Deploy {
  private readonly o: Obj;
  constructor(name: string) {
    this.o = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }] }] } },
      },
    };
  }
  replicas(n: number): this {
    this.o['spec'].replicas = n;
    return this;
  }
  rolling(maxSurge: number | string, maxUnavailable: number | string): this {
    this.o['spec'].strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } };
    return this;
  }
  recreate(): this {
    this.o['spec'].strategy = { type: 'Recreate' };
    return this;
  }
  set(path: string, v: unknown): this {
    const keys = path.split('.');
    let cur = this.o;
    for (const k of keys.slice(0, -1)) cur = cur[k] ??= {};
    cur[keys.at(-1)!] = v;
    return this;
  }
  obj(): Obj {
    return structuredClone(this.o);
  }
}

describe('Deployment controller', () => {
  let c: TestCluster;
  const stop = new AbortController();
  const get = (name: string) => c.client.get(resources.deployments, ns, name);
  const setsOf = async (name: string) => (await c.client.list(resources.replicasets, ns)).items.filter((rs) => rs['metadata'].ownerReferences?.[0]?.name === name);
  const podsOf = async (app: string) => (await c.client.list(resources.pods, ns, { labelSelector: `app=${app}` })).items;
  const patch = (name: string, body: Obj, type: 'merge' | 'json' | 'strategic' = 'merge') => c.client.patch(resources.deployments, ns, name, type, body);
  /** Waits until the rollout is complete, as `kubectl rollout status` judges it. */
  const rolledOut = (name: string, ms = 15_000) =>
    c.eventually(`${name} rolled out`, async () => {
      const d = await get(name);
      const s = d['status'] ?? {};
      const want = d['spec'].replicas;
      return (
        (s.observedGeneration ?? 0) >= d['metadata'].generation &&
        (s.updatedReplicas ?? 0) === want &&
        (s.replicas ?? 0) === want &&
        (s.availableReplicas ?? 0) === want &&
        d
      );
    }, ms);
  const events = async (name: string) => (await c.client.list(resources.events, ns)).items.filter((e) => e['involvedObject']?.name === name);

  before(async () => {
    c = await openTestCluster({ controllers: { replicaset: replicaSetControllerFactory, deployment: deploymentControllerFactory } });
    await c.addNode('n1');
    await c.addNode('n2');
    c.startKubelet();
    void startTestBinder(c.client, ['n1', 'n2'], stop.signal);
    void new GarbageCollector(c.registry).run(stop.signal);
  });
  after(async () => {
    stop.abort();
    await c.close();
  });

  it('creates a ReplicaSet named by the template hash, with revision, replica annotations, status and conditions', async () => {
    const created = await c.client.create(resources.deployments, ns, new Deploy('web').obj());
    const d = await rolledOut('web');
    const [rs, ...more] = await setsOf('web');
    assert.equal(more.length, 0);
    const hash = rs!['metadata'].labels['pod-template-hash'];
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    assert.equal(rs!['metadata'].name, `web-${hash}`);
    assert.deepEqual(rs!['spec'].selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.deepEqual(rs!['metadata'].labels, { app: 'web', 'pod-template-hash': hash });
    const expectedTemplate = structuredClone(created['spec'].template);
    expectedTemplate.metadata.labels['pod-template-hash'] = hash;
    assert.deepEqual(rs!['spec'].template, expectedTemplate, 'the defaulted template, copied exactly, plus the hash label');
    assert.deepEqual(rs!['metadata'].ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: created['metadata'].uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(rs!['metadata'].annotations['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs!['metadata'].annotations['deployment.kubernetes.io/desired-replicas'], '2');
    assert.equal(rs!['metadata'].annotations['deployment.kubernetes.io/max-replicas'], '3', '2 + 25% surge rounded up');
    assert.equal(d['metadata'].annotations['deployment.kubernetes.io/revision'], '1');
    assert.deepEqual(
      { ...d['status'], conditions: undefined },
      { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: undefined },
    );
    const conds = Object.fromEntries((d['status'].conditions as Obj[]).map((x) => [x.type, [x.status, x.reason, x.message]]));
    assert.deepEqual(conds, {
      Available: ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
      Progressing: ['True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`],
    });
    // Events are recorded asynchronously, with no order against the rollout's writes: wait for it.
    const scaling = await c.eventually('a ScalingReplicaSet event', async () => (await events('web')).find((e) => e['reason'] === 'ScalingReplicaSet'));
    assert.equal(scaling?.['message'], `Scaled up replica set web-${hash} to 2`);
    assert.equal(scaling?.['source'].component, 'deployment-controller');
  });

  it("rolls seed 001's update (maxSurge 0, maxUnavailable 1): never more than 2 pods, never fewer than 1 available", async () => {
    const seen: { max: number; minAvailable: number } = { max: 0, minAvailable: Infinity };
    const live = new Map<string, Obj>();
    const watchStop = new AbortController();
    const inf = new InformerFactory(c.client).informer(resources.pods, { labelSelector: 'app=web' });
    const observe = () => {
      const running = [...live.values()].filter((p) => !p['metadata'].deletionTimestamp);
      seen.max = Math.max(seen.max, running.length);
      seen.minAvailable = Math.min(seen.minAvailable, running.filter(isPodReady).length);
    };
    inf.addHandler({
      add: (p) => (live.set(p['metadata'].name, p), observe()),
      update: (_o, p) => (live.set(p['metadata'].name, p), observe()),
      delete: (p) => (live.delete(p['metadata'].name), observe()),
    });
    void inf.run(watchStop.signal);
    await inf.ready;
    await patch('web', {
      spec: {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
        template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.16.1', ports: [{ containerPort: 80 }] }] } },
      },
    }, 'strategic');
    const d = await rolledOut('web');
    watchStop.abort();
    assert.ok(seen.max <= 2, `at most 2 pods (saw ${seen.max})`);
    assert.ok(seen.minAvailable >= 1, `at least 1 available (saw ${seen.minAvailable})`);
    assert.equal(d['metadata'].annotations['deployment.kubernetes.io/revision'], '2');
    const sets = await setsOf('web');
    const byRev = Object.fromEntries(sets.map((rs) => [rs['metadata'].annotations['deployment.kubernetes.io/revision'], rs]));
    assert.equal(byRev['1']['spec'].replicas, 0);
    assert.equal(byRev['2']['spec'].template.spec.containers[0].image, 'nginx:1.16.1');
    assert.ok((await podsOf('web')).every((p) => p['spec'].containers[0].image === 'nginx:1.16.1'));
    // Events are recorded asynchronously: poll for this one (on a timeout, the last list read is in the message).
    const want = `Scaled down replica set ${byRev['1']['metadata'].name} to 1 from 2`;
    let msgs: string[] = [];
    await c.eventually('the scale-down event', async () => {
      msgs = (await events('web')).map((e) => e['message']);
      return msgs.includes(want);
    }).catch(() => undefined);
    assert.ok(msgs.includes(want), JSON.stringify(msgs));
  });

  it('undo (kubectl writes the old template back) re-adopts the old set with the next revision', async () => {
    const sets = await setsOf('web');
    const rev1 = sets.find((rs) => rs['metadata'].annotations['deployment.kubernetes.io/revision'] === '1')!;
    const template = structuredClone(rev1['spec'].template);
    delete template.metadata.labels['pod-template-hash'];
    const d0 = await get('web');
    await patch('web', [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': d0['metadata'].annotations['deployment.kubernetes.io/revision'] } },
    ], 'json');
    const d = await rolledOut('web');
    assert.equal(d['metadata'].annotations['deployment.kubernetes.io/revision'], '3');
    const back = await c.client.get(resources.replicasets, ns, rev1['metadata'].name);
    assert.equal(back['metadata'].annotations['deployment.kubernetes.io/revision'], '3');
    assert.equal(back['metadata'].annotations['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(back['spec'].replicas, 2);
    assert.equal((await setsOf('web')).length, 2, 'no new set: the old one was re-adopted');
    assert.ok((await podsOf('web')).every((p) => p['spec'].containers[0].image === 'nginx:1.14.2'));
  });

  it('scales 2 → 4 → 5 → 4, to 0 and back', async () => {
    for (const n of [4, 5, 4, 0, 2]) {
      await patch('web', { spec: { replicas: n } });
      await rolledOut('web');
      await c.eventually(`${n} pods`, async () => (await podsOf('web')).filter((p) => !p['metadata'].deletionTimestamp).length === n);
      const active = (await setsOf('web')).filter((rs) => rs['spec'].replicas > 0);
      assert.ok(active.length <= 1);
      if (n) assert.equal(active[0]!['metadata'].annotations['deployment.kubernetes.io/desired-replicas'], String(n));
    }
  });

  it('pause holds template changes back; resume rolls them out; restartedAt makes a new set', async () => {
    await patch('web', { spec: { paused: true } });
    await c.eventually('paused condition', async () => (await get('web'))['status']?.conditions?.some((x: Obj) => x.reason === 'DeploymentPaused'));
    await patch('web', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.17' }] } } } }, 'strategic');
    await new Promise((r) => setTimeout(r, 300));
    // The status (observedGeneration) is written by the controller's sync of the change, asynchronously: wait for
    // that sync, so the check below runs after the controller has seen the paused template change.
    await c.eventually('the paused template change observed', async () => {
      const d = await get('web');
      return d['status'].observedGeneration === d['metadata'].generation;
    });
    assert.equal((await setsOf('web')).length, 2, 'no new set while paused');
    await patch('web', { spec: { paused: null } });
    await rolledOut('web');
    assert.equal((await setsOf('web')).length, 3);
    await patch('web', { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-06-01T00:00:00Z' } } } } });
    await rolledOut('web');
    assert.equal((await setsOf('web')).length, 4);
    assert.equal((await get('web'))['metadata'].annotations['deployment.kubernetes.io/revision'], '5');
  });

  it('keeps revisionHistoryLimit old sets and copies change-cause', async () => {
    await patch('web', { metadata: { annotations: { 'kubernetes.io/change-cause': 'image 1.18' } }, spec: { revisionHistoryLimit: 1, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.18' }] } } } }, 'strategic');
    await rolledOut('web');
    await c.eventually('old sets cleaned up', async () => (await setsOf('web')).length === 2);
    const newest = (await setsOf('web')).find((rs) => rs['spec'].replicas > 0)!;
    assert.equal(newest['metadata'].annotations['kubernetes.io/change-cause'], 'image 1.18');
  });

  it('scales proportionally during a rollout', async () => {
    await c.client.create(resources.deployments, ns, new Deploy('prop').replicas(10).rolling(3, 2).obj());
    await rolledOut('prop');
    // The new pods never schedule, so the rollout stalls at old 8, new 5.
    await patch('prop', { spec: { template: { spec: { schedulerName: 'nobody' } } } }, 'strategic');
    const sizes = async () => Object.fromEntries((await setsOf('prop')).map((rs) => [rs['spec'].template.spec.schedulerName, rs['spec'].replicas]));
    await c.eventually('stalled at 8 + 5', async () => {
      const s = await sizes();
      return s['default-scheduler'] === 8 && s['nobody'] === 5;
    });
    await patch('prop', { spec: { replicas: 15 } });
    await c.eventually('old 11, new 7 (upstream proportions)', async () => {
      const s = await sizes();
      return s['default-scheduler'] === 11 && s['nobody'] === 7;
    });
  });

  it('reports ProgressDeadlineExceeded when a rollout stops moving', async () => {
    await c.client.create(resources.deployments, ns, new Deploy('stuck').replicas(1).set('spec.progressDeadlineSeconds', 1).set('spec.template.spec.schedulerName', 'nobody').obj());
    const cond = await c.eventually('deadline exceeded', async () =>
      (await get('stuck'))['status']?.conditions?.find((x: Obj) => x.type === 'Progressing' && x.reason === 'ProgressDeadlineExceeded'),
    5000);
    assert.equal(cond.status, 'False');
    assert.match(cond.message, /^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/);
    const avail = (await get('stuck'))['status'].conditions.find((x: Obj) => x.type === 'Available');
    assert.deepEqual([avail.status, avail.reason], ['False', 'MinimumReplicasUnavailable']);
  });

  it('Recreate removes every old pod before creating new ones', async () => {
    await c.client.create(resources.deployments, ns, new Deploy('rec').replicas(3).recreate().obj());
    await rolledOut('rec');
    const violations: string[] = [];
    const live = new Map<string, Obj>();
    const watchStop = new AbortController();
    const inf = new InformerFactory(c.client).informer(resources.pods, { labelSelector: 'app=rec' });
    inf.addHandler({
      add: (p) => {
        live.set(p['metadata'].name, p);
        if (p['spec'].containers[0].image === 'nginx:2') {
          const old = [...live.values()].filter((x) => x['spec'].containers[0].image !== 'nginx:2');
          if (old.length) violations.push(`${p['metadata'].name} created while ${old.map((x) => x['metadata'].name).join(',')} existed`);
        }
      },
      update: (_o, p) => void live.set(p['metadata'].name, p),
      delete: (p) => void live.delete(p['metadata'].name),
    });
    void inf.run(watchStop.signal);
    await inf.ready;
    await patch('rec', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } } } }, 'strategic');
    await rolledOut('rec');
    watchStop.abort();
    assert.deepEqual(violations, []);
    assert.equal((await podsOf('rec')).length, 3);
  });

  it('deleting a Deployment (Background) removes its sets and pods through the garbage collector', async () => {
    await c.client.delete(resources.deployments, ns, 'rec', { propagationPolicy: 'Background' });
    await c.eventually('sets and pods gone', async () => (await setsOf('rec')).length === 0 && (await podsOf('rec')).length === 0);
  });

  it('template equality ignores only the hash label, and nil equals empty', () => {
    const t = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    assert.ok(equalIgnoreHash(t, { metadata: { labels: { app: 'a', 'pod-template-hash': 'h' } }, spec: { containers: [{ name: 'c', image: 'x', env: [] }] } }));
    assert.ok(!equalIgnoreHash(t, { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'y' }] } }));
  });
});
