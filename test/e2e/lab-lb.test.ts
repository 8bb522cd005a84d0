/**
 * LoadBalancer Services end to end in `bramble lab` (root): three boards,
 * the server started with `--lb-pool <lab subnet .200-.220>` and the
 * default node-monitor grace period (40 s); board-2 and board-3 labelled
 * `svccontroller.bramble.io/enablelb=true` (so the API server's board-1 is
 * never the one announcing, and is never killed).
 *
 * - Pool mode (MetalLB layer 2): a Service over 3 hello-node pods with
 *   `loadBalancerIP` .210 gets EXTERNAL-IP .210, one board holds the address
 *   and the host (on the LAN bridge) gets HTTP answers from it; killing that
 *   board moves the address to the other one within 10 s — the server's
 *   probes of the announcing agent notice, not node readiness — and the
 *   failover time is printed.
 * - Seed 004: MetalLB's `metallb-system/config` ConfigMap, as the seed
 *   writes it, adds a pool; a Service with `loadBalancerIP` from it answers.
 * - Node mode (k3s ServiceLB): a Service annotated
 *   `svccontroller.bramble.io/mode: nodes` gets the labelled boards' addresses
 *   as EXTERNAL-IP and answers on each.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ok, until, useLab } from '../harness/lab.ts';
import type { LabRecord } from '../../src/lab/state.ts';
import { cidrString, defaultSubnet, hostAt } from '../../src/lab/subnet.ts';

const subnet = defaultSubnet();
const poolFirst = hostAt(subnet, 200);
const poolLast = hostAt(subnet, 220);
const wantedIP = hostAt(subnet, 210);
let lab: LabRecord;

const { lab: lab_, k } = useLab('lablb', ['--nodes', '3', '--subnet', cidrString(subnet), `--server-flag=--lb-pool=${poolFirst}-${poolLast}`, '--timeout', '240'], {
  onUp: async (l) => {
    lab = l;
    await setUp();
  },
});

/** One HTTP GET from the host (no keep-alive); rejects after `timeoutMs`. */
function httpGet(host: string, port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Boards whose LAN interface holds `ip` (our /32). */
function holders(ip: string): string[] {
  return lab.boards
    .filter((b) => {
      const out = spawnSync('ip', ['-n', b.netns, '-j', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout;
      return (JSON.parse(out || '[]') as { addr_info?: { local: string }[] }[]).some((l) => l.addr_info?.some((a) => a.local === ip));
    })
    .map((b) => b.name);
}

const svcJSON = async (name: string) => JSON.parse(await k(['get', 'svc', name, '-o', 'json'])) as any;
const externalIPs = (s: any): string[] => (s.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip);

/** After lab up: boards 2 and 3 carry the enablelb label; 3 ready hello pods, one per board. */
async function setUp(): Promise<void> {
  await k(['label', 'node', 'board-2', 'board-3', 'svccontroller.bramble.io/enablelb=true']);
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'hello', namespace: 'default' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'hello' } },
      template: {
        metadata: { labels: { app: 'hello' } },
        spec: {
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'hello' } } }],
          containers: [{ name: 'hello', image: 'bramble.local/hello-node:1.0', ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 } }],
        },
      },
    },
  };
  await k(['apply', '-f', '-'], JSON.stringify(deployment));
  await until('3 ready hello pods', 180_000, async () => {
    const l = JSON.parse(await k(['get', 'pods', '-l', 'app=hello', '-o', 'json'])) as { items: any[] };
    const ready = l.items.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === 3 ? ready : undefined;
  });
}

describe('LoadBalancer Services in a 3-board lab', () => {
  it('node mode: a Service annotated mode=nodes shows the enablelb boards\' addresses and answers on each', async () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hello-nodes', namespace: 'default', annotations: { 'svccontroller.bramble.io/mode': 'nodes' } },
      spec: { type: 'LoadBalancer', selector: { app: 'hello' }, ports: [{ port: 8081, targetPort: 8080 }] },
    };
    await k(['apply', '-f', '-'], JSON.stringify(svc));
    const want = lab.boards.filter((b) => b.name !== 'board-1').map((b) => b.ip).sort();
    const ips = await until('node addresses as EXTERNAL-IP', 30_000, async () => {
      const ips = externalIPs(await svcJSON('hello-nodes')).sort();
      return ips.join() === want.join() ? ips : undefined;
    });
    const table = await k(['get', 'svc', 'hello-nodes']);
    process.stdout.write(`# ${table.trim().split('\n').join('\n# ')}\n`);
    assert.match(table, new RegExp(want.map((ip) => ip.replace(/\./g, '\\.')).join(',')));
    for (const ip of ips) {
      const body = await until(`HTTP on ${ip}:8081`, 30_000, () => httpGet(ip, 8081));
      assert.ok(body.length > 0);
    }
    await k(['delete', 'svc', 'hello-nodes']);
  });

  it('seed 004: MetalLB\'s ConfigMap adds a layer 2 pool; loadBalancerIP from it answers on the LAN', async () => {
    const first = hostAt(subnet, 230);
    const last = hostAt(subnet, 240);
    const ip = hostAt(subnet, 231);
    await k(['create', 'namespace', 'metallb-system']);
    // The seed's YAML, with the lab's addresses for its office LAN.
    const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  namespace: metallb-system
  name: config
data:
  config: |
    address-pools:
    - name: company-office
      protocol: layer2
      addresses:
      - ${first}-${last}
`;
    await k(['apply', '-f', '-'], configMap);
    const svc = `apiVersion: v1
kind: Service
metadata:
  name: my-web-app
spec:
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
  loadBalancerIP: ${ip}
  selector:
    app: hello
  type: LoadBalancer
`;
    await k(['apply', '-f', '-'], svc);
    await until('EXTERNAL-IP from the ConfigMap pool', 30_000, async () => (externalIPs(await svcJSON('my-web-app')).join() === ip ? true : undefined));
    const announcer = await until('announcing node', 30_000, async () => (await svcJSON('my-web-app')).metadata.annotations?.['svccontroller.bramble.io/announce-node'] as string | undefined);
    await until(`${announcer} holds ${ip}`, 30_000, async () => (holders(ip).join() === announcer ? true : undefined));
    const body = await until(`HTTP on ${ip}:80`, 30_000, () => httpGet(ip, 80));
    assert.ok(body.length > 0);
    await k(['delete', 'svc', 'my-web-app']);
    await until(`${ip} released`, 30_000, async () => (holders(ip).length === 0 ? true : undefined));
  });

  it('pool mode: loadBalancerIP from the pool answers from one board, and moves when that board dies', async () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hello-lb', namespace: 'default' },
      spec: { type: 'LoadBalancer', loadBalancerIP: wantedIP, selector: { app: 'hello' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    await k(['apply', '-f', '-'], JSON.stringify(svc));
    await until('EXTERNAL-IP from the pool', 30_000, async () => (externalIPs(await svcJSON('hello-lb')).join() === wantedIP ? true : undefined));
    const table = await k(['get', 'svc', 'hello-lb']);
    process.stdout.write(`# ${table.trim().split('\n').join('\n# ')}\n`);
    assert.match(table, new RegExp(wantedIP.replace(/\./g, '\\.')));
    const announcer = await until('announcing node', 30_000, async () => (await svcJSON('hello-lb')).metadata.annotations?.['svccontroller.bramble.io/announce-node'] as string | undefined);
    assert.ok(['board-2', 'board-3'].includes(announcer), announcer);
    await until(`only ${announcer} holds ${wantedIP}`, 30_000, async () => (holders(wantedIP).join() === announcer ? true : undefined));
    // Every pod answers through the address (random balancing over 3 endpoints).
    let answers = 0;
    for (let i = 0; i < 20; i++) if (await httpGet(wantedIP, 80, 2000).then(() => true, () => false)) answers++;
    assert.equal(answers, 20, `${answers}/20 requests to ${wantedIP}:80 answered`);

    // Power cut on the announcing board.
    const t0 = Date.now();
    ok(await lab_(['kill', announcer]), 'lab kill');
    const other = announcer === 'board-2' ? 'board-3' : 'board-2';
    await until(`an answer from ${wantedIP} again`, 60_000, () => httpGet(wantedIP, 80, 500), 200);
    const failoverMs = Date.now() - t0;
    const moved = (await svcJSON('hello-lb')).metadata.annotations?.['svccontroller.bramble.io/announce-node'];
    process.stdout.write(`# failover: ${announcer} killed -> ${wantedIP}:80 answered again from ${moved} after ${(failoverMs / 1000).toFixed(1)} s (default node-monitor-grace-period 40 s; the agent probe decides)\n`);
    assert.equal(moved, other);
    assert.deepEqual(holders(wantedIP).filter((b) => b !== announcer), [other]);
    // Once the dead board's pod is out of the endpoints, every request is answered.
    await until('the dead pod out of the endpoints (after the 40 s grace period)', 120_000, async () => {
      let n = 0;
      for (let i = 0; i < 10; i++) if (await httpGet(wantedIP, 80, 1000).then(() => true, () => false)) n++;
      return n === 10 ? true : undefined;
    });
    assert.ok(failoverMs < 10_000, `failover took ${failoverMs} ms`);
  });
});
