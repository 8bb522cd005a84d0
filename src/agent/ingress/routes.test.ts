import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { EndpointIndex, RoutingTable, isOurs, normalizeHost, prefixMatches } from './routes.ts';

function svc(name: string, ports: Obj[] = [{ name: 'http', port: 80 }], ns = 'default'): Obj {
  return { metadata: { namespace: ns, name }, spec: { ports } };
}
function slice(service: string, ips: string[], port = 8080, portName = 'http', ns = 'default', ready = true): Obj {
  return {
    metadata: { namespace: ns, name: `${service}-abc`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: portName, port }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready } })),
  };
}
const be = (service: string, port: number | string = 80) => ({ service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } });
function ing(name: string, rules: Obj[], extra: Obj = {}, annotations?: Record<string, string>): Obj {
  return { metadata: { namespace: 'default', name, annotations }, spec: { rules, ...extra } };
}
const rule = (host: string | undefined, paths: [string, string, string][]) => ({
  host,
  http: { paths: paths.map(([path, pathType, service]) => ({ path, pathType, backend: be(service) })) },
});

function index(): EndpointIndex {
  const eps = new EndpointIndex();
  for (const [name, ip] of [
    ['a', '10.42.0.1'],
    ['b', '10.42.0.2'],
    ['c', '10.42.0.3'],
    ['d', '10.42.0.4'],
  ] as const) {
    eps.setService(svc(name));
    eps.setSlice(slice(name, [ip]));
  }
  return eps;
}

const svcOf = (t: RoutingTable, host: string | undefined, path: string) => t.match(host, path)?.backend.service;

test('prefix matching is by path element', () => {
  assert.ok(prefixMatches('/foo', '/foo'));
  assert.ok(prefixMatches('/foo', '/foo/bar'));
  assert.ok(prefixMatches('/foo/', '/foo'));
  assert.ok(!prefixMatches('/foo', '/foobar'));
  assert.ok(prefixMatches('/', '/anything'));
  assert.equal(normalizeHost('My-Server.Example:8080'), 'my-server.example');
  assert.equal(normalizeHost('example.com.'), 'example.com');
});

test('exact and wildcard hosts, host-less rules, path types and longest match', () => {
  const t = RoutingTable.build(
    [
      ing('one', [
        rule('foo.example.com', [
          ['/', 'Prefix', 'a'],
          ['/api', 'Prefix', 'b'],
          ['/api/v1/exact', 'Exact', 'c'],
          ['/app', 'ImplementationSpecific', 'd'],
        ]),
        rule('*.example.com', [['/', 'Prefix', 'c']]),
        rule(undefined, [['/any', 'Prefix', 'd']]),
      ]),
    ],
    index(),
  );
  assert.equal(svcOf(t, 'foo.example.com', '/'), 'a');
  assert.equal(svcOf(t, 'FOO.example.com:80', '/x'), 'a');
  assert.equal(svcOf(t, 'foo.example.com', '/api'), 'b');
  assert.equal(svcOf(t, 'foo.example.com', '/api/v1'), 'b');
  assert.equal(svcOf(t, 'foo.example.com', '/apix'), 'a', 'prefix by element: /apix is not under /api');
  assert.equal(svcOf(t, 'foo.example.com', '/api/v1/exact'), 'c');
  assert.equal(svcOf(t, 'foo.example.com', '/api/v1/exact/more'), 'b', 'Exact does not match below itself');
  assert.equal(svcOf(t, 'foo.example.com', '/app/x'), 'd', 'ImplementationSpecific = Prefix');
  assert.equal(svcOf(t, 'bar.example.com', '/'), 'c', 'wildcard: one label');
  assert.equal(svcOf(t, 'a.b.example.com', '/any'), 'd', 'wildcard does not cover two labels; host-less rule does');
  assert.equal(svcOf(t, 'example.com', '/x'), undefined, 'wildcard does not cover the bare domain');
  assert.equal(svcOf(t, 'other.org', '/any/thing'), 'd');
  assert.equal(t.match('other.org', '/'), undefined, 'nothing matches and no default backend');
});

test('defaultBackend catches what no rule matches; ingresses of other classes are ignored', () => {
  const t = RoutingTable.build(
    [
      ing('main', [rule('x.test', [['/', 'Prefix', 'a']])], { defaultBackend: be('b') }),
      { ...ing('nginx', [rule('y.test', [['/', 'Prefix', 'c']])]), spec: { ingressClassName: 'nginx', rules: [rule('y.test', [['/', 'Prefix', 'c']])] } },
    ],
    index(),
  );
  assert.equal(svcOf(t, 'x.test', '/'), 'a');
  assert.equal(svcOf(t, 'y.test', '/'), 'b');
  assert.ok(isOurs({ spec: { ingressClassName: 'bramble' } }));
  assert.ok(isOurs({ spec: {} }));
  assert.ok(!isOurs({ spec: { ingressClassName: 'traefik' } }));
});

test('backends resolve to ready pod endpoints by service port number or name', () => {
  const eps = new EndpointIndex();
  eps.setService(svc('web', [{ name: 'web', port: 80 }, { name: 'admin', port: 9000 }]));
  eps.setSlice(slice('web', ['10.42.1.5', '10.42.1.6'], 8080, 'web'));
  eps.setSlice({ ...slice('web', ['10.42.1.5'], 9090, 'admin'), metadata: { namespace: 'default', name: 'web-2', labels: { 'kubernetes.io/service-name': 'web' } } });
  const notReady = slice('web', ['10.42.1.9'], 8080, 'web', 'default', false);
  notReady['metadata'].name = 'web-3';
  eps.setSlice(notReady);
  assert.deepEqual(eps.resolve('default', 'web', 80), [
    { ip: '10.42.1.5', port: 8080 },
    { ip: '10.42.1.6', port: 8080 },
  ]);
  assert.deepEqual(eps.resolve('default', 'web', 'admin'), [{ ip: '10.42.1.5', port: 9090 }]);
  assert.deepEqual(eps.resolve('default', 'web', 81), []);
  assert.deepEqual(eps.resolve('default', 'nope', 80), []);
});

test('canary by weight splits one host+path between two Ingresses', () => {
  const t = RoutingTable.build(
    [ing('main', [rule('app.test', [['/', 'Prefix', 'a']])]), ing('canary', [rule('app.test', [['/', 'Prefix', 'b']])], {}, { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '30' })],
    index(),
  );
  assert.equal(t.match('app.test', '/', () => 0.29)?.backend.service, 'b');
  assert.equal(t.match('app.test', '/', () => 0.3)?.backend.service, 'a');
  let canary = 0;
  for (let i = 0; i < 10_000; i++) if (t.match('app.test', '/x')?.backend.service === 'b') canary++;
  assert.ok(canary > 2700 && canary < 3300, `about 30% to the canary, got ${canary / 100}%`);

  const zero = RoutingTable.build(
    [ing('main', [rule('app.test', [['/', 'Prefix', 'a']])]), ing('canary', [rule('app.test', [['/', 'Prefix', 'b']])], {}, { 'nginx.ingress.kubernetes.io/canary': 'true' })],
    index(),
  );
  assert.equal(zero.match('app.test', '/', () => 0)?.backend.service, 'a', 'weight 0 (unset): never the canary');
  const alone = RoutingTable.build([ing('canary', [rule('app.test', [['/', 'Prefix', 'b']])], {}, { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '100' })], index());
  assert.equal(alone.match('app.test', '/'), undefined, 'a canary without a main Ingress serves nothing');
});

test('TLS secrets by host, exact then wildcard', () => {
  const t = RoutingTable.build(
    [ing('main', [rule('a.test', [['/', 'Prefix', 'a']])], { tls: [{ hosts: ['a.test'], secretName: 'a-tls' }, { hosts: ['*.w.test'], secretName: 'w-tls' }] })],
    index(),
  );
  assert.equal(t.tlsSecretFor('a.test'), 'default/a-tls');
  assert.equal(t.tlsSecretFor('x.w.test'), 'default/w-tls');
  assert.equal(t.tlsSecretFor('b.test'), undefined);
});
