import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AdmissionRequest } from '../registry/admission.ts';
import type { Obj } from '../registry/types.ts';
import { resources } from '../client/types.ts';
import { openTestCluster } from '../../test/harness/cluster.ts';
import { defaultTolerationSeconds } from './default-toleration-seconds.ts';

const plugin = defaultTolerationSeconds({ defaultNotReadyTolerationSeconds: 300, defaultUnreachableTolerationSeconds: 120 });
const notReady = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const unreachable = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 120 };

function request(object: Obj, over: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    operation: 'CREATE',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', resource: 'pods' },
    subresource: '',
    namespace: 'default',
    name: 'p',
    object,
    user: { name: 'admin', groups: [], via: 'x509' },
    dryRun: false,
    ...over,
  } as AdmissionRequest;
}

describe('DefaultTolerationSeconds admission', () => {
  const cases: { name: string; tolerations?: Obj[]; want: Obj[] | undefined; over?: Partial<AdmissionRequest> }[] = [
    { name: 'no tolerations: both added', tolerations: undefined, want: [notReady, unreachable] },
    {
      name: 'other tolerations kept, both added after them',
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'pi', effect: 'NoSchedule' }],
      want: [{ key: 'dedicated', operator: 'Equal', value: 'pi', effect: 'NoSchedule' }, notReady, unreachable],
    },
    {
      name: 'own not-ready toleration: only unreachable added',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }],
      want: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }, unreachable],
    },
    {
      name: 'not-ready with any effect counts',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }],
      want: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }, unreachable],
    },
    {
      name: 'not-ready NoSchedule does not count',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }],
      want: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }, notReady, unreachable],
    },
    { name: 'tolerate-everything (empty key, Exists): nothing added', tolerations: [{ operator: 'Exists' }], want: [{ operator: 'Exists' }] },
    { name: 'empty key with NoExecute: nothing added', tolerations: [{ operator: 'Exists', effect: 'NoExecute' }], want: [{ operator: 'Exists', effect: 'NoExecute' }] },
    { name: 'update of the pod is defaulted too', tolerations: undefined, want: [notReady, unreachable], over: { operation: 'UPDATE' } },
    { name: 'status subresource untouched', tolerations: undefined, want: undefined, over: { subresource: 'status' } },
    { name: 'other resources untouched', tolerations: undefined, want: undefined, over: { resource: { group: 'apps', resource: 'deployments' } } },
    { name: 'delete untouched', tolerations: undefined, want: undefined, over: { operation: 'DELETE' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod: Obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], ...(c.tolerations ? { tolerations: structuredClone(c.tolerations) } : {}) } };
      plugin.mutate!(request(pod, c.over));
      assert.deepEqual(pod['spec'].tolerations, c.want);
    });
  }

  it('runs in the server chain: created pods carry the tolerations with the configured seconds', async (t) => {
    const cluster = await openTestCluster({ config: { defaultNotReadyTolerationSeconds: 30, defaultUnreachableTolerationSeconds: 45 } });
    t.after(() => cluster.close());
    const pod = await cluster.client.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    assert.deepEqual(pod['spec'].tolerations, [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 45 },
    ]);
  });
});
