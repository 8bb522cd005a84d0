/**
 * The agent learns API servers from the default/kubernetes EndpointSlice
 * (and only that one) through a real registry.
 */
import { waitUntil } from '../../../test/harness/wait.ts';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessClient } from '../../client/in-process.ts';
import { resources, type Client } from '../../client/types.ts';
import { openTestRegistry, systemUser } from '../../../test/harness/registry.ts';
import { followKubernetesEndpoints } from './endpoints.ts';

let reg: Awaited<ReturnType<typeof openTestRegistry>>;
let client: Client;
before(async () => {
  reg = await openTestRegistry();
  client = new InProcessClient(reg.registry, systemUser);
});
after(() => reg.close());

const slice = (name: string, ips: string[], port = 6443) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
  addressType: 'IPv4',
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  ports: [{ name: 'https', port, protocol: 'TCP' }],
});

it('follows the kubernetes EndpointSlice and ignores others', async () => {
  await client.create(resources.endpointslices, 'default', slice('kubernetes', ['10.0.0.1']));
  await client.create(resources.endpointslices, 'default', slice('other', ['10.9.9.9']));
  const seen: string[][] = [];
  const ac = new AbortController();
  const running = followKubernetesEndpoints(client, (a) => seen.push(a), ac.signal);
  const until = (n: number) => waitUntil(`${n} endpoint list(s)`, () => seen.length >= n, 5000);
  await until(1);
  assert.deepEqual(seen, [['10.0.0.1:6443']]);
  const cur = await client.get(resources.endpointslices, 'default', 'kubernetes');
  await client.update(resources.endpointslices, 'default', { ...cur, endpoints: slice('kubernetes', ['10.0.0.2', '10.0.0.1']).endpoints });
  await until(2);
  assert.deepEqual(seen[1], ['10.0.0.1:6443', '10.0.0.2:6443']);
  ac.abort();
  await running;
  assert.equal(seen.flat().includes('10.9.9.9:6443'), false);
});
