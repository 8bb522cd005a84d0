import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestRegistry, systemUser } from '../../../test/harness/registry.ts';
import { InProcessClient } from '../../client/in-process.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { defaultControllerConfig } from '../../controllers/manager.ts';
import { isApiError } from '../../api/errors.ts';
import { serviceIPAdmission } from './admission.ts';

let close: () => Promise<void>;
let c: Client;
before(async () => {
  const r = await openTestRegistry();
  r.registry.admission.push(serviceIPAdmission(r.registry, defaultControllerConfig));
  close = r.close;
  c = new InProcessClient(r.registry, systemUser);
});
after(() => close());

const svc = (name: string, spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });
const port = (p: Obj = {}) => ({ port: 80, targetPort: 8080, ...p });
// Requested node ports here are all in the static band (30000–30085), which
// random allocation skips while the dynamic band has room: a requested port
// above it could already be held by a randomly allocated one (a CI flake).

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('create', () => {
  it('ClusterIP: an address from the range, single-stack IPv4', async () => {
    const s = await c.create(resources.services, 'default', svc('plain', { ports: [port()], selector: { app: 'x' } }));
    assert.match(s.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    assert.deepEqual(s.spec.clusterIPs, [s.spec.clusterIP]);
    assert.deepEqual(s.spec.ipFamilies, ['IPv4']);
    assert.equal(s.spec.ipFamilyPolicy, 'SingleStack');
  });

  it('requested clusterIP is honoured; taken, out of range and reserved ones are 422s worded as upstream', async () => {
    const s = await c.create(resources.services, 'default', svc('fixed', { clusterIP: '10.43.0.10', ports: [port()] }));
    assert.deepEqual(s.spec.clusterIPs, ['10.43.0.10']);
    const cases: [string, string, RegExp][] = [
      ['dup', '10.43.0.10', /^422 Service "dup" is invalid: spec\.clusterIPs: Invalid value: \[\]string\{"10\.43\.0\.10"\}: failed to allocate IP 10\.43\.0\.10: provided IP is already allocated$/],
      ['outside', '10.96.0.10', /failed to allocate IP 10\.96\.0\.10: the provided IP \(10\.96\.0\.10\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16$/],
      ['squatter', '10.43.0.1', /10\.43\.0\.1: provided IP is already allocated/],
    ];
    for (const [name, ip, want] of cases) assert.match(await refused(c.create(resources.services, 'default', svc(name, { clusterIP: ip, ports: [port()] }))), want, name);
  });

  it('headless gets None and families; ExternalName gets nothing', async () => {
    const h = await c.create(resources.services, 'default', svc('headless', { clusterIP: 'None', selector: { app: 'db' }, ports: [port()] }));
    assert.deepEqual([h.spec.clusterIP, h.spec.clusterIPs, h.spec.ipFamilies, h.spec.ipFamilyPolicy], ['None', ['None'], ['IPv4'], 'SingleStack']);
    const sl = await c.create(resources.services, 'default', svc('headless-noselector', { clusterIP: 'None', ports: [port()] }));
    assert.deepEqual([sl.spec.ipFamilies, sl.spec.ipFamilyPolicy], [['IPv4', 'IPv6'], 'RequireDualStack'], 'as upstream on any cluster');
    const e = await c.create(resources.services, 'default', svc('ext', { type: 'ExternalName', externalName: 'db.example.com' }));
    assert.equal(e.spec.clusterIP, undefined);
    assert.equal(e.spec.ipFamilies, undefined);
  });

  it('RequireDualStack and IPv6 are refused on this single-stack cluster', async () => {
    assert.match(
      await refused(c.create(resources.services, 'default', svc('dual', { ipFamilyPolicy: 'RequireDualStack', ports: [port()] }))),
      /spec\.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services/,
    );
    assert.match(
      await refused(c.create(resources.services, 'default', svc('six', { ipFamilies: ['IPv6'], ports: [port()] }))),
      /spec\.ipFamilies\[0\]: Invalid value: "IPv6": not configured on this cluster/,
    );
  });

  it('NodePort: requested port honoured, a clash refused, others allocated; ports sharing a number share a node port', async () => {
    const s = await c.create(resources.services, 'default', svc('web', { type: 'NodePort', ports: [port({ nodePort: 30080 })] }));
    assert.equal(s.spec.ports[0].nodePort, 30080);
    assert.match(
      await refused(c.create(resources.services, 'default', svc('web2', { type: 'NodePort', ports: [port({ nodePort: 30080 })] }))),
      /^422 Service "web2" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated$/,
    );
    assert.match(
      await refused(c.create(resources.services, 'default', svc('web3', { type: 'NodePort', ports: [port({ nodePort: 40000 })] }))),
      /spec\.ports\[0\]\.nodePort: Invalid value: 40000: provided port is not in the valid range\. The range of valid ports is 30000-32767/,
    );
    const dns = await c.create(resources.services, 'default', svc('dns', {
      type: 'NodePort',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, protocol: 'TCP' },
      ],
    }));
    const [a, b, m] = dns.spec.ports.map((p: Obj) => p.nodePort);
    assert.equal(a, b);
    assert.notEqual(a, m);
    assert.ok(a >= 30000 && a <= 32767 && m >= 30000 && m <= 32767);
  });

  it('LoadBalancer with Local traffic gets a health check node port; allocateLoadBalancerNodePorts=false gets none', async () => {
    const lb = await c.create(resources.services, 'default', svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [port()] }));
    assert.ok(lb.spec.ports[0].nodePort > 0);
    assert.ok(lb.spec.healthCheckNodePort > 0);
    assert.notEqual(lb.spec.healthCheckNodePort, lb.spec.ports[0].nodePort);
    const bare = await c.create(resources.services, 'default', svc('lb-bare', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [port()] }));
    assert.equal(bare.spec.ports[0].nodePort, undefined);
  });

  it('a refused create frees what it claimed for its own retry', async () => {
    // Invalid for another reason (bad selector label) after allocation.
    const bad = svc('retry', { type: 'NodePort', clusterIP: '10.43.0.77', ports: [port({ nodePort: 30077 })], selector: { 'bad key!': 'x' } });
    assert.match(await refused(c.create(resources.services, 'default', bad)), /^422 /);
    const ok = await c.create(resources.services, 'default', svc('retry', { type: 'NodePort', clusterIP: '10.43.0.77', ports: [port({ nodePort: 30077 })] }));
    assert.equal(ok.spec.ports[0].nodePort, 30077);
  });

  it('concurrent creates never share an IP or a node port', async () => {
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, i) => c.create(resources.services, 'default', svc(`burst-${i}`, { type: 'NodePort', ports: [port()] }))),
    );
    assert.equal(new Set(made.map((s) => s.spec.clusterIP)).size, 12);
    assert.equal(new Set(made.map((s) => s.spec.ports[0].nodePort)).size, 12);
    const racing = await Promise.allSettled(
      ['race-a', 'race-b', 'race-c'].map((n) => c.create(resources.services, 'default', svc(n, { type: 'NodePort', ports: [port({ nodePort: 30019 })] }))),
    );
    assert.equal(racing.filter((r) => r.status === 'fulfilled').length, 1);
  });
});

describe('update and delete', () => {
  it('re-submitting without the allocated values keeps them (kubectl replace, apply)', async () => {
    const s = await c.create(resources.services, 'default', svc('keep', { type: 'NodePort', ports: [port({ name: 'http' })] }));
    const replaced = await c.update(resources.services, 'default', svc('keep', { type: 'NodePort', ports: [port({ name: 'http' })], selector: { app: 'v2' } }));
    assert.equal(replaced.spec.clusterIP, s.spec.clusterIP);
    assert.equal(replaced.spec.ports[0].nodePort, s.spec.ports[0].nodePort);
  });

  it('NodePort → ClusterIP drops the node ports and frees them; ClusterIP → NodePort allocates', async () => {
    const s = await c.create(resources.services, 'default', svc('flip', { type: 'NodePort', ports: [port({ nodePort: 30060 })] }));
    const asCluster = await c.patch(resources.services, 'default', 'flip', 'merge', { spec: { type: 'ClusterIP', externalTrafficPolicy: null } });
    assert.equal(asCluster.spec.ports[0].nodePort, undefined);
    assert.equal(asCluster.spec.clusterIP, s.spec.clusterIP);
    const taker = await c.create(resources.services, 'default', svc('taker', { type: 'NodePort', ports: [port({ nodePort: 30060 })] }));
    assert.equal(taker.spec.ports[0].nodePort, 30060);
    const back = await c.patch(resources.services, 'default', 'flip', 'merge', { spec: { type: 'NodePort' } });
    assert.ok(back.spec.ports[0].nodePort > 0 && back.spec.ports[0].nodePort !== 30060);
  });

  it('to ExternalName releases the IP; back to ClusterIP allocates a new one', async () => {
    const s = await c.create(resources.services, 'default', svc('morph', { clusterIP: '10.43.0.88', ports: [port()] }));
    const ext = await c.patch(resources.services, 'default', 'morph', 'merge', { spec: { type: 'ExternalName', externalName: 'a.example.com' } });
    assert.equal(ext.spec.clusterIP, undefined);
    assert.equal(ext.spec.ipFamilies, undefined);
    const other = await c.create(resources.services, 'default', svc('morph-2', { clusterIP: s.spec.clusterIP, ports: [port()] }));
    assert.equal(other.spec.clusterIP, '10.43.0.88');
    const back = await c.patch(resources.services, 'default', 'morph', 'merge', { spec: { type: 'ClusterIP', externalName: null } });
    assert.match(back.spec.clusterIP, /^10\.43\./);
    assert.notEqual(back.spec.clusterIP, '10.43.0.88');
  });

  it('a deleted Service frees its IP and ports at once', async () => {
    await c.create(resources.services, 'default', svc('gone', { type: 'NodePort', clusterIP: '10.43.0.99', ports: [port({ nodePort: 30039 })] }));
    await c.delete(resources.services, 'default', 'gone');
    const again = await c.create(resources.services, 'default', svc('again', { type: 'NodePort', clusterIP: '10.43.0.99', ports: [port({ nodePort: 30039 })] }));
    assert.equal(again.spec.clusterIP, '10.43.0.99');
  });

  it('status updates are left alone', async () => {
    const s = await c.create(resources.services, 'default', svc('lbstatus', { type: 'LoadBalancer', ports: [port()] }));
    const u = await c.patch(resources.services, 'default', 'lbstatus', 'merge', { status: { loadBalancer: { ingress: [{ ip: '192.168.0.50' }] } } }, { subresource: 'status' });
    assert.equal(u.spec.ports[0].nodePort, s.spec.ports[0].nodePort);
    assert.equal(u.status.loadBalancer.ingress[0].ip, '192.168.0.50');
  });
});
