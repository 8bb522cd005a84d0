/**
 * Cluster DNS over a real `bramble server` (HTTP/2 client, real admission
 * allocating ClusterIPs, the kubernetes-service controller), objects made
 * with stock kubectl, questions asked with node:dns on loopback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { HttpClient } from '../../src/client/http.ts';
import { startClusterDns, type ClusterDns } from '../../src/agent/dns/server.ts';
import { startServer, type TestServer } from '../harness/server.ts';

let server: TestServer;
let client: HttpClient;
let clusterDns: ClusterDns;
let resolver: dns.promises.Resolver;
const stop = new AbortController();

async function eventually<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

before(async () => {
  server = await startServer();
  client = HttpClient.fromKubeconfig(server.kubeconfig);
  clusterDns = await startClusterDns({ client, listen: [{ host: '127.0.0.1', port: 0 }], domain: 'cluster.local', upstreams: [], signal: stop.signal });
  await clusterDns.synced;
  resolver = new dns.promises.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${clusterDns.ports[0]}`]);
});

after(async () => {
  stop.abort();
  await clusterDns?.close();
  client?.close();
  await server?.stop();
});

test('the kubernetes Service and a kubectl-made Service resolve to their ClusterIPs', async () => {
  const kip = (await server.k(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  assert.deepEqual(await eventually(() => resolver.resolve4('kubernetes.default.svc.cluster.local')), [kip]);
  await server.k(['create', 'service', 'clusterip', 'my-server', '--tcp=80:8080']);
  const ip = (await server.k(['get', 'svc', 'my-server', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  assert.match(ip, /^10\.43\./);
  assert.deepEqual(await eventually(() => resolver.resolve4('my-server.default.svc.cluster.local')), [ip]);
  assert.deepEqual(await resolver.reverse(ip), ['my-server.default.svc.cluster.local']);
  const srv = await resolver.resolveSrv('_80-8080._tcp.my-server.default.svc.cluster.local');
  assert.equal(srv[0]?.port, 80);
});

test('a headless Service follows its EndpointSlice (hostnames, readiness, deletion)', async () => {
  const objects = [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] } },
        {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: 'web-manual', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
          addressType: 'IPv4',
          endpoints: [
            { addresses: ['10.42.0.11'], hostname: 'web-0', conditions: { ready: true } },
            { addresses: ['10.42.1.12'], hostname: 'web-1', conditions: { ready: false } },
          ],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
  ];
  for (const o of objects) await server.k(['apply', '-f', '-'], { input: JSON.stringify(o) });
  assert.deepEqual(await eventually(() => resolver.resolve4('web.default.svc.cluster.local')), ['10.42.0.11']);
  assert.deepEqual(await resolver.resolve4('web-0.web.default.svc.cluster.local'), ['10.42.0.11']);
  await server.k(['patch', 'endpointslice', 'web-manual', '--type=json', '-p', '[{"op":"replace","path":"/endpoints/1/conditions/ready","value":true}]']);
  await eventually(async () => assert.deepEqual((await resolver.resolve4('web.default.svc.cluster.local')).sort(), ['10.42.0.11', '10.42.1.12']));
  const srv = (await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local')).map((s) => `${s.name}:${s.port}`).sort();
  assert.deepEqual(srv, ['web-0.web.default.svc.cluster.local:8080', 'web-1.web.default.svc.cluster.local:8080']);
  await server.k(['delete', 'service', 'web']);
  await eventually(async () => assert.rejects(resolver.resolve4('web.default.svc.cluster.local'), { code: 'ENOTFOUND' }));
});
