import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Service, ServiceSpec, ServiceStatus } from 'kubernetes-types/core/v1.js';
import { endpointsPrinter, formatEndpoints, servicePrinter } from './services.ts';
import { ago, cellMap, columnNames, now, wideColumnNames } from './test-fixtures.ts';

function svc(name: string, spec: ServiceSpec, status: ServiceStatus = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', creationTimestamp: ago(3600) }, spec, status };
}

test('service columns are upstream 1.32', () => {
  assert.deepEqual(columnNames(servicePrinter), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
  assert.deepEqual(wideColumnNames(servicePrinter), ['Selector']);
});

test('a ClusterIP service prints every cell', () => {
  const s = svc('web', {
    type: 'ClusterIP',
    clusterIP: '10.43.12.7',
    clusterIPs: ['10.43.12.7'],
    selector: { tier: 'frontend', app: 'web' },
    ports: [
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ],
  });
  assert.deepEqual(servicePrinter.cells(s, now), ['web', 'ClusterIP', '10.43.12.7', '<none>', '80/TCP,53/UDP', '60m', 'app=web,tier=frontend']);
});

const cases: { name: string; svc: Service; want: Record<string, unknown> }[] = [
  {
    name: 'a NodePort service shows port:nodePort',
    svc: svc('web-np', { type: 'NodePort', clusterIPs: ['10.43.0.20'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, nodePort: 30443 }] }),
    want: { Type: 'NodePort', 'External-IP': '<none>', 'Port(s)': '80:30080/TCP,443:30443/TCP' },
  },
  {
    name: 'a NodePort service with external IPs',
    svc: svc('web-np', { type: 'NodePort', clusterIPs: ['10.43.0.20'], externalIPs: ['192.168.1.50', '192.168.1.51'], ports: [{ port: 80, nodePort: 30080 }] }),
    want: { 'External-IP': '192.168.1.50,192.168.1.51' },
  },
  {
    name: 'a LoadBalancer service still waiting for an address',
    svc: svc('lb', { type: 'LoadBalancer', clusterIPs: ['10.43.0.30'], ports: [{ port: 80, nodePort: 31234, protocol: 'TCP' }] }),
    want: { Type: 'LoadBalancer', 'External-IP': '<pending>', 'Port(s)': '80:31234/TCP' },
  },
  {
    name: 'a LoadBalancer service with ingress IPs and hostnames, sorted and de-duplicated, never clipped',
    svc: svc(
      'lb',
      { type: 'LoadBalancer', clusterIPs: ['10.43.0.30'], ports: [{ port: 443, nodePort: 31443 }] },
      { loadBalancer: { ingress: [{ ip: '192.168.1.241' }, { hostname: 'lb.example.internal' }, { ip: '192.168.1.240' }, { ip: '192.168.1.241' }] } },
    ),
    want: { 'External-IP': '192.168.1.240,192.168.1.241,lb.example.internal' },
  },
  {
    name: 'a LoadBalancer service lists ingress addresses, then external IPs',
    svc: svc(
      'lb',
      { type: 'LoadBalancer', clusterIPs: ['10.43.0.30'], externalIPs: ['10.0.0.9'], ports: [{ port: 80, nodePort: 30001 }] },
      { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } },
    ),
    want: { 'External-IP': '192.168.1.240,10.0.0.9' },
  },
  {
    name: 'a pending LoadBalancer with external IPs shows only those',
    svc: svc('lb', { type: 'LoadBalancer', externalIPs: ['10.0.0.9'], ports: [{ port: 80 }] }),
    want: { 'External-IP': '10.0.0.9' },
  },
  {
    name: 'an ExternalName service shows the name and no cluster IP or ports',
    svc: svc('db', { type: 'ExternalName', externalName: 'db.example.com' }),
    want: { Type: 'ExternalName', 'Cluster-IP': '<none>', 'External-IP': 'db.example.com', 'Port(s)': '<none>', Selector: '<none>' },
  },
  {
    name: 'a headless service shows None',
    svc: svc('sts-headless', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432 }], selector: { app: 'pg' } }),
    want: { Type: 'ClusterIP', 'Cluster-IP': 'None', 'Port(s)': '5432/TCP', Selector: 'app=pg' },
  },
  {
    name: 'a dual-stack service shows the primary family only',
    svc: svc('ds', { clusterIP: 'fd00:43::a', clusterIPs: ['fd00:43::a', '10.43.0.10'], ports: [{ port: 80 }] }),
    want: { 'Cluster-IP': 'fd00:43::a' },
  },
];

for (const c of cases) {
  test(`service: ${c.name}`, () => {
    const got = cellMap(servicePrinter, c.svc);
    for (const [column, want] of Object.entries(c.want)) assert.equal(got[column], want, column);
  });
}

test('endpoints columns are upstream 1.32', () => {
  assert.deepEqual(columnNames(endpointsPrinter), ['Name', 'Endpoints', 'Age']);
});

function ep(subsets: Endpoints['subsets']): Endpoints {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', creationTimestamp: ago(42) }, subsets };
}

test('endpoints cell formats', () => {
  const cases: [string, Endpoints, string][] = [
    ['no subsets', ep(undefined), '<none>'],
    ['empty subsets', ep([]), '<none>'],
    ['one address', ep([{ addresses: [{ ip: '10.42.1.13' }], ports: [{ port: 80 }] }]), '10.42.1.13:80'],
    [
      'every address for every port',
      ep([{ addresses: [{ ip: '10.42.1.13' }, { ip: '10.42.2.7' }], ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] }]),
      '10.42.1.13:80,10.42.2.7:80,10.42.1.13:443 + 1 more...',
    ],
    [
      'more than three across subsets',
      ep([
        { addresses: [{ ip: '10.42.1.2' }, { ip: '10.42.1.3' }], ports: [{ port: 8080 }] },
        { addresses: [{ ip: '10.42.2.2' }, { ip: '10.42.2.3' }, { ip: '10.42.2.4' }], ports: [{ port: 8080 }] },
      ]),
      '10.42.1.2:8080,10.42.1.3:8080,10.42.2.2:8080 + 2 more...',
    ],
    ['headless without ports lists bare IPs', ep([{ addresses: [{ ip: '10.42.1.2' }, { ip: '10.42.1.3' }] }]), '10.42.1.2,10.42.1.3'],
    ['IPv6 addresses are bracketed', ep([{ addresses: [{ ip: 'fd00:42::5' }], ports: [{ port: 80 }] }]), '[fd00:42::5]:80'],
    ['not-ready addresses are not listed', ep([{ notReadyAddresses: [{ ip: '10.42.1.9' }], ports: [{ port: 80 }] }]), ''],
  ];
  for (const [name, obj, want] of cases) assert.equal(formatEndpoints(obj), want, name);
  assert.deepEqual(endpointsPrinter.cells(ep([{ addresses: [{ ip: '10.42.1.13' }], ports: [{ port: 80 }] }]), now), ['web', '10.42.1.13:80', '42s']);
});
