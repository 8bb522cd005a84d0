/**
 * Run by busybox.test.ts inside a new user+network namespace (`unshare -rn`),
 * where it may take port 53 on that namespace's own loopback: starts cluster
 * DNS on 127.0.0.1:53 over an in-process registry with a few objects, writes
 * "ready" on stdout, and serves until stdin closes.
 */
import { InProcessClient } from '../../../client/in-process.ts';
import { resources } from '../../../client/types.ts';
import { openTestRegistry, systemUser } from '../../../../test/harness/registry.ts';
import { startClusterDns } from '../server.ts';

const reg = await openTestRegistry();
const client = new InProcessClient(reg.registry, systemUser);
await client.create(resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'my-server', namespace: 'default' }, spec: { clusterIP: '10.43.5.5', ports: [{ name: 'http', port: 80 }] } });
await client.create(resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } });
await client.create(resources.endpointslices, 'default', {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'db-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.42.0.7'], hostname: 'db-0', conditions: { ready: true } }],
  ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
});
const dns = await startClusterDns({ client, listen: [{ host: '127.0.0.1', port: 53 }], upstreams: [] });
await dns.synced;
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', async () => {
  await dns.close();
  await reg.close();
  process.exit(0);
});
