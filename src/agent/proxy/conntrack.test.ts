import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conntrackArgs, staleUdpFlows } from './conntrack.ts';
import type { ServicePort } from './model.ts';

const port = (id: string, protocol: 'udp' | 'tcp', ips: string[], extra: Partial<ServicePort> = {}): ServicePort => ({
  id,
  namespace: 'default',
  name: id,
  protocol,
  clusterIP: '10.43.0.10',
  port: 53,
  nodePort: 0,
  externalIPs: [],
  affinitySeconds: 0,
  internalLocal: false,
  externalLocal: false,
  cluster: ips.map((ip) => ({ ip, port: 5353 })),
  local: [],
  ...extra,
});

test('a removed UDP endpoint: its flows to every Service address go', () => {
  const prev = [port('dns', 'udp', ['10.42.0.5', '10.42.1.5'], { nodePort: 30053, externalIPs: ['192.168.1.50'] })];
  const next = [port('dns', 'udp', ['10.42.1.5'], { nodePort: 30053, externalIPs: ['192.168.1.50'] })];
  assert.deepEqual(staleUdpFlows(prev, next), [
    { dst: '10.43.0.10', port: 53, endpoint: '10.42.0.5' },
    { dst: '192.168.1.50', port: 53, endpoint: '10.42.0.5' },
    { port: 30053, endpoint: '10.42.0.5' },
  ]);
});

test('a UDP Service getting its first endpoint: flows made while it had none go', () => {
  assert.deepEqual(staleUdpFlows([port('dns', 'udp', [])], [port('dns', 'udp', ['10.42.0.5'])]), [{ dst: '10.43.0.10', port: 53 }]);
  assert.deepEqual(staleUdpFlows([], [port('dns', 'udp', ['10.42.0.5'])]), [{ dst: '10.43.0.10', port: 53 }], 'a new Service too');
});

test('a deleted UDP Service: all its flows go; TCP and unchanged ports need nothing', () => {
  assert.deepEqual(staleUdpFlows([port('dns', 'udp', ['10.42.0.5'])], []), [{ dst: '10.43.0.10', port: 53, endpoint: '10.42.0.5' }]);
  assert.deepEqual(staleUdpFlows([port('web', 'tcp', ['10.42.0.5'])], [port('web', 'tcp', [])]), []);
  assert.deepEqual(staleUdpFlows([port('dns', 'udp', ['10.42.0.5'])], [port('dns', 'udp', ['10.42.0.5', '10.42.0.6'])]), []);
});

test('conntrack arguments', () => {
  assert.deepEqual(conntrackArgs({ dst: '10.43.0.10', port: 53, endpoint: '10.42.0.5' }), ['-D', '-p', 'udp', '--orig-dst', '10.43.0.10', '--orig-port-dst', '53', '--reply-src', '10.42.0.5']);
  assert.deepEqual(conntrackArgs({ port: 30053 }), ['-D', '-p', 'udp', '--orig-port-dst', '30053']);
});
