import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster, type TestCluster } from '../../../test/harness/cluster.ts';
import { resources } from '../../client/types.ts';
import { serviceAccountControllerFactory } from './serviceaccount.ts';

let tc: TestCluster;
before(async () => {
  tc = await openTestCluster({ controllers: { serviceaccount: serviceAccountControllerFactory } });
});
after(() => tc.close());

const sa = (ns: string) => tc.client.get(resources.serviceaccounts, ns, 'default').catch(() => undefined);

it('every namespace gets a default ServiceAccount, again if it is deleted, and pods run as it', async () => {
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) await tc.eventually(`default SA in ${ns}`, () => sa(ns));
  await tc.client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } });
  const first = await tc.eventually('default SA in apps', () => sa('apps'));
  await tc.client.delete(resources.serviceaccounts, 'apps', 'default');
  const again = await tc.eventually('recreated', async () => {
    const s = await sa('apps');
    return s && s.metadata.uid !== first.metadata.uid ? s : undefined;
  });
  assert.equal(again.metadata.name, 'default');
  const pod = await tc.client.create(resources.pods, 'apps', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  assert.equal(pod.spec.serviceAccountName, 'default');
  assert.equal(pod.spec.serviceAccount, 'default');
});

it('a terminating namespace gets none', async () => {
  await tc.client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed', finalizers: ['example.com/hold'] } });
  await tc.eventually('default SA in doomed', () => sa('doomed'));
  await tc.client.delete(resources.namespaces, '', 'doomed');
  await tc.eventually('namespace terminating', async () => (await tc.client.get(resources.namespaces, '', 'doomed')).status?.phase === 'Terminating');
  await tc.client.delete(resources.serviceaccounts, 'doomed', 'default');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await sa('doomed'), undefined);
});
