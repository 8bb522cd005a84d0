import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/clock.ts';
import { newPodInfo } from '../cache/pod-info.ts';
import { Action, events } from '../framework/events.ts';
import { Framework } from '../framework/framework.ts';
import type { EnqueueExtensions } from '../framework/interfaces.ts';
import { SchedulingGates } from '../plugins/scheduling-gates.ts';
import { makeNode, makePod } from '../testing/builders.ts';
import { SchedulingQueue } from './scheduling-queue.ts';

/** A plugin that cares about node additions, but only of nodes labelled `good`. */
const picky: EnqueueExtensions = {
  name: 'Picky',
  eventsToRegister: () => [{ event: { resource: 'Node', actions: Action.Add }, hint: (_p, _o, n) => (n?.['metadata']?.labels?.good ? 'Queue' : 'QueueSkip') }],
};

function setup() {
  const clock = new FakeClock(1_000_000);
  const q = new SchedulingQueue(new Framework([{ plugin: picky }, { plugin: new SchedulingGates() }]), { clock });
  return { clock, q };
}

describe('SchedulingQueue', () => {
  it('pops by priority, then by time in the queue', () => {
    const { clock, q } = setup();
    q.add(newPodInfo(makePod('low-early').obj()));
    clock.advance(1);
    q.add(newPodInfo(makePod('high').priority(100).obj()));
    clock.advance(1);
    q.add(newPodInfo(makePod('low-late').obj()));
    assert.deepEqual([q.tryPop(), q.tryPop(), q.tryPop()].map((x) => x?.info.name), ['high', 'low-early', 'low-late']);
  });

  it('backs off 1 s doubling up to 10 s', () => {
    const { q } = setup();
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => q.backoffDuration(n)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('parks a rejected pod until an event its rejecting plugin registered happens and the hint agrees', () => {
    const { clock, q } = setup();
    q.add(newPodInfo(makePod('p').obj()));
    const p = q.tryPop()!;
    q.requeue(p, new Set(['Picky']));
    assert.equal(q.where(p.info.uid), 'unschedulable');
    assert.equal(q.moveAllToActiveOrBackoff(events.assignedPodDelete, makePod('x').obj()), 0, 'not an event Picky registered');
    assert.equal(q.moveAllToActiveOrBackoff(events.nodeAdd, undefined, makeNode('n').obj()), 0, 'the hint says no');
    assert.equal(q.moveAllToActiveOrBackoff(events.nodeAdd, undefined, makeNode('n').labels({ good: 'yes' }).obj()), 1);
    assert.equal(q.where(p.info.uid), 'backoff', 'still within its 1 s backoff');
    clock.advance(999);
    assert.equal(q.where(p.info.uid), 'backoff');
    clock.advance(1);
    assert.equal(q.where(p.info.uid), 'active');
    assert.equal(q.tryPop()?.attempts, 2);
  });

  it('sends pods that failed without a rejecting plugin (faults) to backoff', () => {
    const { clock, q } = setup();
    q.add(newPodInfo(makePod('p').obj()));
    const p = q.tryPop()!;
    q.requeue(p, new Set());
    assert.equal(q.where(p.info.uid), 'backoff');
    clock.advance(1000);
    assert.equal(q.where(p.info.uid), 'active');
  });

  it('retries parked pods after 5 minutes anyway', () => {
    const { clock, q } = setup();
    q.start();
    q.add(newPodInfo(makePod('p').obj()));
    const p = q.tryPop()!;
    q.requeue(p, new Set(['Picky']));
    clock.advance(4 * 60_000 + 30_000);
    assert.equal(q.where(p.info.uid), 'unschedulable');
    clock.advance(60_000);
    assert.equal(q.where(p.info.uid), 'active');
    q.close();
  });

  it('retries a parked pod when its spec or labels change, not when only its status does', () => {
    const { q } = setup();
    const pod = makePod('p').obj();
    q.add(newPodInfo(pod));
    const p = q.tryPop()!;
    q.requeue(p, new Set(['Picky']));
    const statusOnly = { ...pod, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] }, metadata: { ...pod['metadata'], resourceVersion: '9' } };
    q.update(pod, newPodInfo(statusOnly));
    assert.equal(q.where(p.info.uid), 'unschedulable');
    const relabelled = { ...statusOnly, metadata: { ...statusOnly['metadata'], labels: { tier: 'x' } } };
    q.update(statusOnly, newPodInfo(relabelled));
    assert.notEqual(q.where(p.info.uid), 'unschedulable');
  });

  it('holds gated pods until an update removes the gates', () => {
    const { q } = setup();
    const gated = makePod('g').gates('wait').obj();
    q.add(newPodInfo(gated));
    assert.equal(q.where(gated['metadata'].uid), 'gated');
    assert.equal(q.moveAllToActiveOrBackoff(events.forceActivate), 0, 'events do not release gated pods');
    const open = { ...gated, spec: { ...gated['spec'], schedulingGates: [] } };
    q.update(gated, newPodInfo(open));
    assert.equal(q.where(gated['metadata'].uid), 'active');
  });

  it('pop waits for the next pod; close releases waiters', async () => {
    const { q } = setup();
    const next = q.pop();
    q.add(newPodInfo(makePod('late').obj()));
    assert.equal((await next)?.info.name, 'late');
    const waiting = q.pop();
    q.close();
    assert.equal(await waiting, undefined);
  });
});
