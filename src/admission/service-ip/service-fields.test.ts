import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../registry/types.ts';
import { dropTypeDependentFields, initIPFamilies, normalizeClusterIPs, patchAllocatedValues } from './service-fields.ts';

const np = (ports: Obj[], extra: Obj = {}): Obj => ({ type: 'NodePort', clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'], ports, ...extra });

test('normalizeClusterIPs: the singular implies the plural', () => {
  const cases: { what: string; spec: Obj; old?: Obj; want: Obj }[] = [
    { what: 'create with clusterIP only', spec: { clusterIP: '10.43.0.9' }, want: { clusterIP: '10.43.0.9', clusterIPs: ['10.43.0.9'] } },
    { what: 'create with neither', spec: {}, want: {} },
    { what: 'update from an old client omitting clusterIPs', spec: { clusterIP: '10.43.0.5' }, old: np([]), want: { clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'] } },
    { what: 'update clearing clusterIP with the same plural clears both', spec: { clusterIPs: ['10.43.0.5'] }, old: np([]), want: {} },
    { what: 'update changing clusterIP with the same plural follows it', spec: { clusterIP: '10.43.0.7', clusterIPs: ['10.43.0.5'] }, old: np([]), want: { clusterIP: '10.43.0.7', clusterIPs: ['10.43.0.7'] } },
  ];
  for (const c of cases) {
    normalizeClusterIPs(c.spec, c.old);
    assert.deepEqual(c.spec, c.want, c.what);
  }
});

test('patchAllocatedValues: what the client left out is kept', () => {
  const old = np([{ name: 'http', port: 80, nodePort: 30001 }, { name: 'https', port: 443, nodePort: 30002 }], { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30003 });
  const spec: Obj = { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'https', port: 443 }, { name: 'http', port: 80, nodePort: 30002 }] };
  patchAllocatedValues(spec, old);
  assert.equal(spec.clusterIP, '10.43.0.5');
  assert.deepEqual(spec.clusterIPs, ['10.43.0.5']);
  assert.equal(spec.ports[0].nodePort, undefined, '30002 is now used by another port: not patched in');
  assert.equal(spec.ports[1].nodePort, 30002);
  assert.equal(spec.healthCheckNodePort, 30003);
  const toExternal: Obj = { type: 'ExternalName', externalName: 'x.example' };
  patchAllocatedValues(toExternal, old);
  assert.equal(toExternal.clusterIP, undefined, 'ExternalName needs no IP');
});

test('dropTypeDependentFields: unchanged allocated fields go with a type that does not use them', () => {
  const cases: { what: string; spec: Obj; old: Obj; check: (s: Obj) => void }[] = [
    {
      what: 'NodePort → ClusterIP drops unchanged node ports',
      spec: np([{ port: 80, nodePort: 30001 }], { type: 'ClusterIP' }),
      old: np([{ port: 80, nodePort: 30001 }]),
      check: (s) => assert.equal(s.ports[0].nodePort, undefined),
    },
    {
      what: 'a new node port with the type change is the client\'s intent: kept for validation to judge',
      spec: np([{ port: 80, nodePort: 30009 }], { type: 'ClusterIP' }),
      old: np([{ port: 80, nodePort: 30001 }]),
      check: (s) => assert.equal(s.ports[0].nodePort, 30009),
    },
    {
      what: 'to ExternalName drops the IP and families',
      spec: { ...np([]), type: 'ExternalName', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' },
      old: { ...np([]), ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' },
      check: (s) => assert.deepEqual([s.clusterIP, s.clusterIPs, s.ipFamilies, s.ipFamilyPolicy], [undefined, undefined, undefined, undefined]),
    },
    {
      what: 'Local → Cluster drops the health check port',
      spec: np([], { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', healthCheckNodePort: 30003 }),
      old: np([], { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30003 }),
      check: (s) => assert.equal(s.healthCheckNodePort, undefined),
    },
  ];
  for (const c of cases) {
    dropTypeDependentFields(c.spec, c.old);
    c.check(c.spec);
  }
});

test('initIPFamilies on a single-stack IPv4 cluster', () => {
  const cases: { what: string; spec: Obj; old?: Obj; want?: [unknown, unknown]; err?: RegExp }[] = [
    { what: 'defaults', spec: { selector: { a: 'b' } }, want: [['IPv4'], 'SingleStack'] },
    { what: 'PreferDualStack stays, one family', spec: { ipFamilyPolicy: 'PreferDualStack', selector: { a: 'b' } }, want: [['IPv4'], 'PreferDualStack'] },
    { what: 'the old policy is kept on update', spec: { selector: { a: 'b' } }, old: { ipFamilyPolicy: 'PreferDualStack' }, want: [['IPv4'], 'PreferDualStack'] },
    { what: 'headless with selector', spec: { clusterIP: 'None', clusterIPs: ['None'], selector: { a: 'b' } }, want: [['IPv4'], 'SingleStack'] },
    { what: 'headless without selector: dual, as upstream', spec: { clusterIP: 'None', clusterIPs: ['None'] }, want: [['IPv4', 'IPv6'], 'RequireDualStack'] },
    { what: 'ExternalName: untouched', spec: { type: 'ExternalName' }, want: [undefined, undefined] },
    { what: 'an IPv6 cluster IP', spec: { clusterIP: 'fd00::1', clusterIPs: ['fd00::1'], selector: { a: 'b' } }, err: /IPv6 is not configured on this cluster/ },
    { what: 'two IPs with SingleStack', spec: { ipFamilyPolicy: 'SingleStack', clusterIPs: ['10.43.0.1', 'fd00::1'], selector: { a: 'b' } }, err: /must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified/ },
  ];
  for (const c of cases) {
    const errs = initIPFamilies(c.spec, c.old);
    if (c.err) assert.match(errs.map((e) => `${e.field}: ${e.message}`).join('\n'), c.err, c.what);
    else {
      assert.deepEqual(errs, [], c.what);
      assert.deepEqual([c.spec.ipFamilies, c.spec.ipFamilyPolicy], c.want, c.what);
    }
  }
});
