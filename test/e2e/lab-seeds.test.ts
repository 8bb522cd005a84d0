/**
 * Issue 5's seed scenarios in `bramble lab` (root), three boards, stock kubectl.
 *
 * - Seed 001: a 3-replica Deployment (one pod per board by a hostname
 *   topologySpreadConstraint; each pod serves its own name) behind a Service:
 *   requests through the ClusterIP from a pod on board-1 reach all 3 pods;
 *   `kubectl expose --type=NodePort` answers from the host on every board's
 *   address and reaches all 3 pods; a pod whose readiness probe starts failing
 *   (its /tmp/ready removed with kubectl exec) stops receiving traffic through
 *   the ClusterIP and the NodePort: the time it takes is printed.
 * - Seed 000: `kubectl expose --type=LoadBalancer --port=8080` gets the boards'
 *   addresses as EXTERNAL-IP (node mode) and answers on them from the host.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { run } from '../harness/server.ts';
import { until, useLab } from '../harness/lab.ts';
import type { LabRecord } from '../../src/lab/state.ts';

let lab: LabRecord;
let pods: { name: string; node: string }[] = [];
let nodePort = 0;

const { k } = useLab('labseeds', ['--nodes', '3', '--timeout', '240'], {
  onUp: async (l) => {
    lab = l;
    await setUp();
  },
});

/** One HTTP GET from the host (no keep-alive); the body (the answering pod's name). */
function httpGet(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** `n` GETs from the host; the answering pods' names in order ('ERR: …' for a failure). */
async function hostGets(ip: string, port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await httpGet(ip, port).catch((e: Error) => `ERR: ${e.message}`));
  return out;
}

/** `n` GETs through `ip:port` from the client pod on board-1 (busybox nc); the answering pods' names. */
async function podGets(ip: string, port: number, n: number): Promise<string[]> {
  // Each answer's last line is the body (the pod name); a failed one prints FAIL.
  const script = `for i in $(seq ${n}); do r=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port}); case "$r" in *" 200 "*) echo "$r" | tail -n 1;; *) echo FAIL;; esac; done`;
  return (await k(['exec', 'client', '--', 'sh', '-c', script])).trim().split('\n').map((l) => l.trim());
}

const tally = (names: string[]) => names.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
const podNames = () => pods.map((p) => p.name).sort();

/** After lab up: the seed Deployment's pods, one per board. */
async function setUp(): Promise<void> {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'seed', namespace: 'default' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'seed' } },
      template: {
        metadata: { labels: { app: 'seed' } },
        spec: {
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'seed' } } }],
          containers: [
            {
              name: 'hello',
              image: 'bramble.local/hello-node:1.0',
              // Each pod serves its own name (the pod's hostname).
              command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www'],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
            },
          ],
        },
      },
    },
  };
  await k(['apply', '-f', '-'], JSON.stringify(deployment));
  const client = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'client', namespace: 'default' },
    spec: { nodeSelector: { 'kubernetes.io/hostname': 'board-1' }, containers: [{ name: 'c', image: 'bramble.local/hello-node:1.0', command: ['sleep', '3600'] }] },
  };
  await k(['apply', '-f', '-'], JSON.stringify(client));
  const ready = await until('3 ready seed pods', 180_000, async () => {
    const l = JSON.parse(await k(['get', 'pods', '-l', 'app=seed', '-o', 'json'])) as { items: any[] };
    const r = l.items.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    return r.length === 3 ? r : undefined;
  });
  pods = ready.map((p) => ({ name: p.metadata.name, node: p.spec.nodeName }));
  await until('the client pod running', 120_000, async () => ((await k(['get', 'pod', 'client', '-o', 'jsonpath={.status.phase}'])).trim() === 'Running' ? true : undefined));
}

describe('issue 5 seed scenarios in a 3-board lab', () => {
  it('seed 001: the 3 pods run one per board, and each serves its own name', async () => {
    assert.deepEqual(pods.map((p) => p.node).sort(), ['board-1', 'board-2', 'board-3']);
    process.stdout.write(`# pods: ${pods.map((p) => `${p.name}@${p.node}`).join(', ')}\n`);
  });

  it('seed 001: 30 requests through the ClusterIP from a pod on board-1 reach all 3 pods', async () => {
    await k(['expose', 'deployment', 'seed', '--port=80', '--target-port=8080']);
    const clusterIP = (await k(['get', 'svc', 'seed', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const answers = await until('all 3 pods to answer through the ClusterIP', 30_000, async () => {
      const a = await podGets(clusterIP, 80, 30);
      return a.length === 30 && a.every((x) => podNames().includes(x)) ? a : undefined;
    });
    const hits = tally(answers);
    process.stdout.write(`# ClusterIP ${clusterIP}:80 from board-1: ${JSON.stringify(hits)}\n`);
    assert.deepEqual(Object.keys(hits).sort(), podNames(), JSON.stringify(hits));
  });

  it('seed 001/000: kubectl expose --type=NodePort answers on every board from the host, reaching all 3 pods', async () => {
    await k(['expose', 'deployment', 'seed', '--type=NodePort', '--port=8080', '--name=seed-np']);
    nodePort = Number((await k(['get', 'svc', 'seed-np', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim());
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
    const all: string[] = [];
    for (const b of lab.boards) {
      await until(`${b.ip}:${nodePort} to answer`, 30_000, () => httpGet(b.ip, nodePort));
      const a = await hostGets(b.ip, nodePort, 12);
      process.stdout.write(`# NodePort ${b.name} ${b.ip}:${nodePort} from the host: ${JSON.stringify(tally(a))}\n`);
      for (const x of a) assert.ok(podNames().includes(x), `${b.name}: unexpected answer ${x}`);
      all.push(...a);
    }
    assert.deepEqual(Object.keys(tally(all)).sort(), podNames(), JSON.stringify(tally(all)));
  });

  it('seed 001: a pod failing readiness stops receiving traffic through the ClusterIP and the NodePort', async () => {
    const victim = pods.find((p) => p.node === 'board-3')!;
    const rest = podNames().filter((n) => n !== victim.name);
    const clusterIP = (await k(['get', 'svc', 'seed', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const board1 = lab.boards.find((b) => b.name === 'board-1')!;
    const t0 = Date.now();
    await k(['exec', victim.name, '--', 'rm', '/tmp/ready']);
    const tExec = Date.now() - t0;
    // From the host through board-1's NodePort: batches of 15 until none reaches the victim
    // (a batch missing a still-ready pod by chance: (2/3)^15, 0.2 %; the checks below would catch it).
    await until(`${victim.name} out of the NodePort's answers`, 30_000, async () => {
      const a = await hostGets(board1.ip, nodePort, 15);
      return a.every((x) => rest.includes(x)) ? true : undefined;
    }, 100);
    const tStopped = Date.now() - t0;
    const cond = JSON.parse(await k(['get', 'pod', victim.name, '-o', 'json'])).status.conditions.find((c: any) => c.type === 'Ready');
    process.stdout.write(
      `# readiness: rm /tmp/ready on ${victim.name}@${victim.node} (exec took ${tExec} ms) -> no NodePort traffic to it after ${tStopped} ms (pod Ready=${cond?.status})\n`,
    );
    assert.equal(cond?.status, 'False');
    assert.ok(tStopped < 10_000, `traffic stopped only after ${tStopped} ms`);
    // Now, every request through the ClusterIP and every board's NodePort is answered by the two ready pods only.
    const viaCluster = await podGets(clusterIP, 80, 30);
    process.stdout.write(`# after: ClusterIP from board-1 ${JSON.stringify(tally(viaCluster))}\n`);
    assert.equal(viaCluster.length, 30);
    for (const x of viaCluster) assert.ok(rest.includes(x), `ClusterIP answer ${x} (victim ${victim.name})`);
    assert.deepEqual(Object.keys(tally(viaCluster)).sort(), rest);
    for (const b of lab.boards) {
      const a = await hostGets(b.ip, nodePort, 10);
      process.stdout.write(`# after: NodePort ${b.name} ${JSON.stringify(tally(a))}\n`);
      for (const x of a) assert.ok(rest.includes(x), `${b.name} NodePort answer ${x} (victim ${victim.name})`);
    }
    // And it comes back once ready again.
    const t1 = Date.now();
    await k(['exec', victim.name, '--', 'touch', '/tmp/ready']);
    await until(`${victim.name} back in the NodePort's answers`, 30_000, async () => ((await hostGets(board1.ip, nodePort, 10)).includes(victim.name) ? true : undefined), 100);
    process.stdout.write(`# readiness restored -> ${victim.name} answered through the NodePort again after ${Date.now() - t1} ms\n`);
  });

  it('seed 000: kubectl expose --type=LoadBalancer --port=8080 gets the boards\' addresses as EXTERNAL-IP and answers on them', async () => {
    await k(['expose', 'deployment', 'seed', '--type=LoadBalancer', '--port=8080', '--name=seed-lb']);
    const want = lab.boards.map((b) => b.ip).sort();
    await until('node addresses as EXTERNAL-IP', 30_000, async () => {
      const s = JSON.parse(await k(['get', 'svc', 'seed-lb', '-o', 'json']));
      const ips = ((s.status?.loadBalancer?.ingress ?? []) as any[]).map((i) => i.ip).sort();
      return ips.join() === want.join() ? true : undefined;
    });
    const table = await k(['get', 'svc', 'seed-lb']);
    process.stdout.write(`# ${table.trim().split('\n').join('\n# ')}\n`);
    for (const ip of want) assert.ok(table.includes(ip), `EXTERNAL-IP lacks ${ip}:\n${table}`);
    for (const ip of want) {
      const body = await until(`HTTP on ${ip}:8080`, 30_000, () => httpGet(ip, 8080));
      assert.ok(podNames().includes(body), `${ip}:8080 answered ${body}`);
    }
  });
});
