import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { EventRecorder } from './events.ts';
import { resources, type Obj } from './types.ts';
import { useTestRegistry } from '../../test/harness/registry.ts';

describe('EventRecorder', () => {
  const env = useTestRegistry();

  const pod: Obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', uid: 'u-1', resourceVersion: '7' } };
  const events = async () => (await env.client.list(resources.events, 'default', { fieldSelector: 'involvedObject.uid=u-1' })).items;

  it('creates an Event describing the object', async () => {
    const rec = new EventRecorder(env.client, { component: 'default-scheduler' });
    rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web-1 to n1');
    await rec.flush();
    const [ev] = await events();
    assert.equal(ev!['reason'], 'Scheduled');
    assert.equal(ev!['type'], 'Normal');
    assert.equal(ev!['count'], 1);
    assert.deepEqual(ev!['source'], { component: 'default-scheduler' });
    assert.equal(ev!['involvedObject'].kind, 'Pod');
    assert.equal(ev!['involvedObject'].name, 'web-1');
    assert.match(ev!['metadata'].name, /^web-1\.[0-9a-f]{16}$/);
  });

  it('aggregates repeats into one Event with a count', async () => {
    const rec = new EventRecorder(env.client, { component: 'kubelet', host: 'n1' });
    for (let i = 0; i < 3; i++) rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await rec.flush();
    const backoffs = (await events()).filter((e) => e['reason'] === 'BackOff');
    assert.equal(backoffs.length, 1);
    assert.equal(backoffs[0]!['count'], 3);
  });

  it('limits how many events one object may produce', async () => {
    const clock = new FakeClock(Date.now());
    const rec = new EventRecorder(env.client, { component: 'spam', clock, burst: 3, refillMs: 1000 });
    const other = { ...pod, metadata: { ...pod['metadata'], uid: 'u-2', name: 'spammy' } };
    for (let i = 0; i < 10; i++) rec.event(other, 'Normal', `R${i}`, 'distinct');
    await rec.flush();
    const n = (await env.client.list(resources.events, 'default', { fieldSelector: 'involvedObject.uid=u-2' })).items.length;
    assert.equal(n, 3);
    clock.advance(1000);
    rec.event(other, 'Normal', 'After', 'refilled');
    await rec.flush();
    assert.equal((await env.client.list(resources.events, 'default', { fieldSelector: 'involvedObject.uid=u-2' })).items.length, 4);
  });
});
