import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isApiError, type StatusReason } from '../errors.ts';
import { schema as realSchema } from '../schema/index.ts';
import type { MessageType, Schema } from '../schema/types.ts';
import { applyStrategicMergePatch } from './strategic-merge.ts';
import { fixtureSchema, fixtureType } from './testing/fixture-schema.ts';

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

function deployment() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web' },
      annotations: { [lastApplied]: '{"old":true}\n', 'deployment.kubernetes.io/revision': '1' },
      finalizers: ['a', 'b'],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
            { name: 'sidecar', image: 'busybox' },
          ],
          volumes: [{ name: 'data', hostPath: { path: '/srv' } }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
        },
      },
    },
  };
}

type Dep = ReturnType<typeof deployment>;

function apply(patch: unknown, original: unknown = deployment(), type: MessageType = fixtureType('apps.Deployment'), s: Schema = fixtureSchema) {
  return applyStrategicMergePatch(original, patch, type, s) as unknown as Dep;
}

const containers = (o: Dep) => o.spec.template.spec.containers;

describe('applyStrategicMergePatch', () => {
  const cases: { name: string; patch: unknown; check: (o: Dep) => void }[] = [
    {
      name: 'the client-side apply patch from kubectl (contract 5.3)',
      patch: {
        metadata: { annotations: { [lastApplied]: '{"new":true}\n' } },
        spec: {
          replicas: 3,
          template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ image: 'nginx:1.26', name: 'web' }] } },
        },
      },
      check: (o) => {
        assert.equal(o.metadata.annotations[lastApplied], '{"new":true}\n');
        assert.equal(o.metadata.annotations['deployment.kubernetes.io/revision'], '1');
        assert.equal(o.spec.replicas, 3);
        assert.deepEqual(containers(o).map((c) => [c.name, c.image]), [
          ['web', 'nginx:1.26'],
          ['sidecar', 'busybox'],
        ]);
        assert.deepEqual(containers(o)[0].ports, [{ containerPort: 80, protocol: 'TCP' }], 'unmentioned fields stay');
      },
    },
    {
      name: 'kubectl set image',
      patch: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.36' }] } } } },
      check: (o) => assert.deepEqual(containers(o).map((c) => c.image), ['nginx:1.25', 'busybox:1.36']),
    },
    {
      // Without $setElementOrder upstream puts new items first (the kubectl patch docs show this).
      name: 'a new container goes first',
      patch: { spec: { template: { spec: { containers: [{ name: 'log', image: 'fluent' }] } } } },
      check: (o) => assert.deepEqual(containers(o).map((c) => c.name), ['log', 'web', 'sidecar']),
    },
    {
      name: 'env merges by name and null deletes a member',
      patch: { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } } }, metadata: { labels: { app: null, tier: 'fe' } } },
      check: (o) => {
        assert.deepEqual(containers(o)[0].env, [
          { name: 'A', value: '1' },
          { name: 'B', value: '3' },
          { name: 'C', value: '4' },
        ]);
        assert.deepEqual(o.metadata.labels, { tier: 'fe' });
      },
    },
    {
      name: 'ports merge by containerPort',
      patch: { spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] } } } },
      check: (o) => assert.deepEqual(containers(o)[0].ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }]),
    },
    {
      name: '$patch: delete removes a list item',
      patch: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } },
      check: (o) => assert.deepEqual(containers(o).map((c) => c.name), ['web']),
    },
    {
      name: '$patch: replace replaces a merging list',
      patch: { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } },
      check: (o) => assert.deepEqual(containers(o), [{ name: 'only', image: 'x' }]),
    },
    {
      name: '$patch: replace replaces a map',
      patch: { spec: { strategy: { $patch: 'replace', type: 'Recreate' } } },
      check: (o) => assert.deepEqual(o.spec.strategy, { type: 'Recreate' }),
    },
    {
      name: '$patch: delete empties a map',
      patch: { spec: { template: { metadata: { $patch: 'delete' } } } },
      check: (o) => assert.deepEqual(o.spec.template.metadata, {}),
    },
    {
      name: '$retainKeys clears the other members (switching a volume source)',
      patch: { spec: { template: { spec: { volumes: [{ name: 'data', emptyDir: {}, $retainKeys: ['emptyDir', 'name'] }] } } } },
      check: (o) => assert.deepEqual(o.spec.template.spec.volumes, [{ name: 'data', emptyDir: {} }]),
    },
    {
      name: '$retainKeys on a retainKeys struct (strategy type change)',
      patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      check: (o) => assert.deepEqual(o.spec.strategy, { type: 'Recreate' }),
    },
    {
      name: 'finalizers merge as a set and $deleteFromPrimitiveList removes',
      patch: { metadata: { finalizers: ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
      check: (o) => assert.deepEqual(o.metadata.finalizers, ['c', 'a']),
    },
    {
      name: 'an atomic list (tolerations) is replaced',
      patch: { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } } },
      check: (o) => assert.deepEqual(o.spec.template.spec.tolerations, [{ key: 'b', operator: 'Exists' }]),
    },
    {
      name: '$setElementOrder reorders and keeps server-only items in place',
      patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'log' }, { name: 'web' }], containers: [{ name: 'log', image: 'fluent' }] } } } },
      check: (o) => assert.deepEqual(containers(o).map((c) => c.name), ['log', 'web', 'sidecar']),
    },
    {
      name: 'unknown fields merge like JSON merge patch',
      patch: { spec: { extra: { a: [1] } }, metadata: { unknownMap: { x: 1 } } },
      check: (o) => {
        assert.deepEqual((o.spec as unknown as { extra: unknown }).extra, { a: [1] });
        assert.deepEqual((o.metadata as unknown as { unknownMap: unknown }).unknownMap, { x: 1 });
      },
    },
    {
      name: 'a null patch changes nothing',
      patch: null,
      check: (o) => assert.deepEqual(o, deployment()),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const original = deployment();
      c.check(apply(c.patch, original));
      assert.deepEqual(original, deployment(), 'the input is not modified');
    });
  }

  it('cordon: the patch kubectl sends to a Node', () => {
    const out = applyStrategicMergePatch({ metadata: { name: 'n1' }, spec: { taints: [{ key: 'x', effect: 'NoSchedule' }] } }, { spec: { unschedulable: true } }, fixtureType('core.Node'), fixtureSchema);
    assert.deepEqual(out, { metadata: { name: 'n1' }, spec: { taints: [{ key: 'x', effect: 'NoSchedule' }], unschedulable: true } });
  });

  it('service ports merge by port', () => {
    const svc = { spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web', tier: 'x' } } };
    const out = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }], selector: { tier: null } } }, fixtureType('core.Service'), fixtureSchema);
    assert.deepEqual(out.spec, { ports: [{ port: 80, protocol: 'TCP', targetPort: 9090 }, { port: 443 }], selector: { app: 'web' } });
  });

  it('places server-only items by live order when a delete and an add share one $setElementOrder', () => {
    // Upstream edits the live list in place; the reorder then sees its shared storage (see GoSlice).
    const original = { mergingList: [{ name: 1 }, { name: 2, other: 'b' }, { name: 4, other: 'c' }] };
    const patch = { '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }], mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }] };
    const out = applyStrategicMergePatch(original, patch, fixtureType('test.MergeItem'), fixtureSchema);
    assert.deepEqual(out, { mergingList: [{ name: 2, other: 'b' }, { name: 4, other: 'c' }, { name: 3 }] });
  });

  it('interleaves server-only items among patch items by live order', () => {
    const original = { mergingList: [{ name: 1, other: 'a' }, { name: 2 }, { name: 7 }, { name: 9 }, { name: 8 }, { name: 3 }, { name: 4 }] };
    const patch = { '$setElementOrder/mergingList': [{ name: 2 }, { name: 1 }, { name: 4 }, { name: 3 }] };
    const out = applyStrategicMergePatch(original, patch, fixtureType('test.MergeItem'), fixtureSchema);
    assert.deepEqual(out.mergingList, [{ name: 2 }, { name: 1, other: 'a' }, { name: 7 }, { name: 9 }, { name: 8 }, { name: 4 }, { name: 3 }]);
  });

  const errorCases: {
    name: string;
    patch: unknown;
    original?: unknown;
    type?: MessageType | undefined;
    reason: StatusReason;
    message: string | RegExp;
  }[] = [
    { name: 'kinds without schema', patch: {}, type: undefined, reason: 'BadRequest', message: 'strategic merge patch format is not supported' },
    { name: 'a patch that is not an object', patch: [1], reason: 'BadRequest', message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' },
    { name: '$retainKeys that is not a list', patch: { spec: { strategy: { $retainKeys: 'type' } } }, reason: 'BadRequest', message: 'invalid patch format of retainKeys' },
    { name: 'a patched key missing from $retainKeys', patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, reason: 'BadRequest', message: 'invalid patch format of retainKeys' },
    { name: '$deleteFromPrimitiveList without a list name', patch: { metadata: { $deleteFromPrimitiveList: ['a'] } }, reason: 'BadRequest', message: 'invalid patch format of primitive list' },
    { name: '$setElementOrder without a list name', patch: { metadata: { $setElementOrder: [] } }, reason: 'BadRequest', message: 'invalid patch format of setElementOrder list' },
    {
      name: 'a list item without its merge key',
      patch: { spec: { template: { spec: { containers: [{ image: 'nginx' }] } } } },
      reason: 'InternalError',
      message: 'map: map[image:nginx] does not contain declared merge key: name',
    },
    {
      name: 'an unknown $patch on a map',
      patch: { spec: { strategy: { $patch: 'frob', type: 'x' } } },
      reason: 'InternalError',
      message: 'unknown patch type: frob in map: map[$patch:frob type:x]',
    },
    {
      name: '$patch: merge on a list item',
      patch: { spec: { template: { spec: { containers: [{ name: 'web', $patch: 'merge' }] } } } },
      reason: 'InternalError',
      message: 'merging lists cannot yet be specified in the patch',
    },
    {
      name: 'mixed element types in a merging list',
      patch: { metadata: { finalizers: [1] } },
      reason: 'InternalError',
      message: 'list element types are not identical: [[a b] [1]]',
    },
    {
      name: 'a list of lists',
      original: { metadata: { finalizers: [['a']] } },
      patch: { metadata: { finalizers: [['x']] } },
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
    },
    {
      name: 'a patch list out of $setElementOrder order',
      patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }], containers: [{ name: 'sidecar' }, { name: 'web' }] } } } },
      reason: 'InternalError',
      message: /^The order in patch list:\n.* doesn't match \$setElementOrder list:\n/s,
    },
  ];
  for (const c of errorCases) {
    it(`fails as upstream: ${c.name}`, () => {
      const type = 'type' in c ? c.type : fixtureType('apps.Deployment');
      assert.throws(
        () => applyStrategicMergePatch(c.original ?? deployment(), c.patch, type, fixtureSchema),
        (e: unknown) => isApiError(e, c.reason) && (typeof c.message === 'string' ? e.message === c.message : c.message.test(e.message)),
      );
    });
  }

  describe('with the real schema', () => {
    const type = realSchema.typeForKind('apps', 'v1', 'Deployment');
    it('has the Deployment type', () => assert.ok(type));
    for (const c of cases) {
      it(c.name, () => c.check(apply(c.patch, deployment(), type!, realSchema)));
    }
  });
});
