import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingressClassPrinter, ingressHosts, ingressPrinter } from './networking.ts';
import { ago, columnNames, now, wideColumnNames } from './test-fixtures.ts';

const rule = (host?: string) => ({
  ...(host ? { host } : {}),
  http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] },
});

test('ingress and ingressclass columns are upstream 1.32', () => {
  assert.deepEqual(columnNames(ingressPrinter), ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
  assert.deepEqual(wideColumnNames(ingressPrinter), []);
  assert.deepEqual(columnNames(ingressClassPrinter), ['Name', 'Controller', 'Parameters', 'Age']);
});

test('ingresses', () => {
  const cases: [string, object, unknown[]][] = [
    [
      'a TLS ingress with an address',
      {
        metadata: { name: 'web', creationTimestamp: ago(7200) },
        spec: { ingressClassName: 'traefik', tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }], rules: [rule('web.example.com'), rule('www.example.com')] },
        status: { loadBalancer: { ingress: [{ ip: '192.168.1.241' }, { ip: '192.168.1.240' }] } },
      },
      ['web', 'traefik', 'web.example.com,www.example.com', '192.168.1.240,192.168.1.241', '80, 443', '120m'],
    ],
    [
      'no class, no host, no address yet',
      { metadata: { name: 'catch-all', creationTimestamp: ago(5) }, spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } }, rules: [rule()] } },
      ['catch-all', '<none>', '*', '', '80', '5s'],
    ],
  ];
  for (const [name, obj, want] of cases) assert.deepEqual(ingressPrinter.cells(obj as any, now), want, name);
});

test('ingress hosts: the first three, then a count of the remaining rules', () => {
  const hosts = (...h: (string | undefined)[]) => ingressHosts({ spec: { rules: h.map(rule) } });
  assert.equal(hosts('a.io', 'b.io', 'c.io'), 'a.io,b.io,c.io');
  assert.equal(hosts('a.io', 'b.io', 'c.io', 'd.io', 'e.io'), 'a.io,b.io,c.io + 2 more...');
  // Host-less rules are skipped but still counted once the list is full.
  assert.equal(hosts('a.io', undefined, 'b.io', 'c.io', undefined), 'a.io,b.io,c.io + 2 more...');
  assert.equal(hosts(undefined, undefined), '*');
  assert.equal(ingressHosts({}), '*');
});

test('ingressclasses', () => {
  const ic = (parameters?: object) => ({
    metadata: { name: 'traefik', creationTimestamp: ago(86400) },
    spec: { controller: 'traefik.io/ingress-controller', ...(parameters ? { parameters } : {}) },
  });
  const cases: [string, object, string][] = [
    ['no parameters', ic(), '<none>'],
    ['parameters in a group', ic({ apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' }), 'IngressParameters.k8s.example.com/external-lb'],
    ['core-group parameters', ic({ kind: 'ConfigMap', name: 'traefik-config', scope: 'Namespace', namespace: 'kube-system' }), 'ConfigMap/traefik-config'],
  ];
  for (const [name, obj, want] of cases) {
    assert.deepEqual(ingressClassPrinter.cells(obj as any, now), ['traefik', 'traefik.io/ingress-controller', want, '24h'], name);
  }
});
