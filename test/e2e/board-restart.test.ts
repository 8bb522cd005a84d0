/**
 * A real board's pods outlive its agent and come back after a power cut
 * (test/harness/board.ts: `bramble server` + embedded containerd agent in a
 * network namespace of its own):
 * - the agent SIGKILLed: containers keep serving; restarted, it adopts them
 *   with no restart counted and no duplicate sandbox or container;
 * - the server stopped cleanly: pods keep serving;
 * - power loss (server, containerd and every container die): on start the
 *   pod comes back in a new sandbox, Running and answering.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectCri } from '../../src/agent/cri/index.ts';
import { startBoard, type Board } from '../harness/board.ts';

let board: Board;
before(async () => {
  board = await startBoard({ name: 'pi-restart' });
});
after(async () => board?.stop());

async function waitFor<T>(what: string, check: () => Promise<T | false | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}\n--- server log tail ---\n${board.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const json = async (args: string[]) => JSON.parse(await board.k([...args, '-o', 'json']));
const httpGet = async (host: string) =>
  (await board.sh(['/usr/bin/busybox', 'nc', '-w', '3', host, '8080'], { input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 10_000 })).stdout;
const readyPod = async () => {
  const p = (await json(['get', 'pods', '-l', 'app=web'])).items[0];
  return p?.status.phase === 'Running' && p.status.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') && p;
};
/** The web pod's sandboxes and containers as containerd has them. */
async function inRuntime(podName: string) {
  const cri = connectCri(board.criSocket);
  try {
    const [sbs, cs] = await Promise.all([cri.runtime.listPodSandbox(), cri.runtime.listContainers()]);
    const mine = sbs.filter((s) => s.metadata?.name === podName);
    const ids = new Set(mine.map((s) => s.id));
    return { sandboxes: mine, containers: cs.filter((c) => ids.has(c.podSandboxId)) };
  } finally {
    await cri.close();
  }
}

describe('a board restarts', () => {
  let pod: { metadata: { name: string }; status: { podIP: string; containerStatuses: { containerID: string; restartCount: number }[] } };

  it('runs a web pod', async () => {
    await waitFor('node Ready', async () => (await json(['get', 'node', 'pi-restart'])).status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
    await board.k(['create', 'deployment', 'web', '--image=bramble.local/hello-node:1.0']);
    pod = await waitFor('web Running and Ready', readyPod);
    assert.match(await httpGet(pod.status.podIP), /Hello World!/);
  });

  it('the agent killed: the pod keeps serving; restarted, the agent adopts it without restarting it', async () => {
    await board.kill();
    assert.match(await httpGet(pod.status.podIP), /Hello World!/, 'serving with no agent');
    await board.restart();
    await waitFor('node Ready again', async () => (await json(['get', 'node', 'pi-restart'])).status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
    // Give the agent time to act on what it found (a duplicate would appear within a few relists).
    await new Promise((r) => setTimeout(r, 4000));
    const after = await waitFor('web Ready', readyPod);
    assert.equal(after.metadata.name, pod.metadata.name);
    assert.equal(after.status.containerStatuses[0].containerID, pod.status.containerStatuses[0].containerID, 'the same container');
    assert.equal(after.status.containerStatuses[0].restartCount, 0);
    const rt = await inRuntime(pod.metadata.name);
    assert.equal(rt.sandboxes.length, 1, 'no second sandbox');
    assert.equal(rt.containers.length, 1, 'no second container');
    assert.match(await httpGet(pod.status.podIP), /Hello World!/);
  });

  it('the server stopped cleanly: pods keep serving', async () => {
    await board.halt();
    assert.match(await httpGet(pod.status.podIP), /Hello World!/);
    await board.restart();
  });

  it('after a power cut the pod comes back in a new sandbox and serves again', async () => {
    await board.powerOff();
    assert.doesNotMatch(await httpGet(pod.status.podIP).catch(() => ''), /Hello World!/, 'nothing serves while the board is off');
    await board.restart();
    const back = await waitFor('web Running and Ready after the power cut', async () => {
      const p = await readyPod();
      return p && p.status.containerStatuses[0].containerID !== pod.status.containerStatuses[0].containerID && p;
    }, 90_000);
    assert.equal(back.metadata.name, pod.metadata.name, 'the same pod, restarted in place');
    assert.match(await httpGet(back.status.podIP), /Hello World!/);
    const rt = await inRuntime(pod.metadata.name);
    assert.equal(rt.sandboxes.filter((s) => s.state === 'SANDBOX_READY').length, 1, 'one ready sandbox');
  });
});
