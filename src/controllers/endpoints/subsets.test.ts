import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { findPort, serviceSelector, shouldPodBeInEndpoints } from './pod-endpoints.ts';
import { desiredSubsets, truncateSubsets } from './subsets.ts';

function pod(name: string, o: { ip?: string; ready?: boolean; phase?: string; deleting?: boolean; ports?: Obj[]; hostname?: string; subdomain?: string; node?: string } = {}): Obj {
  const ip = o.ip === undefined ? `10.244.0.${name.charCodeAt(name.length - 1) % 200}` : o.ip;
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
    spec: {
      nodeName: o.node ?? 'n1',
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
      containers: [{ name: 'c', image: 'x', ports: o.ports ?? [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }],
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

const svc = (spec: Obj, name = 'web'): Obj => ({ metadata: { name, namespace: 'ns' }, spec: { clusterIP: '10.43.0.5', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }], ...spec } });
const addr = (name: string, ip: string, extra: Obj = {}) => ({ ip, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name, uid: `uid-${name}` }, ...extra });
const httpPort = [{ name: 'http', port: 8080, protocol: 'TCP' }];

test('shouldPodBeInEndpoints', () => {
  const cases: [string, Obj, boolean, boolean][] = [
    ['running with an IP', pod('a'), false, true],
    ['no IP yet', pod('a', { ip: '' }), false, false],
    ['succeeded', pod('a', { phase: 'Succeeded' }), true, false],
    ['failed', pod('a', { phase: 'Failed' }), true, false],
    ['terminating', pod('a', { deleting: true }), false, false],
    ['terminating, included', pod('a', { deleting: true }), true, true],
  ];
  for (const [what, p, incl, want] of cases) assert.equal(shouldPodBeInEndpoints(p, incl), want, what);
});

test('findPort: numbers as is, names by container port name and protocol', () => {
  const p = pod('a', { ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }] });
  const cases: [Obj, number | undefined][] = [
    [{ port: 80, targetPort: 9000 }, 9000],
    [{ port: 80 }, 80],
    [{ port: 80, targetPort: 'http', protocol: 'TCP' }, 8080],
    [{ port: 53, targetPort: 'dns', protocol: 'UDP' }, 5353],
    [{ port: 53, targetPort: 'dns', protocol: 'TCP' }, undefined],
    [{ port: 80, targetPort: 'metrics' }, undefined],
  ];
  for (const [sp, want] of cases) assert.equal(findPort(p, sp), want, JSON.stringify(sp));
  const sidecar = { ...p, spec: { ...p['spec'], initContainers: [{ name: 's', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001 }] }] } };
  assert.equal(findPort(sidecar, { port: 1, targetPort: 'proxy' }), 15001);
});

test('serviceSelector: none or empty means selectorless', () => {
  assert.equal(serviceSelector(svc({ selector: undefined })), undefined);
  assert.equal(serviceSelector(svc({ selector: {} })), undefined);
  assert.ok(serviceSelector(svc({}))!.matches({ app: 'web', x: 'y' }));
  assert.ok(!serviceSelector(svc({}))!.matches({ app: 'db' }));
});

test('desiredSubsets: ready vs not ready, terminating, named ports, hostnames, repacking', () => {
  const cases: { what: string; svc: Obj; pods: Obj[]; want: Obj[] }[] = [
    { what: 'no pods', svc: svc({}), pods: [], want: [] },
    {
      what: 'ready and not ready, sorted by IP',
      svc: svc({}),
      pods: [pod('b', { ip: '10.244.0.9' }), pod('a', { ip: '10.244.0.10' }), pod('c', { ip: '10.244.0.11', ready: false })],
      want: [{ addresses: [addr('a', '10.244.0.10'), addr('b', '10.244.0.9')], notReadyAddresses: [addr('c', '10.244.0.11')], ports: httpPort }],
    },
    { what: 'terminating pods are left out', svc: svc({}), pods: [pod('a', { ip: '10.244.0.1', deleting: true })], want: [] },
    {
      what: 'publishNotReadyAddresses: all ready, terminating included',
      svc: svc({ publishNotReadyAddresses: true }),
      pods: [pod('a', { ip: '10.244.0.1', ready: false }), pod('b', { ip: '10.244.0.2', deleting: true })],
      want: [{ addresses: [addr('a', '10.244.0.1'), addr('b', '10.244.0.2')], ports: httpPort }],
    },
    {
      what: 'a pod without the named port serves the other port only: two subsets',
      svc: svc({ ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }, { name: 'raw', port: 81, protocol: 'TCP', targetPort: 9090 }] }),
      pods: [pod('a', { ip: '10.244.0.1' }), pod('b', { ip: '10.244.0.2', ports: [] })],
      want: [
        { addresses: [addr('a', '10.244.0.1')], ports: httpPort },
        { addresses: [addr('a', '10.244.0.1'), addr('b', '10.244.0.2')], ports: [{ name: 'raw', port: 9090, protocol: 'TCP' }] },
      ],
    },
    {
      what: 'hostname when the subdomain names the Service',
      svc: svc({}),
      pods: [pod('a', { ip: '10.244.0.1', hostname: 'a0', subdomain: 'web' }), pod('b', { ip: '10.244.0.2', hostname: 'b0', subdomain: 'other' })],
      want: [{ addresses: [addr('a', '10.244.0.1', { hostname: 'a0' }), addr('b', '10.244.0.2')], ports: httpPort }],
    },
    {
      what: 'headless without ports: addresses only',
      svc: svc({ clusterIP: 'None', ports: [] }),
      pods: [pod('a', { ip: '10.244.0.1' })],
      want: [{ addresses: [addr('a', '10.244.0.1')] }],
    },
  ];
  for (const c of cases) assert.deepEqual(desiredSubsets(c.svc, c.pods), c.want, c.what);
});

test('truncateSubsets keeps ready addresses first, in proportion', () => {
  const many = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ ip: `10.0.${Math.floor((i + from) / 250)}.${(i + from) % 250}` }));
  const subsets = [{ addresses: many(6), notReadyAddresses: many(4, 100) }, { addresses: many(2, 200) }];
  assert.equal(truncateSubsets(subsets, 10), true);
  assert.deepEqual(subsets.map((s) => [s.addresses?.length ?? 0, s.notReadyAddresses?.length ?? 0]), [[6, 2], [2, 0]]);
  const small = [{ addresses: many(3) }];
  assert.equal(truncateSubsets(small, 10), false);
});
