/**
 * Deployments end to end with stock kubectl against a real `bramble
 * server`: seed 001's rollout, `kubectl rollout status|history|undo|pause|
 * resume|restart`, `set image`, `scale`, Recreate, and deletion through the
 * garbage collector.
 *
 * Pods are placed by the server's scheduler on four simulated nodes
 * (`bramble agent --runtime fake`), which run them. Four, because seed
 * 001's first Deployment keeps one pod per node (required anti-affinity),
 * and while its pods live they keep new nginx pods off their nodes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { HttpClient } from '../../src/client/http.ts';
import { InformerFactory } from '../../src/client/informer.ts';
import { resources, type Obj } from '../../src/client/types.ts';
import { isPodReady } from '../../src/controllers/common/pods.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { brambleBin, repoRoot, startServer, type TestServer } from '../harness/server.ts';

const f = (name: string) => path.join(repoRoot, 'test', 'fixtures', 'seed-001', name);
const deploy = 'deployment/nginx-deployment';

let srv: TestServer;
let api: HttpClient;
const agents: ChildProcess[] = [];

before(async () => {
  srv = await startServer();
  api = HttpClient.fromKubeconfig(srv.kubeconfig);
  for (const name of ['node-1', 'node-2', 'node-3', 'node-4']) {
    const out = fs.openSync(path.join(srv.dir, `agent-${name}.log`), 'a');
    agents.push(spawn(brambleBin, ['agent', '--runtime', 'fake', '--kubeconfig', srv.kubeconfig, '--node-name', name, '--pod-cidr-wait', '20s'], { stdio: ['ignore', out, out] }));
    fs.closeSync(out);
  }
  await waitFor('four Ready nodes', async () => {
    const nodes = (await api.list(resources.nodes, '')).items;
    return nodes.filter((n) => (n['status']?.conditions ?? []).some((c: Obj) => c['type'] === 'Ready' && c['status'] === 'True')).length === 4;
  });
});
after(async () => {
  for (const p of agents) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await Promise.all(agents.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
  api?.close();
  await srv?.stop();
});

const json = async (args: string[]) => JSON.parse(await srv.k([...args, '-o', 'json']));
const rolloutStatus = (name = deploy) => srv.k(['rollout', 'status', name, '--timeout=60s']);
const image = async (name = 'nginx-deployment') => (await json(['get', 'deployment', name])).spec.template.spec.containers[0].image;
const livePods = async (label: string) => (await json(['get', 'pods', '-l', label])).items.filter((p: Obj) => !p['metadata'].deletionTimestamp);

async function waitFor<T>(what: string, check: () => Promise<T | false | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('seed 001 with kubectl', () => {
  it('apply deployment.yaml; rollout status completes', async () => {
    await srv.k(['apply', '-f', f('deployment.yaml')]);
    assert.match(await rolloutStatus(), /deployment "nginx-deployment" successfully rolled out/);
    assert.equal((await livePods('app=nginx')).length, 2);
  });

  it('deployment-update.yaml rolls out with never more than 2 pods and never fewer than 1 available', async () => {
    const live = new Map<string, Obj>();
    const seen = { max: 0, minAvailable: Infinity };
    const watchStop = new AbortController();
    const inf = new InformerFactory(api).informer(resources.pods, { namespace: 'default', labelSelector: 'app=nginx' });
    const observe = () => {
      const running = [...live.values()].filter((p) => !p['metadata'].deletionTimestamp);
      seen.max = Math.max(seen.max, running.length);
      seen.minAvailable = Math.min(seen.minAvailable, running.filter(isPodReady).length);
    };
    inf.addHandler({
      add: (p) => (live.set(p['metadata'].name, p), observe()),
      update: (_o, p) => (live.set(p['metadata'].name, p), observe()),
      delete: (p) => (live.delete(p['metadata'].name), observe()),
    });
    void inf.run(watchStop.signal);
    await inf.ready;
    try {
      await srv.k(['apply', '-f', f('deployment-update.yaml')]);
      assert.match(await rolloutStatus(), /successfully rolled out/);
    } finally {
      watchStop.abort();
    }
    assert.ok(seen.max <= 2, `at most 2 pods at any time (saw ${seen.max})`);
    assert.ok(seen.minAvailable >= 1, `at least 1 available at any time (saw ${seen.minAvailable})`);
    const pods = await livePods('app=nginx');
    assert.deepEqual(pods.map((p: Obj) => p['spec'].containers[0].image), ['nginx:1.16.1', 'nginx:1.16.1']);
  });

  it('rollout history lists both revisions', async () => {
    const out = await srv.k(['rollout', 'history', deploy]);
    assert.match(out, /REVISION\s+CHANGE-CAUSE/);
    assert.match(out, /^1\s+<none>$/m);
    assert.match(out, /^2\s+<none>$/m);
    assert.match(await srv.k(['rollout', 'history', deploy, '--revision=1']), /Image:\s+nginx:1\.14\.2/);
  });

  it('rollout undo returns to 1.14.2 as revision 3', async () => {
    assert.match(await srv.k(['rollout', 'undo', deploy]), /rolled back/);
    await rolloutStatus();
    assert.equal(await image(), 'nginx:1.14.2');
    const out = await srv.k(['rollout', 'history', deploy]);
    assert.match(out, /^2\s+/m);
    assert.match(out, /^3\s+/m);
    assert.doesNotMatch(out, /^1\s+/m, 'revision 1 became 3');
    const d = await json(['get', 'deployment', 'nginx-deployment']);
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '3');
    const again = await srv.kubectl(['rollout', 'undo', deploy, '--to-revision=3']);
    assert.match(again.stdout + again.stderr, /skipped rollback \(current template already matches revision 3\)/);
  });

  it('re-applying deployment-scale.yaml scales to 4; kubectl scale to 5 then 4; to 0 and back', async () => {
    await srv.k(['apply', '-f', f('deployment-scale.yaml')]);
    await rolloutStatus();
    assert.equal((await livePods('app=nginx')).length, 4);
    for (const n of [5, 4, 0, 2]) {
      assert.match(await srv.k(['scale', deploy, `--replicas=${n}`]), /scaled/);
      await rolloutStatus();
      await waitFor(`${n} pods`, async () => (await livePods('app=nginx')).length === n);
      const d = await json(['get', 'deployment', 'nginx-deployment']);
      assert.equal(d.status.availableReplicas ?? 0, n);
    }
  });

  it('kubectl wait --for=condition=Available and describe show the controller state', async () => {
    assert.match(await srv.k(['wait', '--for=condition=Available', deploy, '--timeout=30s']), /condition met/);
    const out = await srv.k(['describe', 'deployment', 'nginx-deployment']);
    assert.match(out, /Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/);
    assert.match(out, /NewReplicaSet:\s+nginx-deployment-[a-z0-9]+ \(2\/2 replicas created\)/);
    assert.match(out, /ScalingReplicaSet\s+.*deployment-controller\s+Scaled (up|down) replica set nginx-deployment-[a-z0-9]+ to \d+ from \d+/);
  });
});

describe('rollout commands', () => {
  it('set image, pause/resume, restart and undo --to-revision', async () => {
    await srv.k(['create', 'deployment', 'web', '--image=nginx:1.14.2', '--replicas=2']);
    await rolloutStatus('deployment/web');
    await srv.k(['annotate', 'deployment/web', 'kubernetes.io/change-cause=set image 1.16.1']);
    await srv.k(['set', 'image', 'deployment/web', 'nginx=nginx:1.16.1']);
    await rolloutStatus('deployment/web');
    assert.match(await srv.k(['rollout', 'history', 'deployment/web']), /^2\s+set image 1\.16\.1$/m);

    await srv.k(['rollout', 'pause', 'deployment/web']);
    await srv.k(['set', 'image', 'deployment/web', 'nginx=nginx:1.17']);
    await new Promise((r) => setTimeout(r, 500));
    const rsCount = async () => (await json(['get', 'rs', '-l', 'app=web'])).items.length;
    assert.equal(await rsCount(), 2, 'paused: no new ReplicaSet');
    const paused = await srv.kubectl(['rollout', 'status', 'deployment/web', '--timeout=2s']);
    assert.notEqual(paused.code, 0);
    await srv.k(['rollout', 'resume', 'deployment/web']);
    await rolloutStatus('deployment/web');
    assert.equal(await rsCount(), 3);
    assert.equal(await image('web'), 'nginx:1.17');

    assert.match(await srv.k(['rollout', 'restart', 'deployment/web']), /restarted/);
    await rolloutStatus('deployment/web');
    assert.equal(await rsCount(), 4);
    const d = await json(['get', 'deployment', 'web']);
    assert.ok(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);

    await srv.k(['rollout', 'undo', 'deployment/web', '--to-revision=1']);
    await rolloutStatus('deployment/web');
    assert.equal(await image('web'), 'nginx:1.14.2');
    assert.match(await srv.k(['rollout', 'history', 'deployment/web']), /^5\s+/m);
  });

  it('Recreate deletes all old pods before creating new ones', async () => {
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'rec' },
      spec: {
        replicas: 3,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: 'rec' } },
        template: { metadata: { labels: { app: 'rec' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.14.2' }] } },
      },
    };
    await srv.k(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    await rolloutStatus('deployment/rec');
    const live = new Map<string, Obj>();
    const violations: string[] = [];
    const watchStop = new AbortController();
    const inf = new InformerFactory(api).informer(resources.pods, { namespace: 'default', labelSelector: 'app=rec' });
    inf.addHandler({
      add: (p) => {
        live.set(p['metadata'].name, p);
        // As upstream's recreate.go: old pods count until gone or terminal (a stopped pod's
        // agent reports Succeeded/Failed before its object is removed).
        const old = [...live.values()].filter((x) => x['spec'].containers[0].image !== 'nginx:1.16.1' && !['Succeeded', 'Failed'].includes(x['status']?.phase));
        if (p['spec'].containers[0].image === 'nginx:1.16.1' && old.length) violations.push(`${p['metadata'].name} while ${old.length} old pods were running`);
      },
      update: (_o, p) => void live.set(p['metadata'].name, p),
      delete: (p) => void live.delete(p['metadata'].name),
    });
    void inf.run(watchStop.signal);
    await inf.ready;
    try {
      await srv.k(['set', 'image', 'deployment/rec', 'c=nginx:1.16.1']);
      await rolloutStatus('deployment/rec');
    } finally {
      watchStop.abort();
    }
    assert.deepEqual(violations, []);
    assert.equal((await livePods('app=rec')).length, 3);
  });

  it('kubectl delete deployment removes its ReplicaSets and pods (garbage collector)', async () => {
    await srv.k(['delete', 'deployment', 'rec']);
    await waitFor('no ReplicaSets or pods left', async () => {
      const sets = (await json(['get', 'rs', '-l', 'app=rec'])).items.length;
      const pods = (await json(['get', 'pods', '-l', 'app=rec'])).items.length;
      return sets === 0 && pods === 0;
    });
  });
});
