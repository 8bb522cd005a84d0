import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Obj } from '../../client/types.ts';
import { claimOwnerUpToDate, claimsFor, setClaimOwnerRefs } from './claims.ts';
import { identityMatches, inOrdinalRange, newStatefulPod, parentAndOrdinal, storageMatches } from './identity.ts';
import { newVersionedPod } from './update.ts';

const set = (spec: Obj = {}): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'ns', uid: 'set-uid' },
  spec: {
    replicas: 2,
    serviceName: 'web-svc',
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'] } }],
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    ...spec,
  },
  status: {},
});

describe('pod identity', () => {
  it('parses ordinals from names', () => {
    const cases: [string, string, number][] = [
      ['web-0', 'web', 0],
      ['my-web-12', 'my-web', 12],
      ['web', '', -1],
      ['web-x', '', -1],
    ];
    for (const [name, parent, ordinal] of cases) assert.deepEqual(parentAndOrdinal(name), { parent, ordinal }, name);
  });

  it('builds pods with stable names, hostnames, labels and claim volumes', () => {
    const p = newStatefulPod(set(), 1, 'web-abc');
    assert.equal(p['metadata'].name, 'web-1');
    assert.equal(p['metadata'].generateName, undefined);
    assert.deepEqual(p['metadata'].labels, { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1', 'controller-revision-hash': 'web-abc' });
    assert.equal(p['spec'].hostname, 'web-1');
    assert.equal(p['spec'].subdomain, 'web-svc');
    assert.deepEqual(p['spec'].volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }, { name: 'cfg', configMap: { name: 'c' } }]);
    assert.equal(p['metadata'].ownerReferences[0].kind, 'StatefulSet');
    assert.ok(identityMatches(set(), p) && storageMatches(set(), p));
    assert.ok(!identityMatches(set(), { metadata: { name: 'web-1', namespace: 'ns', labels: {} } }));
  });

  it('names claims <template>-<set>-<ordinal> with template and selector labels', () => {
    const [claim] = [...claimsFor(set(), { metadata: { name: 'web-3' } }).values()];
    assert.equal(claim!['metadata'].name, 'data-web-3');
    assert.deepEqual(claim!['metadata'].labels, { tier: 'db', app: 'web' });
  });

  it('gives new pods below the partition the current revision', () => {
    const s = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }, replicas: 3 });
    assert.equal(newVersionedPod(s, s, 'cur', 'upd', 1)['metadata'].labels['controller-revision-hash'], 'cur');
    assert.equal(newVersionedPod(s, s, 'cur', 'upd', 2)['metadata'].labels['controller-revision-hash'], 'upd');
    const od = set({ updateStrategy: { type: 'OnDelete' } });
    assert.equal(newVersionedPod(od, od, 'cur', 'upd', 0)['metadata'].labels['controller-revision-hash'], 'upd');
  });
});

describe('claim retention', () => {
  const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: `${name}-uid` } });
  const claim = (refs: Obj[] = []): Obj => ({ metadata: { name: 'data-web-0', ownerReferences: refs } });
  const setRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true };

  const cases: { what: string; policy: Obj; pod: string; want: string[] }[] = [
    { what: 'Retain/Retain: no owners', policy: { whenDeleted: 'Retain', whenScaled: 'Retain' }, pod: 'web-0', want: [] },
    { what: 'whenDeleted Delete: the set', policy: { whenDeleted: 'Delete', whenScaled: 'Retain' }, pod: 'web-0', want: ['StatefulSet'] },
    { what: 'whenScaled Delete, in range: none', policy: { whenDeleted: 'Retain', whenScaled: 'Delete' }, pod: 'web-0', want: [] },
    { what: 'whenScaled Delete, scaled down: the pod', policy: { whenDeleted: 'Retain', whenScaled: 'Delete' }, pod: 'web-5', want: ['Pod'] },
    { what: 'both Delete, in range: the set', policy: { whenDeleted: 'Delete', whenScaled: 'Delete' }, pod: 'web-1', want: ['StatefulSet'] },
    { what: 'both Delete, scaled down: the pod', policy: { whenDeleted: 'Delete', whenScaled: 'Delete' }, pod: 'web-2', want: ['Pod'] },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const s = set({ persistentVolumeClaimRetentionPolicy: c.policy });
      const p = pod(c.pod);
      assert.equal(inOrdinalRange(s, p), c.pod === 'web-0' || c.pod === 'web-1');
      const cl = claim(c.want.length ? [] : [setRef]);
      setClaimOwnerRefs(cl, s, p);
      assert.deepEqual((cl['metadata'].ownerReferences ?? []).map((r: Obj) => r.kind), c.want);
      assert.ok(claimOwnerUpToDate(cl, s, p));
    });
  }

  it('leaves claims of an earlier pod of the same name alone', () => {
    const stale = claim([{ apiVersion: 'v1', kind: 'Pod', name: 'web-5', uid: 'old-uid', controller: true }]);
    assert.ok(claimOwnerUpToDate(stale, set({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }), pod('web-5')));
  });
});
