/** NodeUnschedulable, NodeName, TaintToleration, NodeAffinity and NodePorts: table-driven filter and score cases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeNode, makePod, type PodBuilder } from '../testing/builders.ts';
import { filterResults, scoreResults, testCache } from '../testing/run.ts';
import type { Plugin } from '../framework/interfaces.ts';
import { NodeAffinity } from './node-affinity.ts';
import { NodeName } from './node-name.ts';
import { NodePorts } from './node-ports.ts';
import { NodeUnschedulable } from './node-unschedulable.ts';
import { TaintToleration } from './taint-toleration.ts';

interface Case {
  name: string;
  pod: PodBuilder;
  want: Record<string, string>;
}

function table(plugin: () => Plugin, nodes: ReturnType<typeof makeNode>[], cases: Case[], placed: PodBuilder[] = []): void {
  for (const c of cases) {
    it(c.name, () => {
      const cache = testCache(nodes.map((n) => n.obj()), placed.map((p) => p.obj()));
      assert.deepEqual(filterResults([plugin()], c.pod.obj(), cache), c.want);
    });
  }
}

const UNSCHEDULABLE = 'UnschedulableAndUnresolvable: node(s) were unschedulable';

describe('NodeUnschedulable', () => {
  table(() => new NodeUnschedulable(), [makeNode('up'), makeNode('cordoned').unschedulable()], [
    { name: 'cordoned node rejects', pod: makePod(), want: { up: 'ok', cordoned: UNSCHEDULABLE } },
    {
      name: 'the unschedulable toleration lets the pod through',
      pod: makePod().toleration({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }),
      want: { up: 'ok', cordoned: 'ok' },
    },
    { name: 'a toleration for another effect does not', pod: makePod().toleration({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }), want: { up: 'ok', cordoned: UNSCHEDULABLE } },
    { name: 'tolerate-everything toleration', pod: makePod().toleration({ operator: 'Exists' }), want: { up: 'ok', cordoned: 'ok' } },
  ]);
});

describe('NodeName', () => {
  table(() => new NodeName(), [makeNode('a'), makeNode('b')], [
    { name: 'no node name fits anywhere', pod: makePod(), want: { a: 'ok', b: 'ok' } },
    { name: 'named node only', pod: makePod().node('b'), want: { a: "UnschedulableAndUnresolvable: node(s) didn't match the requested node name", b: 'ok' } },
  ]);
});

describe('TaintToleration filter', () => {
  const nodes = [makeNode('plain'), makeNode('gpu').taint('dedicated', 'gpu', 'NoSchedule'), makeNode('soft').taint('dedicated', 'gpu', 'PreferNoSchedule'), makeNode('evict').taint('maint', undefined, 'NoExecute')];
  table(() => new TaintToleration(), nodes, [
    {
      name: 'untolerated NoSchedule and NoExecute reject; PreferNoSchedule does not',
      pod: makePod(),
      want: { plain: 'ok', gpu: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: gpu}', soft: 'ok', evict: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {maint: }' },
    },
    { name: 'Equal toleration with the value', pod: makePod().toleration({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }), want: { plain: 'ok', gpu: 'ok', soft: 'ok', evict: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {maint: }' } },
    { name: 'wrong value', pod: makePod().toleration({ key: 'dedicated', value: 'cpu', effect: 'NoSchedule' }), want: { plain: 'ok', gpu: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: gpu}', soft: 'ok', evict: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {maint: }' } },
    { name: 'Exists without effect tolerates every effect of the key', pod: makePod().toleration({ key: 'maint', operator: 'Exists' }).toleration({ key: 'dedicated', operator: 'Exists' }), want: { plain: 'ok', gpu: 'ok', soft: 'ok', evict: 'ok' } },
  ]);
});

describe('TaintToleration score', () => {
  it('ranks nodes by untolerated PreferNoSchedule taints, reversed', () => {
    const cache = testCache([makeNode('plain').obj(), makeNode('one').taint('a', 'x', 'PreferNoSchedule').obj(), makeNode('two').taint('a', 'x', 'PreferNoSchedule').taint('b', 'y', 'PreferNoSchedule').obj()]);
    assert.deepEqual(scoreResults({ plugin: new TaintToleration() }, makePod().obj(), cache), { plain: 100, one: 50, two: 0 });
    const tolerant = makePod().toleration({ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }).obj();
    assert.deepEqual(scoreResults({ plugin: new TaintToleration() }, tolerant, cache), { plain: 100, one: 100, two: 0 });
  });
});

const NO_MATCH = "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector";

describe('NodeAffinity filter', () => {
  const nodes = [makeNode('a').labels({ disk: 'ssd', zone: 'z1', cores: '8' }), makeNode('b').labels({ disk: 'hdd', zone: 'z2', cores: '2' }), makeNode('c')];
  table(() => new NodeAffinity(), nodes, [
    { name: 'no selector: every node', pod: makePod(), want: { a: 'ok', b: 'ok', c: 'ok' } },
    { name: 'nodeSelector', pod: makePod().nodeSelector({ disk: 'ssd' }), want: { a: 'ok', b: NO_MATCH, c: NO_MATCH } },
    { name: 'In', pod: makePod().nodeAffinityIn('zone', ['z1', 'z2']), want: { a: 'ok', b: 'ok', c: NO_MATCH } },
    { name: 'NotIn matches nodes without the label', pod: makePod().nodeAffinityTerm({ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }), want: { a: NO_MATCH, b: 'ok', c: 'ok' } },
    { name: 'DoesNotExist', pod: makePod().nodeAffinityTerm({ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }), want: { a: NO_MATCH, b: NO_MATCH, c: 'ok' } },
    { name: 'Gt', pod: makePod().nodeAffinityTerm({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }), want: { a: 'ok', b: NO_MATCH, c: NO_MATCH } },
    { name: 'terms are ORed', pod: makePod().nodeAffinityIn('disk', ['ssd']).nodeAffinityIn('zone', ['z2']), want: { a: 'ok', b: 'ok', c: NO_MATCH } },
    { name: 'nodeSelector AND affinity', pod: makePod().nodeSelector({ disk: 'hdd' }).nodeAffinityIn('zone', ['z1']), want: { a: NO_MATCH, b: NO_MATCH, c: NO_MATCH } },
    { name: 'matchFields metadata.name narrows the cycle (DaemonSet pods)', pod: makePod().nodeNameAffinity('b'), want: { a: 'not considered', b: 'ok', c: 'not considered' } },
    {
      name: 'conflicting matchFields in one term',
      pod: makePod().nodeAffinityTerm({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }, { key: 'metadata.name', operator: 'In', values: ['b'] }] }),
      want: { a: 'UnschedulableAndUnresolvable: pod affinity terms conflict', b: 'UnschedulableAndUnresolvable: pod affinity terms conflict', c: 'UnschedulableAndUnresolvable: pod affinity terms conflict' },
    },
    { name: 'matchFields NotIn', pod: makePod().nodeAffinityTerm({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['a'] }] }), want: { a: NO_MATCH, b: 'ok', c: 'ok' } },
  ]);
});

describe('NodeAffinity score', () => {
  it('sums the weights of matching preferred terms, scaled to 100', () => {
    const cache = testCache([makeNode('a').labels({ disk: 'ssd', zone: 'z1' }).obj(), makeNode('b').labels({ zone: 'z1' }).obj(), makeNode('c').obj()]);
    const pod = makePod().preferredNodeAffinity(30, 'disk', ['ssd']).preferredNodeAffinity(10, 'zone', ['z1']).obj();
    assert.deepEqual(scoreResults({ plugin: new NodeAffinity() }, pod, cache), { a: 100, b: 25, c: 0 });
  });
});

describe('NodePorts', () => {
  const PORTS = "Unschedulable: node(s) didn't have free ports for the requested pod ports";
  const placed = [makePod('web').node('a').hostPort(8080), makePod('dns').node('b').hostPort(53, 'UDP', '10.0.0.1')];
  table(() => new NodePorts(), [makeNode('a'), makeNode('b')], [
    { name: 'same port and protocol conflicts', pod: makePod().hostPort(8080), want: { a: PORTS, b: 'ok' } },
    { name: 'other protocol is free', pod: makePod().hostPort(8080, 'UDP'), want: { a: 'ok', b: 'ok' } },
    { name: '0.0.0.0 conflicts with a specific address', pod: makePod().hostPort(53, 'UDP'), want: { a: 'ok', b: PORTS } },
    { name: 'another specific address is free', pod: makePod().hostPort(53, 'UDP', '10.0.0.2'), want: { a: 'ok', b: 'ok' } },
  ], placed);
});
