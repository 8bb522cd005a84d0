/**
 * TCP routes of the built-in ingress (src/agent/tcp-routes) end to end in
 * `bramble lab` as root, the seed-002 shape (devices holding long-lived TCP
 * connections to a gateway behind the cluster): two boards, a Deployment
 * `gw` of two busybox pods on different boards, each a TCP server on 9000
 * (`nc -ll -e`) that greets with `pod=<its name>` and then echoes; Service
 * `gw`; the ConfigMap kube-system/bramble-tcp-services maps node port 7000
 * to it.
 *
 * - From the host and from inside each board's namespace (three client
 *   addresses), connections to either board's 7000 reach a ready gw pod,
 *   always the same one per client — the one rendezvous hashing of the
 *   client address over the EndpointSlice predicts, on both boards.
 * - A connection held open for seconds carries data both ways.
 * - Deleting the pod behind it (which ignores SIGTERM and has 30 s of grace,
 *   so it would keep serving) closes the connection within seconds — the
 *   proxy drops connections to endpoints that leave the ready set — and a
 *   reconnect reaches the other pod.
 * - A route to a reserved port (80) is refused with a Warning Event on the
 *   ConfigMap; the other route keeps working.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { endpointKey, pick, type Endpoint } from '../../src/agent/tcp-routes/routes.ts';
import type { LabRecord } from '../../src/lab/state.ts';
import { sleep, until, useLab } from '../harness/lab.ts';
import { netnsConnector } from '../harness/netns.ts';

const helpers = new Set<ChildProcess>();
const open = new Set<Duplex>();
let lab: LabRecord;
let boards: { name: string; ip: string; netns: string }[] = [];
let hostIP = '';

const { k } = useLab('labtcp', ['--nodes', '2', '--timeout', '240'], {
  onUp: (l) => {
    lab = l;
    setUp();
  },
  beforeDown: () => {
    for (const s of open) s.destroy();
    for (const c of helpers) c.kill('SIGKILL');
  },
});

/** A line-oriented TCP conversation: the greeting is the first line. */
interface Conv {
  sock: Duplex;
  line(timeoutMs?: number): Promise<string>;
  /** Resolves when the far side ends or the connection closes. */
  ended: Promise<void>;
}
function conversation(sock: Duplex): Conv {
  open.add(sock);
  let buf = '';
  const waiting: (() => void)[] = [];
  sock.on('data', (d: Buffer) => {
    buf += d.toString();
    for (const w of waiting.splice(0)) w();
  });
  sock.on('error', () => undefined);
  const ended = new Promise<void>((r) => {
    sock.on('end', () => r());
    sock.on('close', () => r());
  });
  ended.then(() => {
    open.delete(sock);
    for (const w of waiting.splice(0)) w();
  });
  let done = false;
  void ended.then(() => (done = true));
  return {
    sock,
    ended,
    async line(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          const l = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          return l;
        }
        if (done) throw new Error('connection closed before a line');
        if (Date.now() > deadline) throw new Error('no line in time');
        await new Promise<void>((r) => {
          waiting.push(r);
          setTimeout(r, 100);
        });
      }
    },
  };
}

/** From the host (its address on the lab bridge). */
async function fromHost(ip: string, port = 7000): Promise<Conv> {
  const s = net.connect({ host: ip, port });
  s.setTimeout(10_000, () => s.destroy(new Error('timeout')));
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  s.setTimeout(0);
  return conversation(s);
}

/** From inside a board's network namespace (source address: that board's IP), over busybox nc. */
function fromBoard(netns: string, ip: string, port = 7000): Conv {
  return conversation(netnsConnector(netns, helpers)(ip, port));
}

/** The greeting's pod name. */
async function greeting(c: Conv): Promise<string> {
  const l = await c.line(8000);
  const m = /^pod=(\S+)$/.exec(l.trim());
  assert.ok(m, `greeting: ${JSON.stringify(l)}`);
  return m[1]!;
}

/** Ready gw pods: name → endpoint (pod IP:9000), from the EndpointSlices the proxies use. */
async function readyEndpoints(): Promise<Map<string, Endpoint>> {
  const slices = JSON.parse(await k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=gw', '-o', 'json'])) as { items: any[] };
  const out = new Map<string, Endpoint>();
  for (const s of slices.items) {
    const port = s.ports?.[0]?.port;
    for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false && e.targetRef?.name) out.set(e.targetRef.name, { ip: e.addresses[0], port });
  }
  return out;
}

function expectedPod(client: string, eps: Map<string, Endpoint>): string {
  const want = endpointKey(pick(client, [...eps.values()])!);
  return [...eps.entries()].find(([, e]) => endpointKey(e) === want)![0];
}

const SERVER = [
  // TERM is ignored so the pod keeps serving through its grace period: a closed connection then proves the proxy closed it.
  "trap '' TERM",
  `printf '#!/bin/sh\\necho "pod=$(hostname)"\\nexec cat\\n' > /tmp/h`,
  'chmod +x /tmp/h',
  'touch /tmp/ready',
  'exec nc -ll -p 9000 -e /tmp/h',
].join('; ');

function setUp(): void {
  boards = lab.boards.map((b) => ({ name: b.name, ip: b.ip, netns: b.netns }));
  hostIP = lab.hostAddress.split('/')[0]!;
}

describe('TCP routes across boards', () => {
  let eps = new Map<string, Endpoint>();

  it('routes node port 7000 on both boards to ready gw pods, on different boards', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gw', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'gw' } },
        template: {
          metadata: { labels: { app: 'gw' } },
          spec: {
            terminationGracePeriodSeconds: 30,
            affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'gw' } } }] } },
            containers: [
              {
                name: 'gw',
                image: 'bramble.local/busybox:latest',
                // :latest defaults to Always; the image is side-loaded, there is no registry to pull from.
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', SERVER],
                ports: [{ containerPort: 9000, name: 'devices' }],
                readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    };
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'gw', namespace: 'default' }, spec: { selector: { app: 'gw' }, ports: [{ name: 'devices', port: 9000, targetPort: 'devices' }] } };
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bramble-tcp-services', namespace: 'kube-system' }, data: { '7000': 'default/gw:devices' } };
    for (const o of [deployment, service, cm]) await k(['apply', '-f', '-'], JSON.stringify(o));
    const t0 = Date.now();
    const pods = await until('2 ready gw pods', 180_000, async () => {
      const l = JSON.parse(await k(['get', 'pods', '-l', 'app=gw', '-o', 'json'])) as { items: any[] };
      const r = l.items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
      return r.length === 2 ? r : undefined;
    }).catch(async (e: Error) => {
      // What the pods were doing, for whoever reads the failure.
      const out = await k(['describe', 'pods', '-l', 'app=gw']).catch((x: Error) => x.message);
      const nodes = await k(['get', 'nodes', '-o', 'wide']).catch((x: Error) => x.message);
      throw new Error(`${e.message}\n${nodes}\n${out}`);
    });
    assert.notEqual(pods[0].spec.nodeName, pods[1].spec.nodeName, 'one pod per board');
    eps = await until('both pods in the EndpointSlice', 30_000, async () => {
      const e = await readyEndpoints();
      return e.size === 2 ? e : undefined;
    });
    for (const b of boards) {
      const name = await until(`an answer on ${b.name}:7000`, 60_000, async () => {
        const c = await fromHost(b.ip);
        try {
          return await greeting(c);
        } finally {
          c.sock.destroy();
        }
      });
      assert.ok(eps.has(name), `${name} is a ready gw pod`);
    }
    process.stdout.write(`# first answers on both boards ${((Date.now() - t0) / 1000).toFixed(1)} s after apply; pods ${[...eps.keys()].join(', ')}\n`);
  });

  it('each client always reaches the pod rendezvous hashing predicts, through either board', async () => {
    const clients = [
      { name: 'host', ip: hostIP, dial: (target: string) => fromHost(target) },
      ...boards.map((b) => ({ name: b.name, ip: b.ip, dial: async (target: string) => fromBoard(b.netns, target) })),
    ];
    for (const c of clients) {
      const want = expectedPod(c.ip, eps);
      const got: string[] = [];
      for (const b of boards) {
        for (let i = 0; i < 3; i++) {
          const conv = await c.dial(b.ip);
          got.push(await greeting(conv));
          conv.sock.destroy();
        }
      }
      assert.deepEqual(got, Array(got.length).fill(want), `client ${c.name} (${c.ip})`);
      process.stdout.write(`# client ${c.name} (${c.ip}) → ${want} on both boards, ${got.length} connections\n`);
    }
  });

  it('a long-lived connection carries data both ways; deleting its pod closes it; a reconnect reaches the other pod', async () => {
    const board = boards[1]!;
    const c = await fromHost(board.ip);
    const pod = await greeting(c);
    for (let i = 0; i < 3; i++) {
      await sleep(2000);
      c.sock.write(`reading ${i}\n`);
      assert.equal(await c.line(), `reading ${i}`);
    }
    const t0 = Date.now();
    await k(['delete', 'pod', pod, '--wait=false']);
    await Promise.race([c.ended, sleep(20_000).then(() => assert.fail('the connection to the deleted pod stayed open for 20 s'))]);
    const closedAfter = (Date.now() - t0) / 1000;
    process.stdout.write(`# connection to ${pod} closed ${closedAfter.toFixed(1)} s after its deletion (grace period 30 s, TERM ignored)\n`);
    assert.ok(closedAfter < 20);
    const other = [...eps.keys()].find((n) => n !== pod)!;
    const again = await fromHost(board.ip);
    const now = await greeting(again);
    assert.notEqual(now, pod);
    // The other original pod, unless the Deployment's replacement became ready first and wins the hash.
    if (now !== other) assert.ok((await readyEndpoints()).has(now), `${now} is a ready gw pod`);
    process.stdout.write(`# reconnect reached ${now}${now === other ? ' (the other original pod)' : ' (the replacement)'}\n`);
    again.sock.write('hello again\n');
    assert.equal(await again.line(), 'hello again');
    again.sock.destroy();
  });

  it('a route to a reserved port is refused with a Warning Event; the good route keeps serving', async () => {
    await k(['patch', 'configmap', 'bramble-tcp-services', '-n', 'kube-system', '--type=merge', '-p', JSON.stringify({ data: { '80': 'default/gw:9000', '7001': 'nope' } })]);
    const events = await until('Warning events on the ConfigMap', 30_000, async () => {
      const l = JSON.parse(await k(['get', 'events', '-n', 'kube-system', '-o', 'json'])) as { items: any[] };
      const ours = l.items.filter((e) => e.involvedObject?.name === 'bramble-tcp-services' && e.type === 'Warning');
      const reasons = new Set(ours.map((e) => e.reason));
      return reasons.has('TCPRoutePortConflict') && reasons.has('InvalidTCPRoute') ? ours : undefined;
    });
    assert.ok(events.some((e) => /port 80 is used by ingress HTTP/.test(e.message)));
    const c = await fromHost(boards[0]!.ip);
    assert.ok((await readyEndpoints()).has(await greeting(c)));
    c.sock.destroy();
  });
});
