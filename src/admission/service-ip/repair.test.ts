import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster } from '../../../test/harness/cluster.ts';
import { InformerFactory } from '../../client/informer.ts';
import { realClock } from '../../client/clock.ts';
import { resources, type Obj } from '../../client/types.ts';
import { recorderFactory, runControllers } from '../../controllers/manager.ts';
import { parseServiceRange } from './cidr.ts';
import { serviceIPAdmission } from './admission.ts';
import { findProblems, lacksAllocation, ServiceIPRepair } from './repair.ts';

const svc = (ns: string, name: string, created: string, spec: Obj): Obj => ({ metadata: { namespace: ns, name, creationTimestamp: created }, spec: { type: 'ClusterIP', ...spec } });

test('findProblems: out of range and shared values, reported on the younger Service', () => {
  const services = [
    svc('a', 'young', '2025-02-01T00:00:00Z', { clusterIPs: ['10.43.0.5'], type: 'NodePort', ports: [{ nodePort: 30080 }] }),
    svc('a', 'old', '2025-01-01T00:00:00Z', { clusterIPs: ['10.43.0.5'], type: 'NodePort', ports: [{ nodePort: 30080 }] }),
    svc('a', 'moved', '2025-01-01T00:00:00Z', { clusterIPs: ['10.96.0.10'], type: 'NodePort', ports: [{ nodePort: 40000 }] }),
    svc('a', 'squatter', '2024-01-01T00:00:00Z', { clusterIPs: ['10.43.0.1'] }),
    svc('default', 'kubernetes', '2025-03-01T00:00:00Z', { clusterIPs: ['10.43.0.1'] }),
    svc('a', 'headless', '2025-01-01T00:00:00Z', { clusterIPs: ['None'] }),
  ];
  const got = findProblems(services, parseServiceRange('10.43.0.0/16'), [30000, 32767]).map((f) => `${f.svc.metadata.name} ${f.reason}: ${f.message}`);
  assert.deepEqual(got.sort(), [
    'moved ClusterIPOutOfRange: Cluster IP [IPv4]:10.96.0.10 is not within the service CIDR 10.43.0.0/16; please recreate service',
    'moved PortOutOfRange: Port 40000 is not within the port range 30000-32767; please recreate service',
    'squatter ClusterIPAlreadyAllocated: Cluster IP [IPv4]:10.43.0.1 was assigned to multiple services; please recreate service',
    'young ClusterIPAlreadyAllocated: Cluster IP [IPv4]:10.43.0.5 was assigned to multiple services; please recreate service',
    'young PortAlreadyAllocated: Port 30080 was assigned to multiple services; please recreate service',
  ]);
  assert.equal(lacksAllocation(svc('a', 'x', '', { ports: [{ port: 80 }] })), true);
  assert.equal(lacksAllocation(svc('a', 'x', '', { clusterIP: 'None', clusterIPs: ['None'] })), false);
  assert.equal(lacksAllocation(svc('a', 'x', '', { type: 'NodePort', clusterIPs: ['10.43.0.9'], ports: [{ port: 80 }] })), true);
});

test('repair loop: Services stored without allocation get it; problems become events', async () => {
  // Services written with no allocation plugin, as by an older bramble.
  const tc = await openTestCluster({ admission: false });
  try {
    const mk = (name: string, spec: Obj) => tc.client.create(resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });
    await mk('legacy', { type: 'NodePort' });
    await mk('stray', { clusterIP: '10.96.0.7' });
    tc.registry.admission.push(serviceIPAdmission(tc.registry, tc.config));
    const stop = new AbortController();
    const ctx = { client: tc.client, informers: new InformerFactory(tc.client), recorder: recorderFactory(tc.client), config: tc.config, clock: realClock };
    const running = runControllers(ctx, { 'service-ip-repair': (c) => new ServiceIPRepair(c) }, stop.signal);
    const legacy = await tc.eventually('legacy allocated', async () => {
      const s = await tc.client.get(resources.services, 'default', 'legacy');
      return s.spec.clusterIP && s.spec.ports[0].nodePort ? s : undefined;
    });
    assert.match(legacy.spec.clusterIP, /^10\.43\./);
    const ev = await tc.eventually('event', async () =>
      (await tc.client.list(resources.events, 'default')).items.find((e) => e.involvedObject.name === 'stray' && e.reason === 'ClusterIPOutOfRange'),
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, 'Cluster IP [IPv4]:10.96.0.7 is not within the service CIDR 10.43.0.0/16; please recreate service');
    stop.abort();
    await running;
  } finally {
    await tc.close();
  }
});
