import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Obj } from '../../client/types.ts';
import { defaultDaemonTolerations, nodeShouldRunDaemonPod, tolerates, withDaemonTolerations } from './eligibility.ts';
import { daemonPodTemplate, isPodUpdated, nodeNameAffinity, targetNodeName } from './pod-template.ts';

const node = (name: string, o: { labels?: Record<string, string>; taints?: Obj[] } = {}): Obj => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
  spec: o.taints ? { taints: o.taints } : {},
});

const ds = (spec: Obj = {}): Obj => ({
  metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } } },
});

describe('nodeShouldRunDaemonPod', () => {
  const cases: { what: string; node: Obj; ds: Obj; want: [boolean, boolean] }[] = [
    { what: 'plain node', node: node('a'), ds: ds(), want: [true, true] },
    { what: 'nodeSelector matches', node: node('a', { labels: { sensor: 'camera' } }), ds: ds({ nodeSelector: { sensor: 'camera' } }), want: [true, true] },
    { what: 'nodeSelector does not match', node: node('a', { labels: { sensor: 'light' } }), ds: ds({ nodeSelector: { sensor: 'camera' } }), want: [false, false] },
    { what: 'label missing', node: node('a'), ds: ds({ nodeSelector: { sensor: 'camera' } }), want: [false, false] },
    { what: 'template nodeName elsewhere', node: node('a'), ds: ds({ nodeName: 'b' }), want: [false, false] },
    {
      what: 'required affinity In matches',
      node: node('a', { labels: { arch: 'arm64' } }),
      ds: ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'arch', operator: 'In', values: ['arm64', 'arm'] }] }] } } } }),
      want: [true, true],
    },
    {
      what: 'required affinity NotIn excludes',
      node: node('a', { labels: { arch: 'arm64' } }),
      ds: ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'arch', operator: 'NotIn', values: ['arm64'] }] }] } } } }),
      want: [false, false],
    },
    {
      what: 'terms are ORed; Gt on a numeric label',
      node: node('a', { labels: { gen: '4' } }),
      ds: ds({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['5'] }] }, { matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['3'] }] }],
            },
          },
        },
      }),
      want: [true, true],
    },
    {
      what: 'matchFields on metadata.name',
      node: node('b'),
      ds: ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }] } } } }),
      want: [false, false],
    },
    { what: 'untolerated NoSchedule: no new pod, existing stays', node: node('a', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }), ds: ds(), want: [false, true] },
    { what: 'untolerated NoExecute: evicted', node: node('a', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] }), ds: ds(), want: [false, false] },
    { what: 'PreferNoSchedule ignored', node: node('a', { taints: [{ key: 'dedicated', effect: 'PreferNoSchedule' }] }), ds: ds(), want: [true, true] },
    {
      what: 'tolerated taint',
      node: node('a', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
      ds: ds({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }),
      want: [true, true],
    },
    { what: 'default toleration: not-ready NoExecute', node: node('a', { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }), ds: ds(), want: [true, true] },
    { what: 'default toleration: unreachable NoExecute', node: node('a', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }), ds: ds(), want: [true, true] },
    { what: 'default toleration: unschedulable', node: node('a', { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }), ds: ds(), want: [true, true] },
    { what: 'default toleration: disk pressure', node: node('a', { taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] }), ds: ds(), want: [true, true] },
    { what: 'network-unavailable without hostNetwork', node: node('a', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), ds: ds(), want: [false, true] },
    { what: 'network-unavailable with hostNetwork', node: node('a', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), ds: ds({ hostNetwork: true }), want: [true, true] },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const r = nodeShouldRunDaemonPod(c.node, c.ds);
      assert.deepEqual([r.shouldRun, r.shouldContinueRunning], c.want);
    });
  }
});

describe('tolerations', () => {
  it('matches as upstream ToleratesTaint', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
    const cases: [Obj, boolean][] = [
      [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, true],
      [{ key: 'k', value: 'v' }, true],
      [{ key: 'k', operator: 'Equal', value: 'w' }, false],
      [{ key: 'k', operator: 'Exists' }, true],
      [{ operator: 'Exists' }, true],
      [{ operator: 'Exists', effect: 'NoExecute' }, false],
      [{ key: 'other', operator: 'Exists' }, false],
    ];
    for (const [t, want] of cases) assert.equal(tolerates(t, taint), want, JSON.stringify(t));
  });

  it('adds the daemon defaults once, replacing equal user tolerations with a bounded time', () => {
    const spec = { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'x', operator: 'Exists' }] };
    const out = withDaemonTolerations(spec);
    assert.equal(out.length, 7);
    assert.deepEqual(out[0], { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' });
    assert.deepEqual(out[1], { key: 'x', operator: 'Exists' });
    assert.equal(defaultDaemonTolerations(true).length, 7);
    assert.equal(withDaemonTolerations({ tolerations: out }).length, 7, 'idempotent');
  });
});

describe('daemon pod template', () => {
  it('pins the pod to its node by affinity, with tolerations and the hash label', () => {
    const d = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }] } }, podAffinity: {} } });
    const t = daemonPodTemplate(d, 'board-2', 'abc');
    assert.deepEqual(t['spec'].affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['board-2'] }] },
    ]);
    assert.deepEqual(t['spec'].affinity.podAffinity, {});
    assert.equal(t['metadata'].labels['controller-revision-hash'], 'abc');
    assert.equal(t['metadata'].labels.app, 'agent');
    assert.equal(t['spec'].tolerations.length, 6);
    assert.equal(targetNodeName({ spec: t['spec'] }), 'board-2');
    assert.equal(targetNodeName({ spec: { ...t['spec'], nodeName: 'bound' } }), 'bound');
    assert.equal(d['spec'].template.spec.tolerations, undefined, 'the DaemonSet itself is untouched');
  });

  it('keeps other affinity and knows current pods by hash or template generation', () => {
    assert.deepEqual(nodeNameAffinity(undefined, 'n').nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values, ['n']);
    assert.ok(isPodUpdated({ metadata: { labels: { 'controller-revision-hash': 'h' } } }, 'h', undefined));
    assert.ok(isPodUpdated({ metadata: { labels: { 'pod-template-generation': '3' } } }, 'h', '3'));
    assert.ok(!isPodUpdated({ metadata: { labels: { 'controller-revision-hash': 'old' } } }, 'h', undefined));
  });
});
