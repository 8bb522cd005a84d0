import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchingTolerations, minTolerationMs, tolerates, type Taint, type Toleration } from './taints.ts';
import { conditionNoScheduleTaints } from './conditions.ts';

const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
const dedicated: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoExecute' };

describe('tolerates', () => {
  const cases: [string, Toleration, Taint, boolean][] = [
    ['Exists with the key', { key: 'node.kubernetes.io/unreachable', operator: 'Exists' }, unreachable, true],
    ['Exists with no key tolerates everything', { operator: 'Exists' }, dedicated, true],
    ['effect must match when given', { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, unreachable, false],
    ['Equal compares values', { key: 'dedicated', operator: 'Equal', value: 'gpu' }, dedicated, true],
    ['Equal with another value', { key: 'dedicated', operator: 'Equal', value: 'cpu' }, dedicated, false],
    ['empty operator means Equal', { key: 'dedicated', value: 'gpu', effect: 'NoExecute' }, dedicated, true],
    ['other key', { key: 'other', operator: 'Exists' }, dedicated, false],
    ['unknown operator', { key: 'dedicated', operator: 'Gt' as never }, dedicated, false],
  ];
  for (const [name, tol, taint, want] of cases) it(name, () => assert.equal(tolerates(tol, taint), want));
});

describe('matchingTolerations and minTolerationMs', () => {
  const forever: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' };
  const t300: Toleration = { ...forever, tolerationSeconds: 300 };
  const gpu60: Toleration = { key: 'dedicated', operator: 'Exists', tolerationSeconds: 60 };
  const cases: [string, Taint[], Toleration[], boolean, number][] = [
    ['no tolerations: evict now', [unreachable], [], false, 0],
    ['tolerated forever', [unreachable], [forever], true, -1],
    ['tolerated for 300 s', [unreachable], [t300], true, 300_000],
    ['smallest of the used tolerations', [unreachable, dedicated], [t300, gpu60], true, 60_000],
    ['first matching toleration is the one used', [unreachable], [forever, t300], true, -1],
    ['one taint not tolerated', [unreachable, dedicated], [t300], false, 0],
    ['zero seconds means now', [unreachable], [{ ...forever, tolerationSeconds: 0 }], true, 0],
    ['negative seconds means now', [unreachable], [{ ...forever, tolerationSeconds: -5 }], true, 0],
  ];
  for (const [name, taints, tols, all, ms] of cases) {
    it(name, () => {
      const m = matchingTolerations(taints, tols);
      assert.equal(m.all, all);
      if (all) assert.equal(minTolerationMs(m.used), ms);
    });
  }
});

describe('conditionNoScheduleTaints (taint nodes by condition)', () => {
  const node = (conditions: [string, string][], unschedulable = false) => ({
    spec: { unschedulable },
    status: { conditions: conditions.map(([type, status]) => ({ type, status })) },
  });
  const cases: [string, ReturnType<typeof node>, string[]][] = [
    ['healthy node: none', node([['Ready', 'True'], ['MemoryPressure', 'False']]), []],
    ['Ready False: not-ready', node([['Ready', 'False']]), ['node.kubernetes.io/not-ready']],
    ['Ready Unknown: unreachable', node([['Ready', 'Unknown']]), ['node.kubernetes.io/unreachable']],
    [
      'pressures and network',
      node([['Ready', 'True'], ['MemoryPressure', 'True'], ['DiskPressure', 'True'], ['PIDPressure', 'True'], ['NetworkUnavailable', 'True']]),
      ['node.kubernetes.io/memory-pressure', 'node.kubernetes.io/disk-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/network-unavailable'],
    ],
    ['pressure Unknown is no taint', node([['MemoryPressure', 'Unknown']]), []],
    ['cordoned: unschedulable', node([['Ready', 'True']], true), ['node.kubernetes.io/unschedulable']],
  ];
  for (const [name, n, keys] of cases) {
    it(name, () => {
      const got = conditionNoScheduleTaints(n);
      assert.deepEqual(got.map((t) => t.key).sort(), [...keys].sort());
      assert.ok(got.every((t) => t.effect === 'NoSchedule'));
    });
  }
});
