/**
 * The official JavaScript client (@kubernetes/client-node) against a real
 * `bramble server`: typed create/list/patch, a raw watch, and an informer
 * that lists, watches and reacts to adds, updates and deletes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startServer, type TestServer } from '../harness/server.ts';

let srv: TestServer;
let kc: k8s.KubeConfig;
before(async () => {
  srv = await startServer();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(srv.kubeconfig);
});
after(async () => srv?.stop());

function waitFor<T>(what: string, fn: (resolve: (v: T) => void) => void, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    fn((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

describe('@kubernetes/client-node', () => {
  it('creates, lists and patches with the typed API', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn1', labels: { app: 'js' } }, data: { a: '1' } } });
    assert.equal(created.metadata?.name, 'cn1');
    assert.ok(created.metadata?.uid);
    const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app=js' });
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['cn1']);
    const patched = await core.patchNamespacedConfigMap(
      { name: 'cn1', namespace: 'default', body: { data: { a: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(patched.data, { a: '2' });
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const dep = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'jsdep' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'jsdep' } },
          template: { metadata: { labels: { app: 'jsdep' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } },
        },
      },
    });
    assert.equal(dep.spec?.replicas, 2);
    const sp = await apps.patchNamespacedDeployment(
      { name: 'jsdep', namespace: 'default', body: { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    assert.equal(sp.spec?.template.spec?.containers[0]?.image, 'nginx:1.27');
  });

  it('watches with the Watch helper', async () => {
    const watch = new k8s.Watch(kc);
    const seen: string[] = [];
    const events = waitFor<void>('ADDED and DELETED for w-js', (done) => {
      void watch
        .watch('/api/v1/namespaces/default/configmaps', { fieldSelector: 'metadata.name=w-js' }, (type, obj) => {
          seen.push(`${type}:${obj.metadata.name}`);
          if (type === 'DELETED') done();
        }, () => undefined)
        .then((req) => {
          void (async () => {
            const core = kc.makeApiClient(k8s.CoreV1Api);
            await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w-js' } } });
            await core.deleteNamespacedConfigMap({ name: 'w-js', namespace: 'default' });
          })();
          return req;
        });
    });
    await events;
    assert.deepEqual(seen, ['ADDED:w-js', 'DELETED:w-js']);
  });

  it('runs an informer: list, then add/update/delete events', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf-pre', labels: { inf: 'y' } } } });
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'inf=y' }), 'inf=y');
    const log: string[] = [];
    informer.on('add', (o) => log.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => log.push(`update:${o.metadata?.name}`));
    const deleted = waitFor<void>('informer delete', (done) =>
      informer.on('delete', (o) => {
        log.push(`delete:${o.metadata?.name}`);
        done();
      }),
    );
    await informer.start();
    assert.deepEqual(informer.list().map((o) => o.metadata?.name), ['inf-pre']);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf-new', labels: { inf: 'y' } } } });
    await core.patchNamespacedConfigMap(
      { name: 'inf-new', namespace: 'default', body: { data: { x: '1' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'inf-new', namespace: 'default' });
    await deleted;
    await informer.stop();
    assert.deepEqual(log, ['add:inf-pre', 'add:inf-new', 'update:inf-new', 'delete:inf-new']);
  });
});
