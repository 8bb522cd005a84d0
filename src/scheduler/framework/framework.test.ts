import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newPodInfo } from '../cache/pod-info.ts';
import { makePod } from '../testing/builders.ts';
import { CycleState } from './cycle-state.ts';
import { Framework } from './framework.ts';
import type { PreFilterPlugin, PreFilterResult } from './interfaces.ts';
import { ok, skip, unresolvable, unschedulable, type Status } from './status.ts';

function pre(name: string, r: Status | PreFilterResult, log: string[] = []): PreFilterPlugin {
  return { name, preFilter: () => (log.push(name), r) };
}

const pod = () => newPodInfo(makePod().obj());

describe('Framework.runPreFilter', () => {
  it('intersects node-name results and names the plugins', () => {
    const f = new Framework([{ plugin: pre('A', { nodeNames: new Set(['x', 'y']) }) }, { plugin: pre('B', { nodeNames: new Set(['y', 'z']) }) }]);
    const r = f.runPreFilter(new CycleState(), pod());
    assert.equal(r.status.code, 'Success');
    assert.deepEqual([...r.nodeNames!], ['y']);
    assert.deepEqual(r.plugins, ['A', 'B']);
  });

  it('an empty intersection rejects the pod', () => {
    const f = new Framework([{ plugin: pre('A', { nodeNames: new Set(['x']) }) }, { plugin: pre('B', { nodeNames: new Set(['y']) }) }]);
    const r = f.runPreFilter(new CycleState(), pod());
    assert.equal(r.status.code, 'UnschedulableAndUnresolvable');
    assert.deepEqual(r.status.reasons, ["node(s) didn't satisfy plugin(s) [A B] simultaneously"]);
  });

  it('Skip marks the plugin’s Filter as not needed', () => {
    const state = new CycleState();
    new Framework([{ plugin: pre('A', skip) }, { plugin: pre('B', ok) }]).runPreFilter(state, pod());
    assert.deepEqual([...state.skipFilterPlugins], ['A']);
  });

  it('UnschedulableAndUnresolvable stops at once; Unschedulable lets the rest run', () => {
    const log: string[] = [];
    const r = new Framework([{ plugin: pre('A', unschedulable('a')) }, { plugin: pre('B', unresolvable('b'), log) }, { plugin: pre('C', ok, log) }]).runPreFilter(new CycleState(), pod());
    assert.equal(r.status.plugin, 'B');
    assert.deepEqual(log, ['B']);
    const log2: string[] = [];
    const r2 = new Framework([{ plugin: pre('A', unschedulable('a')) }, { plugin: pre('C', ok, log2) }]).runPreFilter(new CycleState(), pod());
    assert.equal(r2.status.plugin, 'A');
    assert.deepEqual(log2, ['C']);
  });

  it('a plugin that throws is an Error status naming it', () => {
    const r = new Framework([{ plugin: { name: 'Boom', preFilter: () => { throw new Error('kaput'); } } as PreFilterPlugin }]).runPreFilter(new CycleState(), pod());
    assert.equal(r.status.code, 'Error');
    assert.equal(r.status.plugin, 'Boom');
  });
});

describe('Framework.runScore', () => {
  it('normalises, weights and sums', () => {
    const f = new Framework([
      { plugin: { name: 'Raw', score: (_s: CycleState, _p: unknown, n: { name: string }) => (n.name === 'a' ? 10 : 5), normalizeScore: (_s: CycleState, _p: unknown, xs: { score: number }[]) => xs.forEach((x) => (x.score *= 10)) } as never, weight: 2 },
      { plugin: { name: 'Const', score: () => 7 } as never, weight: 1 },
    ]);
    const nodes = [{ name: 'a' }, { name: 'b' }] as never;
    assert.deepEqual(f.runScore(new CycleState(), pod(), nodes), [207, 107]);
  });

  it('rejects a score outside 0–100 after normalising', () => {
    const f = new Framework([{ plugin: { name: 'Wild', score: () => 101 } as never }]);
    assert.throws(() => f.runScore(new CycleState(), pod(), [{ name: 'a' }] as never), /invalid score 101/);
  });
});

describe('Framework Reserve/Unreserve', () => {
  it('stops at the first failing Reserve; Unreserve runs on every Reserve plugin in reverse order', () => {
    const log: string[] = [];
    const r = (name: string, s: Status) => ({ name, reserve: () => (log.push(`reserve ${name}`), s), unreserve: () => log.push(`unreserve ${name}`) });
    const f = new Framework([{ plugin: r('A', ok) }, { plugin: r('B', unschedulable('full')) }, { plugin: r('C', ok) }]);
    const state = new CycleState();
    const s = f.runReserve(state, pod(), 'n');
    assert.equal(s.plugin, 'B');
    f.runUnreserve(state, pod(), 'n');
    assert.deepEqual(log, ['reserve A', 'reserve B', 'unreserve C', 'unreserve B', 'unreserve A']);
  });
});
