import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../client/clock.ts';
import type { Condition } from './conditions.ts';
import { RateLimitedTimedQueue, TokenBucket } from './rate-limited-queue.ts';
import { computeZoneState, defaultZonePolicy, zoneKey, zoneQPS } from './zones.ts';

const c = (status: Condition['status']): Condition => ({ type: 'Ready', status });

describe('computeZoneState', () => {
  const cases: [string, (Condition | undefined)[], string, number][] = [
    ['all ready', [c('True'), c('True')], 'Normal', 0],
    ['one of two down', [c('True'), c('Unknown')], 'Normal', 1],
    ['none ready', [c('False'), c('Unknown')], 'FullDisruption', 2],
    ['a node without a Ready condition counts as not ready', [undefined], 'FullDisruption', 1],
    ['three of five down (60%)', [c('True'), c('True'), c('False'), c('False'), c('Unknown')], 'PartialDisruption', 3],
    ['two of three down is not partial (needs more than two)', [c('True'), c('False'), c('False')], 'Normal', 2],
    ['three of six down (50% < 55%)', [c('True'), c('True'), c('True'), c('False'), c('False'), c('False')], 'Normal', 3],
  ];
  for (const [name, conds, state, unhealthy] of cases) {
    it(name, () => assert.deepEqual(computeZoneState(conds, defaultZonePolicy), { state, unhealthy }));
  }

  it('a small partially disrupted zone stops tainting; a large one slows down', () => {
    assert.equal(zoneQPS('PartialDisruption', 10, defaultZonePolicy), 0);
    assert.equal(zoneQPS('PartialDisruption', 51, defaultZonePolicy), 0.01);
    assert.equal(zoneQPS('Normal', 10, defaultZonePolicy), 0.1);
  });
});

describe('zoneKey', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['unlabelled', {}, ''],
    ['stable labels', { 'topology.kubernetes.io/region': 'home', 'topology.kubernetes.io/zone': 'shelf' }, 'home:\x00:shelf'],
    ['beta labels as fallback', { 'failure-domain.beta.kubernetes.io/zone': 'attic' }, ':\x00:attic'],
  ];
  for (const [name, labels, want] of cases) it(name, () => assert.equal(zoneKey({ metadata: { labels } }), want));
});

describe('TokenBucket and RateLimitedTimedQueue', () => {
  it('accepts a burst, then one per 1/qps seconds; qps 0 never', () => {
    const clock = new FakeClock(1000);
    const b = new TokenBucket(0.1, 1, clock);
    assert.equal(b.tryAccept(), true);
    assert.equal(b.tryAccept(), false);
    clock.advance(9_999);
    assert.equal(b.tryAccept(), false);
    clock.advance(1);
    assert.equal(b.tryAccept(), true);
    assert.equal(new TokenBucket(0, 1, clock).tryAccept(), false);
  });

  it('processes nodes in order at the limited rate and remembers processed ones until removed', async () => {
    const clock = new FakeClock(0);
    const q = new RateLimitedTimedQueue(0.1, clock);
    assert.equal(q.add('a', 'u1'), true);
    assert.equal(q.add('b', 'u2'), true);
    assert.equal(q.add('a', 'u1'), false);
    const seen: string[] = [];
    const run = () => q.try(async (v) => (seen.push(v.value), { done: true }));
    await run();
    assert.deepEqual(seen, ['a']);
    clock.advance(10_000);
    await run();
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal(q.add('a', 'u1'), false, 'a processed node stays known');
    assert.equal(q.remove('a'), true);
    assert.equal(q.add('a', 'u1'), true);
  });

  it('retries a failed node after its delay', async () => {
    const clock = new FakeClock(0);
    const q = new RateLimitedTimedQueue(1000, clock);
    q.add('a', 'u');
    let calls = 0;
    const run = () => q.try(async () => (++calls === 1 ? { done: false, retryAfterMs: 50 } : { done: true }));
    await run();
    assert.equal(calls, 1);
    clock.advance(49);
    await run();
    assert.equal(calls, 1);
    clock.advance(1);
    await run();
    assert.equal(calls, 2);
    assert.equal(q.length, 0);
  });

  it('swapLimiter(0) stops processing', async () => {
    const clock = new FakeClock(0);
    const q = new RateLimitedTimedQueue(0.1, clock);
    q.swapLimiter(0);
    q.add('a', 'u');
    let calls = 0;
    await q.try(async () => (calls++, { done: true }));
    assert.equal(calls, 0);
    assert.equal(q.qps, 0);
  });
});
