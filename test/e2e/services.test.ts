/**
 * Services with stock kubectl against a real `bramble server`: cluster IPs
 * and node ports allocated as upstream's storage does (and refused with its
 * messages), the `kubernetes` Service and its endpoints, and Endpoints /
 * EndpointSlices following pod readiness (pod status is set with
 * `kubectl patch --subresource=status`, standing in for a node agent).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type TestServer } from '../harness/server.ts';

let srv: TestServer;
before(async () => {
  // A routable advertise address, so the kubernetes Endpoints are not empty.
  srv = await startServer(['--advertise-address', '192.0.2.10']);
});
after(async () => srv?.stop());

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const json = async (args: string[]) => JSON.parse(await srv.k([...args, '-o', 'json']));

describe('cluster IPs and node ports', () => {
  it('kubectl create service nodeport: a cluster IP from 10.43.0.0/16 and the requested node port', async () => {
    await srv.k(['create', 'service', 'nodeport', 'web', '--tcp=80:8080', '--node-port=30080']);
    const out = await srv.k(['get', 'svc', 'web']);
    assert.match(out.split('\n')[0]!, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    assert.match(out, /^web\s+NodePort\s+10\.43\.\d+\.\d+\s+<none>\s+80:30080\/TCP\s+\S+$/m);
    const svc = await json(['get', 'svc', 'web']);
    assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
    assert.deepEqual([svc.spec.ipFamilies, svc.spec.ipFamilyPolicy], [['IPv4'], 'SingleStack']);
  });

  it('a node port already taken is refused with upstream\'s message', async () => {
    const r = await srv.kubectl(['create', 'service', 'nodeport', 'web2', '--tcp=80:8080', '--node-port=30080']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Service "web2" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);
  });

  it('requested cluster IPs: honoured when free, refused when taken or outside the range', async () => {
    await srv.k(['create', 'service', 'clusterip', 'fixed', '--tcp=80', '--clusterip=10.43.0.50']);
    assert.match(await srv.k(['get', 'svc', 'fixed']), /fixed\s+ClusterIP\s+10\.43\.0\.50\s+<none>\s+80\/TCP/);
    const taken = await srv.kubectl(['create', 'service', 'clusterip', 'fixed2', '--tcp=80', '--clusterip=10.43.0.50']);
    assert.match(taken.stderr, /spec\.clusterIPs: Invalid value: \[\]string\{"10\.43\.0\.50"\}: failed to allocate IP 10\.43\.0\.50: provided IP is already allocated/);
    const outside = await srv.kubectl(['create', 'service', 'clusterip', 'fixed3', '--tcp=80', '--clusterip=10.96.0.10']);
    assert.match(outside.stderr, /the provided IP \(10\.96\.0\.10\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16/);
    await srv.k(['create', 'service', 'clusterip', 'headless', '--clusterip=None', '--tcp=5432']);
    assert.match(await srv.k(['get', 'svc', 'headless']), /headless\s+ClusterIP\s+None\s+<none>\s+5432\/TCP/);
  });

  it('kubectl expose deployment gets a cluster IP; a type change to ClusterIP frees the node port', async () => {
    await srv.k(['create', 'deployment', 'app', '--image=nginx:1.26', '--port=8080']);
    await srv.k(['expose', 'deployment', 'app', '--port=80', '--target-port=8080']);
    assert.match(await srv.k(['get', 'svc', 'app']), /^app\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP/m);
    await srv.k(['patch', 'svc', 'web', '--type=merge', '-p', '{"spec":{"type":"ClusterIP","externalTrafficPolicy":null}}']);
    assert.match(await srv.k(['get', 'svc', 'web']), /^web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP/m);
    await srv.k(['create', 'service', 'nodeport', 'web3', '--tcp=80:8080', '--node-port=30080']);
    assert.match(await srv.k(['get', 'svc', 'web3']), /80:30080\/TCP/);
  });

  it('a deleted Service frees its node port at once; kubectl apply keeps allocated values', async () => {
    await srv.k(['delete', 'svc', 'web3']);
    await srv.k(['create', 'service', 'nodeport', 'web4', '--tcp=80:8080', '--node-port=30080']);
    const manifest = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: applied\nspec:\n  type: NodePort\n  selector: {app: applied}\n  ports:\n  - name: http\n    port: 80\n';
    await srv.k(['apply', '-f', '-'], { input: manifest });
    const first = await json(['get', 'svc', 'applied']);
    await srv.k(['apply', '-f', '-'], { input: manifest.replace('app: applied', 'app: applied2') });
    const second = await json(['get', 'svc', 'applied']);
    assert.equal(second.spec.clusterIP, first.spec.clusterIP);
    assert.equal(second.spec.ports[0].nodePort, first.spec.ports[0].nodePort);
    assert.deepEqual(second.spec.selector, { app: 'applied2' });
  });
});

describe('the kubernetes Service', () => {
  it('default/kubernetes has 10.43.0.1, https 443, and endpoints at the API server', async () => {
    const out = await until('kubernetes Service', async () => (await srv.kubectl(['get', 'svc', 'kubernetes'])).stdout || undefined);
    assert.match(out, /^kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443\/TCP/m);
    const ep = await until('kubernetes Endpoints', async () => (await srv.kubectl(['get', 'endpoints', 'kubernetes'])).stdout || undefined);
    assert.match(ep, new RegExp(`^kubernetes\\s+192\\.0\\.2\\.10:${srv.port}\\s`, 'm'));
    const es = await json(['get', 'endpointslice', 'kubernetes']);
    assert.deepEqual(es.endpoints.map((e: { addresses: string[] }) => e.addresses[0]), ['192.0.2.10']);
  });
});

describe('endpoints follow pods', () => {
  const status = (ready: boolean, ip: string) =>
    JSON.stringify({ status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });

  it('ready pods are endpoints; a pod that stops being ready leaves the ready set', async () => {
    await srv.k(['create', 'service', 'clusterip', 'echo', '--tcp=80:8080']);
    for (const [name, ip] of [['echo-1', '10.42.0.11'], ['echo-2', '10.42.0.12']] as const) {
      await srv.k(['run', name, '--image=nginx', '--labels=app=echo']);
      await srv.k(['patch', 'pod', name, '--subresource=status', '--type=merge', '-p', status(true, ip)]);
    }
    const row = await until('two endpoints', async () => {
      const out = await srv.k(['get', 'endpoints', 'echo']);
      return /10\.42\.0\.11:8080,10\.42\.0\.12:8080/.test(out) ? out : undefined;
    });
    assert.match(row.split('\n')[0]!, /^NAME\s+ENDPOINTS\s+AGE$/);
    await srv.k(['patch', 'pod', 'echo-2', '--subresource=status', '--type=merge', '-p', status(false, '10.42.0.12')]);
    await until('one ready endpoint', async () => /^echo\s+10\.42\.0\.11:8080\s/m.test(await srv.k(['get', 'endpoints', 'echo'])));
    const ep = await json(['get', 'endpoints', 'echo']);
    assert.equal(ep.subsets[0].notReadyAddresses[0].ip, '10.42.0.12');
    const slices = await json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=echo']);
    assert.equal(slices.items.length, 1);
    const conds = Object.fromEntries(slices.items[0].endpoints.map((e: { addresses: string[]; conditions: { ready: boolean } }) => [e.addresses[0], e.conditions.ready]));
    assert.deepEqual(conds, { '10.42.0.11': true, '10.42.0.12': false });
    assert.match(await srv.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=echo']), /^echo-\S+\s+IPv4\s+8080\s+10\.42\.0\.11,10\.42\.0\.12\s/m);
  });
});
