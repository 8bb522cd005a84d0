/**
 * DaemonSets, StatefulSets, Jobs and CronJobs end to end with stock kubectl
 * against a real `bramble server` and three simulated boards
 * (`bramble agent --runtime fake`), placed by the server's scheduler:
 *
 * - seed 002: boards labelled by their hardware (`kubectl label node`), a
 *   collector DaemonSet with `nodeSelector` that runs exactly there and
 *   follows the labels; `kubectl rollout status|history|undo ds/…`;
 * - `kubectl get ds|sts|jobs|cronjobs -o wide` columns;
 * - a Job run to completion (fake containers exit after a second) and
 *   `kubectl create job --from=cronjob/…`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Obj } from '../../src/client/types.ts';
import { brambleBin, startServer, type TestServer } from '../harness/server.ts';

const boards = ['board-1', 'board-2', 'board-3'];
let srv: TestServer;
const agents: ChildProcess[] = [];

before(async () => {
  srv = await startServer();
  for (const name of boards) {
    const out = fs.openSync(path.join(srv.dir, `agent-${name}.log`), 'a');
    agents.push(spawn(brambleBin, ['agent', '--runtime', 'fake', '--kubeconfig', srv.kubeconfig, '--node-name', name, '--pod-cidr-wait', '20s'], { stdio: ['ignore', out, out] }));
    fs.closeSync(out);
  }
  await waitFor('three Ready boards', async () => {
    const items: Obj[] = (await json(['get', 'nodes'])).items;
    return items.length === 3 && items.every((n) => (n['status']?.conditions as Obj[] | undefined)?.some((c) => c['type'] === 'Ready' && c['status'] === 'True'));
  });
});
after(async () => {
  for (const p of agents) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await Promise.all(agents.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
  await srv?.stop();
});

const json = async (args: string[]) => JSON.parse(await srv.k([...args, '-o', 'json']));

async function waitFor<T>(what: string, check: () => Promise<T | false | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Nodes running a Ready pod with this label. */
const runningOn = async (label: string) =>
  ((await json(['get', 'pods', '-l', label])).items as Obj[])
    .filter((p) => !p['metadata'].deletionTimestamp && p['status']?.phase === 'Running' && (p['status']?.conditions as Obj[] | undefined)?.some((c) => c['type'] === 'Ready' && c['status'] === 'True'))
    .map((p) => p['spec'].nodeName as string)
    .sort();

/** The cells of one `kubectl get <kind> <name> -o wide` row, with the header. */
async function wideRow(kind: string, name: string): Promise<Record<string, string>> {
  const [header, row] = (await srv.k(['get', kind, name, '-o', 'wide'])).trimEnd().split('\n');
  const starts = [...header!.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index! }));
  const out: Record<string, string> = {};
  starts.forEach((c, i) => (out[c.name] = row!.slice(c.at, starts[i + 1]?.at).trim()));
  return out;
}

const collector = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: camera-collector}
spec:
  selector: {matchLabels: {app: camera-collector}}
  template:
    metadata: {labels: {app: camera-collector}}
    spec:
      nodeSelector: {sensor: camera}
      containers: [{name: collector, image: "collector:1"}]
`;

describe('workloads with kubectl', () => {
  it('a collector DaemonSet runs only on boards labelled by their hardware and follows kubectl label (seed 002)', async () => {
    await srv.k(['label', 'node', 'board-2', 'sensor=camera']);
    await srv.k(['apply', '-f', '-'], { input: collector });
    const status = await srv.kubectl(['rollout', 'status', 'ds/camera-collector', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /daemon set "camera-collector" successfully rolled out/);
    assert.deepEqual(await runningOn('app=camera-collector'), ['board-2']);
    const row = await wideRow('ds', 'camera-collector');
    assert.deepEqual(
      [row['DESIRED'], row['CURRENT'], row['READY'], row['UP-TO-DATE'], row['AVAILABLE'], row['NODE SELECTOR'], row['CONTAINERS'], row['IMAGES'], row['SELECTOR']],
      ['1', '1', '1', '1', '1', 'sensor=camera', 'collector', 'collector:1', 'app=camera-collector'],
    );

    await srv.k(['label', 'node', 'board-3', 'sensor=camera']);
    await waitFor('a collector on board-3 too', async () => (await runningOn('app=camera-collector')).join() === 'board-2,board-3');
    await srv.k(['label', 'node', 'board-2', 'sensor-']);
    await waitFor('the board-2 collector gone', async () => (await runningOn('app=camera-collector')).join() === 'board-3');
    await waitFor('status follows', async () => (await wideRow('ds', 'camera-collector'))['DESIRED'] === '1');
  });

  it('kubectl rollout history and undo work on DaemonSet revisions', async () => {
    await srv.k(['set', 'image', 'ds/camera-collector', 'collector=collector:2']);
    const status = await srv.kubectl(['rollout', 'status', 'ds/camera-collector', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.equal((await wideRow('ds', 'camera-collector'))['IMAGES'], 'collector:2');
    const history = await srv.k(['rollout', 'history', 'ds/camera-collector']);
    assert.match(history, /daemonset\.apps\/camera-collector/);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    assert.match(await srv.k(['rollout', 'history', 'ds/camera-collector', '--revision=1']), /Image:\s+collector:1/);
    assert.match(await srv.k(['rollout', 'undo', 'ds/camera-collector']), /daemonset\.apps\/camera-collector rolled back/);
    await waitFor('back on collector:1', async () => {
      const pods: Obj[] = (await json(['get', 'pods', '-l', 'app=camera-collector'])).items.filter((p: Obj) => !p['metadata'].deletionTimestamp);
      return pods.length === 1 && pods[0]!['spec'].containers[0].image === 'collector:1';
    });
    await waitFor('history renumbered', async () => /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/.test(await srv.k(['rollout', 'history', 'ds/camera-collector'])));
  });

  it('a StatefulSet comes up in order with stable names; kubectl get sts -o wide reads right', async () => {
    await srv.k(['apply', '-f', '-'], {
      input: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:16"}]}
`,
    });
    const status = await srv.kubectl(['rollout', 'status', 'sts/db', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(status.code, 0, status.stderr);
    const pods: Obj[] = (await json(['get', 'pods', '-l', 'app=db'])).items;
    assert.deepEqual(pods.map((p) => p['metadata'].name).sort(), ['db-0', 'db-1']);
    assert.ok(Date.parse(pods.find((p) => p['metadata'].name === 'db-0')!['metadata'].creationTimestamp) <= Date.parse(pods.find((p) => p['metadata'].name === 'db-1')!['metadata'].creationTimestamp));
    const row = await wideRow('sts', 'db');
    assert.deepEqual([row['READY'], row['CONTAINERS'], row['IMAGES']], ['2/2', 'db', 'postgres:16']);
    assert.match(await srv.k(['rollout', 'history', 'sts/db']), /statefulset\.apps\/db\s*\nREVISION\s+CHANGE-CAUSE\n1\s+<none>/);
  });

  it('a Job runs to completion; kubectl get jobs -o wide reads right', async () => {
    await srv.k(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 2
  parallelism: 2
  template:
    metadata: {annotations: {bramble.io/fake-run-seconds: "1"}}
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: "perl:5.34"}]
`,
    });
    const wait = await srv.kubectl(['wait', '--for=condition=complete', 'job/pi', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(wait.code, 0, wait.stderr);
    const row = await wideRow('jobs', 'pi');
    assert.deepEqual([row['STATUS'], row['COMPLETIONS'], row['CONTAINERS'], row['IMAGES']], ['Complete', '2/2', 'pi', 'perl:5.34']);
    assert.match(row['SELECTOR']!, /batch\.kubernetes\.io\/controller-uid=/);
    const events = await srv.k(['get', 'events', '--field-selector', 'involvedObject.name=pi,involvedObject.kind=Job', '-o', 'custom-columns=R:.reason', '--no-headers']);
    assert.match(events, /SuccessfulCreate/);
    assert.match(events, /Completed/);
  });

  it('kubectl create job --from=cronjob runs the CronJob template; kubectl get cronjobs -o wide reads right', async () => {
    await srv.k(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "0 3 * * *"
  timeZone: Asia/Shanghai
  jobTemplate:
    spec:
      template:
        metadata: {annotations: {bramble.io/fake-run-seconds: "1"}}
        spec:
          restartPolicy: OnFailure
          containers: [{name: backup, image: "busybox:1.36"}]
`,
    });
    const row = await wideRow('cronjobs', 'backup');
    assert.deepEqual(
      [row['SCHEDULE'], row['TIMEZONE'], row['SUSPEND'], row['ACTIVE'], row['LAST SCHEDULE'], row['CONTAINERS'], row['IMAGES']],
      ['0 3 * * *', 'Asia/Shanghai', 'False', '0', '<none>', 'backup', 'busybox:1.36'],
    );
    assert.match(await srv.k(['create', 'job', 'backup-now', '--from=cronjob/backup']), /job\.batch\/backup-now created/);
    const wait = await srv.kubectl(['wait', '--for=condition=complete', 'job/backup-now', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(wait.code, 0, wait.stderr);
    const job = await json(['get', 'job', 'backup-now']);
    assert.equal(job.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(job.metadata.ownerReferences[0].kind, 'CronJob');
  });
});
