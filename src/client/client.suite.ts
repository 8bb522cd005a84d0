/**
 * Conformance suite for Client implementations: the in-process client and
 * the HTTP client must behave alike (results, errors, watch events), and an
 * Informer over either must track the same state.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isApiError } from '../api/errors.ts';
import { Informer } from './informer.ts';
import { resources, type ApiWatchEvent, type Client, type Obj } from './types.ts';

export interface ClientUnderTest {
  client: Client;
  close(): Promise<void>;
}

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): Obj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function runClientSuite(name: string, open: () => Promise<ClientUnderTest>): void {
  describe(`${name} client conformance`, () => {
    let t: ClientUnderTest;
    let c: Client;
    before(async () => {
      t = await open();
      c = t.client;
    });
    after(async () => t?.close());

    it('creates, gets and lists with type information', async () => {
      const created = await c.create(resources.configmaps, 'default', cm('a', { k: 'v' }, { app: 'x' }));
      assert.match(created['metadata'].uid, /^[0-9a-f-]{36}$/);
      const got = await c.get(resources.configmaps, 'default', 'a');
      assert.deepEqual(got['data'], { k: 'v' });
      const list = await c.list(resources.configmaps, 'default', { labelSelector: 'app=x' });
      assert.deepEqual(list.items.map((i) => [i['apiVersion'], i['kind'], i['metadata'].name]), [['v1', 'ConfigMap', 'a']]);
      assert.match(list.resourceVersion, /^\d+$/);
    });

    it('reports errors as catalogue ApiErrors', async () => {
      await assert.rejects(c.get(resources.configmaps, 'default', 'missing'), (e) => isApiError(e, 'NotFound'));
      await assert.rejects(c.create(resources.configmaps, 'default', cm('a')), (e) => isApiError(e, 'AlreadyExists'));
      const cur = await c.get(resources.configmaps, 'default', 'a');
      await c.update(resources.configmaps, 'default', { ...cur, data: { k: 'v2' } });
      await assert.rejects(c.update(resources.configmaps, 'default', { ...cur, data: { k: 'v3' } }), (e) => isApiError(e, 'Conflict'));
      await assert.rejects(
        c.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [{ name: 'c' }] } }),
        (e) => isApiError(e, 'Invalid'),
      );
    });

    it('patches with every patch type, including server-side apply', async () => {
      await c.patch(resources.configmaps, 'default', 'a', 'merge', { data: { m: '1' } });
      await c.patch(resources.configmaps, 'default', 'a', 'strategic', { metadata: { labels: { s: '1' } } });
      await c.patch(resources.configmaps, 'default', 'a', 'json', [{ op: 'add', path: '/data/j', value: '1' }]);
      const applied = await c.patch(resources.configmaps, 'default', 'applied', 'apply', cm('applied', { x: 'y' }), { fieldManager: 'suite' });
      assert.deepEqual(applied['data'], { x: 'y' });
      const a = await c.get(resources.configmaps, 'default', 'a');
      assert.equal(a['data'].m, '1');
      assert.equal(a['data'].j, '1');
      assert.equal(a['metadata'].labels.s, '1');
    });

    it('writes status through the status subresource only', async () => {
      const pod = await c.create(resources.pods, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p1' },
        // A scheduler name nobody serves: where the suite runs against a whole
        // server, its scheduler would otherwise write PodScheduled=False to the
        // pod between these steps and make the status update a conflict.
        spec: { schedulerName: 'suite-no-scheduler', containers: [{ name: 'c', image: 'busybox' }] },
      });
      const st = await c.update(resources.pods, 'default', { ...pod, status: { ...pod["status"], phase: "Running" } }, { subresource: 'status' });
      assert.equal(st['status'].phase, 'Running');
      const patched = await c.patch(resources.pods, 'default', 'p1', 'merge', { status: { phase: 'Failed' } });
      assert.equal(patched['status'].phase, 'Running', 'main-resource writes leave status alone');
    });

    it('binds a pod and evicts it through subresources', async () => {
      await c.createSubresource(resources.pods, 'default', 'p1', 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'p1' },
        target: { kind: 'Node', name: 'n1' },
      });
      assert.equal((await c.get(resources.pods, 'default', 'p1'))['spec'].nodeName, 'n1');
      await c.createSubresource(resources.pods, 'default', 'p1', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1' } });
      const after = await c.get(resources.pods, 'default', 'p1');
      assert.ok(after['metadata'].deletionTimestamp, 'an evicted pod on a node is deleted gracefully');
      await c.delete(resources.pods, 'default', 'p1', { gracePeriodSeconds: 0 });
      await assert.rejects(c.get(resources.pods, 'default', 'p1'), (e) => isApiError(e, 'NotFound'));
    });

    it('watches from a resourceVersion and from "0"', async () => {
      const start = (await c.list(resources.configmaps, 'default')).resourceVersion;
      const abort = new AbortController();
      const seen: ApiWatchEvent[] = [];
      const w = await c.watch(resources.configmaps, 'default', { resourceVersion: start }, abort.signal);
      const pumping = w.pump((evs) => seen.push(...evs));
      await c.create(resources.configmaps, 'default', cm('w1'));
      await c.patch(resources.configmaps, 'default', 'w1', 'merge', { data: { a: 'b' } });
      await c.delete(resources.configmaps, 'default', 'w1');
      await until('three events', () => seen.length >= 3);
      assert.deepEqual(seen.map((e) => `${e.type}:${e.object['metadata'].name}`), ['ADDED:w1', 'MODIFIED:w1', 'DELETED:w1']);
      abort.abort();
      await pumping;
      const zero = new AbortController();
      const initial: string[] = [];
      const w0 = await c.watch(resources.configmaps, 'default', { resourceVersion: '0', fieldSelector: 'metadata.name=a' }, zero.signal);
      const p0 = w0.pump((evs) => initial.push(...evs.map((e) => e.type)));
      await until('initial ADDED', () => initial.length >= 1);
      assert.deepEqual(initial, ['ADDED']);
      zero.abort();
      await p0;
    });

    it('keeps an informer in step with adds, updates and deletes', async () => {
      const abort = new AbortController();
      const inf = new Informer(c, resources.configmaps, { namespace: 'kube-public', labelSelector: 'inf=1' });
      inf.addIndex('byData', (o) => Object.keys(o['data'] ?? {}));
      const log: string[] = [];
      inf.addHandler({
        add: (o) => log.push(`add:${o['metadata'].name}`),
        update: (_o, n) => log.push(`update:${n['metadata'].name}`),
        delete: (o) => log.push(`delete:${o['metadata'].name}`),
      });
      await c.create(resources.configmaps, 'kube-public', cm('before', {}, { inf: '1' }));
      const running = inf.run(abort.signal);
      await inf.ready;
      assert.deepEqual(inf.keys(), ['kube-public/before']);
      await c.create(resources.configmaps, 'kube-public', cm('later', { x: '1' }, { inf: '1' }));
      await c.create(resources.configmaps, 'kube-public', cm('other', {}, { inf: '2' }));
      await c.patch(resources.configmaps, 'kube-public', 'later', 'merge', { data: { y: '2' } });
      await c.delete(resources.configmaps, 'kube-public', 'before');
      await until('informer events', () => log.length >= 4);
      assert.deepEqual(log, ['add:before', 'add:later', 'update:later', 'delete:before']);
      assert.deepEqual(inf.byIndex('byData', 'y').map((o) => o['metadata'].name), ['later']);
      assert.equal(inf.getByName('kube-public', 'other'), undefined);
      abort.abort();
      await running;
    });
  });
}
