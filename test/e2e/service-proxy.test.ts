/**
 * The Service proxy against the real kernel. The test builds, in network
 * namespaces of its own:
 *
 *   client (192.168.77.2) ──lan── node (192.168.77.10, cni0 10.42.0.1/24)
 *                                   ├── pod-1 10.42.0.11  busybox httpd :8080 answering "pod-1"
 *                                   ├── pod-2 10.42.0.12  … "pod-2"
 *                                   └── pod-3 10.42.0.13  … "pod-3" (its endpoint says another node)
 *
 * The proxy runs in this process on an in-process registry (Services and
 * EndpointSlices written by hand, as the EndpointSlice controller would) and
 * programs nft inside the node namespace. Needs root, nft and conntrack.
 * Each pod also answers UDP 5353 with its name (a Node.js dgram server).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { InProcessClient } from '../../src/client/in-process.ts';
import { resources, type Obj } from '../../src/client/types.ts';
import { conntrackCommand } from '../../src/agent/proxy/conntrack.ts';
import { nftCommand } from '../../src/agent/proxy/nft.ts';
import { cleanupServiceProxy, startServiceProxy, type SyncStats } from '../../src/agent/proxy/proxy.ts';
import { openTestRegistry, systemUser } from '../harness/registry.ts';

const exec = promisify(execFile);
const tag = `bpx${process.pid}`;
const NODE = `${tag}-node`;
const CLIENT = `${tag}-client`;
const PODS = [1, 2, 3].map((i) => ({ name: `pod-${i}`, ns: `${tag}-p${i}`, ip: `10.42.0.1${i}` }));
const NODE_IP = '192.168.77.10';
const enter = (ns: string) => ['nsenter', `--net=/var/run/netns/${ns}`];

async function sh(ns: string | null, cmd: string[]): Promise<string> {
  const full = ns ? [...enter(ns), ...cmd] : cmd;
  const { stdout } = await exec(full[0]!, full.slice(1), { timeout: 10_000 });
  return stdout;
}

/** One HTTP GET with a fresh connection: the body, or the error text. */
async function get(ns: string, url: string): Promise<{ body: string; err: string; ms: number }> {
  const t0 = Date.now();
  try {
    const { stdout } = await exec('nsenter', [`--net=/var/run/netns/${ns}`, 'busybox', 'wget', '-q', '-O-', url], { timeout: 5_000 });
    return { body: stdout.trim(), err: '', ms: Date.now() - t0 };
  } catch (e) {
    return { body: '', err: String((e as { stderr?: string }).stderr ?? e), ms: Date.now() - t0 };
  }
}

async function hits(ns: string, url: string, n: number): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await get(ns, url);
    const k = r.body || `ERR ${r.err.trim()}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

const servers: ChildProcess[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-proxy-'));
let reg: Awaited<ReturnType<typeof openTestRegistry>>;
let client: InProcessClient;
const nft = nftCommand([...enter(NODE), 'nft']);
const abort = new AbortController();
const syncs: SyncStats[] = [];

async function buildNetwork() {
  for (const ns of [NODE, CLIENT, ...PODS.map((p) => p.ns)]) await sh(null, ['ip', 'netns', 'add', ns]);
  await sh(NODE, ['ip', 'link', 'set', 'lo', 'up']);
  await sh(NODE, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await sh(NODE, ['ip', 'link', 'add', 'cni0', 'type', 'bridge']);
  await sh(NODE, ['ip', 'addr', 'add', '10.42.0.1/24', 'dev', 'cni0']);
  await sh(NODE, ['ip', 'link', 'set', 'cni0', 'up']);
  // Bridged pod-to-pod replies must pass netfilter so Service NAT is undone (as on every k8s node).
  await sh(NODE, ['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
  // The LAN: the node's address, and its default route (Service IPs are routed by it, as on a real node).
  await sh(NODE, ['ip', 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', CLIENT]);
  await sh(NODE, ['ip', 'addr', 'add', `${NODE_IP}/24`, 'dev', 'lan0']);
  await sh(NODE, ['ip', 'link', 'set', 'lan0', 'up']);
  await sh(NODE, ['ip', 'route', 'add', 'default', 'via', '192.168.77.2']);
  await sh(CLIENT, ['ip', 'link', 'set', 'lo', 'up']);
  await sh(CLIENT, ['ip', 'addr', 'add', '192.168.77.2/24', 'dev', 'eth0']);
  await sh(CLIENT, ['ip', 'link', 'set', 'eth0', 'up']);
  for (const [i, p] of PODS.entries()) {
    await sh(NODE, ['ip', 'link', 'add', `veth${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.ns]);
    await sh(NODE, ['ip', 'link', 'set', `veth${i}`, 'master', 'cni0', 'up']);
    // As the CNI bridge plugin's hairpinMode: a pod DNATed to itself gets its packet back out its own port.
    await sh(NODE, ['ip', 'link', 'set', `veth${i}`, 'type', 'bridge_slave', 'hairpin', 'on']);
    await sh(p.ns, ['ip', 'link', 'set', 'lo', 'up']);
    await sh(p.ns, ['ip', 'addr', 'add', `${p.ip}/24`, 'dev', 'eth0']);
    await sh(p.ns, ['ip', 'link', 'set', 'eth0', 'up']);
    await sh(p.ns, ['ip', 'route', 'add', 'default', 'via', '10.42.0.1']);
    const dir = path.join(tmp, p.name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'index.html'), `${p.name}\n`);
    // /cgi-bin/peer answers the address the connection came from (is the client masqueraded?).
    fs.mkdirSync(path.join(dir, 'cgi-bin'));
    fs.writeFileSync(path.join(dir, 'cgi-bin', 'peer'), '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n', { mode: 0o755 });
    servers.push(spawn('nsenter', [...enter(p.ns), 'busybox', 'httpd', '-f', '-p', '8080', '-h', dir], { stdio: 'ignore' }));
    // A UDP server answering its name on 5353.
    servers.push(spawn('nsenter', [...enter(p.ns), process.execPath, '-e', `const d=require('dgram').createSocket('udp4');d.on('message',(m,r)=>d.send('${p.name}',r.port,r.address));d.bind(5353)`], { stdio: 'ignore' }));
  }
  // Wait until each server answers on its pod IP (from the node).
  for (const p of PODS) {
    for (let i = 0; ; i++) {
      if ((await get(NODE, `http://${p.ip}:8080/`)).body === p.name) break;
      if (i > 50) throw new Error(`${p.name} never answered`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function teardown() {
  for (const s of servers) if (s.pid && s.exitCode === null) s.kill('SIGKILL');
  for (const ns of [NODE, CLIENT, ...PODS.map((p) => p.ns)]) await sh(null, ['ip', 'netns', 'del', ns]).catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
}

type Ep = { pod: (typeof PODS)[number]; ready?: boolean; node?: string };
function slice(svc: string, eps: Ep[]): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'default', name: `${svc}-abc`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: eps.map((e) => ({
      addresses: [e.pod.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: false },
      nodeName: e.node ?? 'node-a',
    })),
  };
}

/** An EndpointSlice for the `udp` Service: port "dns" 5353/UDP on the given pods. */
function udpSlice(pods: Ep['pod'][]): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'default', name: 'udp-abc', labels: { 'kubernetes.io/service-name': 'udp' } },
    addressType: 'IPv4',
    ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }],
    endpoints: pods.map((p) => ({ addresses: [p.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' })),
  };
}

/** One datagram from `ns`, from source port `sport`, to ip:port: the answer, or "timeout". */
async function udpAsk(ns: string, ip: string, port: number, sport: number): Promise<string> {
  const js = `const d=require('dgram').createSocket('udp4');d.on('message',m=>{console.log(m.toString());process.exit(0)});d.bind(${sport},()=>d.send('q',${port},'${ip}'));setTimeout(()=>{console.log('timeout');process.exit(0)},2000)`;
  return (await sh(ns, [process.execPath, '-e', js])).trim();
}

async function createService(name: string, clusterIP: string, spec: Obj, eps: Ep[] | null): Promise<Obj> {
  const svc = await client.create(resources.services, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'default', name },
    spec: { clusterIP, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec },
  });
  if (eps) await client.create(resources.endpointslices, 'default', slice(name, eps));
  return svc;
}

/** Writes the slice and resolves once the proxy applied a sync that started after the write; returns ms. */
async function setEndpoints(svc: string, eps: Ep[]): Promise<number> {
  const cur = await client.get(resources.endpointslices, 'default', `${svc}-abc`);
  const t0 = Date.now();
  const n = syncs.length;
  await client.update(resources.endpointslices, 'default', { ...slice(svc, eps), metadata: { ...cur['metadata'] } });
  for (;;) {
    const s = syncs.slice(n).find((x) => x.at >= t0);
    if (s) return s.at + s.ms - t0;
    if (Date.now() - t0 > 5000) throw new Error('no sync after the EndpointSlice change');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const [p1, p2, p3] = PODS as [Ep['pod'], Ep['pod'], Ep['pod']];
const names = (m: Map<string, number>) => [...m.keys()].sort();

describe('service proxy (nftables, real kernel)', { concurrency: false }, () => {
  let webNodePort = 0;
  let localNodePort = 0;
  let proxy: ReturnType<typeof startServiceProxy>;

  before(async () => {
    await buildNetwork();
    reg = await openTestRegistry();
    client = new InProcessClient(reg.registry, systemUser);
    const web = await createService('web', '10.43.0.20', { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }] }, [{ pod: p1 }, { pod: p2 }, { pod: p3, node: 'node-b' }]);
    webNodePort = web['spec'].ports[0].nodePort;
    await createService('sticky', '10.43.0.21', { sessionAffinity: 'ClientIP' }, [{ pod: p1 }, { pod: p2 }, { pod: p3 }]);
    await createService('empty', '10.43.0.22', {}, null);
    await createService('self', '10.43.0.23', {}, [{ pod: p1 }]);
    const local = await createService('local', '10.43.0.24', { type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30081 }] }, [{ pod: p2 }, { pod: p3, node: 'node-b' }]);
    localNodePort = local['spec'].ports[0].nodePort;
    await createService('internal', '10.43.0.25', { internalTrafficPolicy: 'Local' }, [{ pod: p1 }, { pod: p3, node: 'node-b' }]);
    await createService('udp', '10.43.0.26', { ports: [{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }] }, null);
    await client.create(resources.endpointslices, 'default', udpSlice([p1]));
    proxy = startServiceProxy({ client, nodeName: 'node-a', nodeIPs: [NODE_IP], clusterCIDR: '10.42.0.0/16', signal: abort.signal, nft, conntrack: conntrackCommand([...enter(NODE), 'conntrack']), checkIntervalMs: 500, onSync: (s) => syncs.push(s) });
    await proxy.ready;
  });

  after(async () => {
    abort.abort();
    await proxy?.stopped.catch(() => {});
    await reg?.close();
    await teardown();
  });

  it('balances ClusterIP traffic from the node across every ready endpoint', async () => {
    const m = await hits(NODE, 'http://10.43.0.20/', 30);
    assert.deepEqual(names(m), ['pod-1', 'pod-2', 'pod-3'], JSON.stringify([...m]));
  });

  it('balances ClusterIP traffic from a pod (endpoints on the same bridge)', async () => {
    const m = await hits(p2.ns, 'http://10.43.0.20/', 30);
    assert.deepEqual(names(m), ['pod-1', 'pod-2', 'pod-3'], JSON.stringify([...m]));
  });

  it('answers the NodePort on the node address from another host and from the node', async () => {
    assert.ok(webNodePort >= 30000 && webNodePort <= 32767, `nodePort ${webNodePort}`);
    const m = await hits(CLIENT, `http://${NODE_IP}:${webNodePort}/`, 30);
    assert.deepEqual(names(m), ['pod-1', 'pod-2', 'pod-3'], JSON.stringify([...m]));
    assert.match((await get(NODE, `http://${NODE_IP}:${webNodePort}/`)).body, /^pod-\d$/);
    // Every local address, as kube-proxy: the bridge's too.
    assert.match((await get(p1.ns, `http://10.42.0.1:${webNodePort}/`)).body, /^pod-\d$/);
  });

  it('rejects connections to a Service with no endpoints at once, from the node and from a pod', async () => {
    const r = await get(NODE, 'http://10.43.0.22/');
    assert.equal(r.body, '');
    assert.match(r.err, /refused/i, r.err);
    assert.ok(r.ms < 1000, `took ${r.ms} ms`);
    const r2 = await get(p1.ns, 'http://10.43.0.22/');
    assert.match(r2.err, /refused/i, r2.err);
    assert.ok(r2.ms < 1000, `took ${r2.ms} ms`);
  });

  it('keeps a client on one endpoint with sessionAffinity ClientIP', async () => {
    for (const ns of [NODE, p1.ns, p3.ns]) {
      const m = await hits(ns, 'http://10.43.0.21/', 15);
      assert.equal(m.size, 1, `${ns}: ${JSON.stringify([...m])}`);
      assert.match(names(m)[0]!, /^pod-\d$/);
    }
  });

  it('lets a pod reach itself through its own Service (hairpin)', async () => {
    const m = await hits(p1.ns, 'http://10.43.0.23/', 5);
    assert.deepEqual([...m], [['pod-1', 5]]);
  });

  it('externalTrafficPolicy Local: outside clients reach only local endpoints, pods reach all', async () => {
    const ext = await hits(CLIENT, `http://${NODE_IP}:${localNodePort}/`, 20);
    assert.deepEqual([...ext], [['pod-2', 20]]);
    const fromPod = await hits(p1.ns, `http://10.43.0.24/`, 30);
    assert.deepEqual(names(fromPod), ['pod-2', 'pod-3'], JSON.stringify([...fromPod]));
  });

  it('keeps client addresses where kube-proxy does, masquerades where it must', async () => {
    const peer = async (ns: string, url: string) => (await get(ns, url)).body.replace(/^\[|\]$/g, '').replace(/^::ffff:/, '');
    // Pod to ClusterIP: the pod's own address.
    assert.equal(await peer(p2.ns, 'http://10.43.0.23/cgi-bin/peer'), p2.ip);
    // Another host through a NodePort with policy Local: its own address.
    assert.equal(await peer(CLIENT, `http://${NODE_IP}:30081/cgi-bin/peer`), '192.168.77.2');
    // Policy Cluster: masqueraded to the node's address on the way to the pod.
    assert.equal(await peer(CLIENT, `http://${NODE_IP}:30080/cgi-bin/peer`), '10.42.0.1');
    // Hairpin: masqueraded, else the pod would answer itself directly.
    assert.equal(await peer(p1.ns, 'http://10.43.0.23/cgi-bin/peer'), '10.42.0.1');
  });

  it('internalTrafficPolicy Local: ClusterIP traffic stays on this node', async () => {
    const m = await hits(p2.ns, 'http://10.43.0.25/', 20);
    assert.deepEqual([...m], [['pod-1', 20]]);
  });

  it('stops sending to an endpoint that is no longer ready, and takes it back', async () => {
    const ms = await setEndpoints('web', [{ pod: p1 }, { pod: p2, ready: false }, { pod: p3, node: 'node-b' }]);
    console.log(`# EndpointSlice change → rules applied: ${ms} ms`);
    const m = await hits(NODE, 'http://10.43.0.20/', 30);
    assert.deepEqual(names(m), ['pod-1', 'pod-3'], JSON.stringify([...m]));
    const ms2 = await setEndpoints('web', [{ pod: p1 }, { pod: p2 }, { pod: p3, node: 'node-b' }]);
    console.log(`# EndpointSlice change → rules applied: ${ms2} ms`);
    assert.deepEqual(names(await hits(NODE, 'http://10.43.0.20/', 30)), ['pod-1', 'pod-2', 'pod-3']);
    // Only the last endpoint gone not ready: rejected.
    await setEndpoints('self', [{ pod: p1, ready: false }]);
    assert.match((await get(NODE, 'http://10.43.0.23/')).err, /refused/i);
    await setEndpoints('self', [{ pod: p1 }]);
    assert.equal((await get(NODE, 'http://10.43.0.23/')).body, 'pod-1');
  });

  it('moves a UDP client to the new endpoint when its endpoint goes (its conntrack flow is deleted)', async () => {
    // The same source port each time: one conntrack flow, as a DNS client or a sensor sending datagrams.
    assert.equal(await udpAsk(NODE, '10.43.0.26', 53, 40053), 'pod-1');
    assert.equal(await udpAsk(NODE, '10.43.0.26', 53, 40053), 'pod-1');
    const cur = await client.get(resources.endpointslices, 'default', 'udp-abc');
    const n = syncs.length;
    await client.update(resources.endpointslices, 'default', { ...udpSlice([p2]), metadata: { ...cur['metadata'] } });
    for (let i = 0; syncs.length === n && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
    // pod-1's server still runs: without the flow deleted, the datagram would still go there.
    assert.equal(await udpAsk(NODE, '10.43.0.26', 53, 40053), 'pod-2');
  });

  it('rebuilds its table when something removes it (nft flush ruleset)', async () => {
    const t0 = Date.now();
    await sh(NODE, ['nft', 'flush', 'ruleset']);
    assert.doesNotMatch(await sh(NODE, ['nft', 'list', 'tables']), /bramble-proxy/, 'the table should be gone');
    let body = '';
    for (let i = 0; i < 50 && body !== 'pod-1'; i++) {
      body = (await get(NODE, 'http://10.43.0.23/')).body;
      if (body !== 'pod-1') await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`# table rebuilt after a flush in ${Date.now() - t0} ms (check interval 500 ms)`);
    assert.equal(body, 'pod-1');
  });

  it('skips syncs that would change nothing', async () => {
    const n = syncs.length;
    // A label on a Service changes no rule.
    await client.patch(resources.services, 'default', 'web', 'merge', { metadata: { labels: { touched: 'yes' } } });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(syncs.length, n);
  });

  it('syncs 1,000 Services quickly', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 1000; i++) {
      const ip = `10.43.${10 + Math.floor(i / 250)}.${(i % 250) + 1}`;
      await createService(`bulk-${i}`, ip, {}, [{ pod: p1 }, { pod: p2 }, { pod: p3 }]);
    }
    console.log(`# created 1000 Services + EndpointSlices in ${Date.now() - t0} ms`);
    await new Promise((r) => setTimeout(r, 1000));
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await setEndpoints('web', i % 2 ? [{ pod: p1 }, { pod: p2 }, { pod: p3 }] : [{ pod: p1 }, { pod: p3 }]));
    console.log(`# with 1006 Services, EndpointSlice change → rules applied: ${times.join(', ')} ms (nft apply ${syncs.at(-1)!.ms} ms)`);
    assert.ok(Math.max(...times) < 2000, `${times}`);
    assert.match((await get(p2.ns, 'http://10.43.13.250/')).body, /^pod-\d$/);
  });

  it('leaves the rules in place when the proxy stops; a new proxy takes the table over; cleanup removes it', async () => {
    abort.abort();
    await proxy.stopped;
    assert.match((await get(NODE, 'http://10.43.0.20/')).body, /^pod-\d$/);
    // A restarted proxy replaces the table whole on its first sync, then follows changes.
    const again = new AbortController();
    const second = startServiceProxy({ client, nodeName: 'node-a', nodeIPs: [NODE_IP], clusterCIDR: '10.42.0.0/16', signal: again.signal, nft });
    try {
      await second.ready;
      await client.delete(resources.services, 'default', 'web');
      const listed = () => sh(NODE, ['nft', 'list', 'map', 'ip', 'bramble-proxy', 'service-ips']).then((t) => t.includes('10.43.0.20 '));
      for (let i = 0; (await listed()) && i < 50; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await listed(), false, 'the deleted Service is still programmed');
      assert.match((await get(NODE, 'http://10.43.0.22/')).err, /refused/i);
      assert.equal((await get(NODE, 'http://10.43.0.23/')).body, 'pod-1');
    } finally {
      again.abort();
      await second.stopped;
    }
    await cleanupServiceProxy(nft);
    await assert.rejects(sh(NODE, ['nft', 'list', 'table', 'ip', 'bramble-proxy']));
    await cleanupServiceProxy(nft); // idempotent
  });
});
