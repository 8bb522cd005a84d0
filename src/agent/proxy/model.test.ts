import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Obj } from '../../client/types.ts';
import { buildServicePorts } from './model.ts';
import { renderRuleset, transaction } from './ruleset.ts';

const svc = (name: string, spec: Obj = {}, labels?: Record<string, string>): Obj => ({
  metadata: { namespace: 'ns', name, labels },
  spec: { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec },
});
const slice = (name: string, eps: Obj[], ports: Obj[] = [{ name: 'http', port: 8080, protocol: 'TCP' }]): Obj => ({
  metadata: { namespace: 'ns', name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
  addressType: 'IPv4',
  ports,
  endpoints: eps,
});
const ep = (ip: string, conditions: Obj = {}, nodeName = 'me'): Obj => ({ addresses: [ip], conditions, nodeName });

describe('proxy model', () => {
  it('uses ready endpoints (absent ready counts as ready), dedupes across slices, sorts', () => {
    const [p] = buildServicePorts(
      [svc('a')],
      [slice('a', [ep('10.42.0.9'), ep('10.42.0.3', { ready: false }), ep('10.42.0.2', { ready: true }, 'other')]), { ...slice('a', [ep('10.42.0.9')]), metadata: { namespace: 'ns', name: 'a-2', labels: { 'kubernetes.io/service-name': 'a' } } }],
      'me',
    );
    assert.deepEqual(p!.cluster, [{ ip: '10.42.0.2', port: 8080 }, { ip: '10.42.0.9', port: 8080 }]);
    assert.deepEqual(p!.local, [{ ip: '10.42.0.9', port: 8080 }]);
  });

  it('falls back to serving terminating endpoints only when none is ready', () => {
    const [p] = buildServicePorts([svc('a')], [slice('a', [ep('10.42.0.2', { ready: false, serving: true, terminating: true }), ep('10.42.0.3', { ready: false, serving: false, terminating: true })])], 'me');
    assert.deepEqual(p!.cluster, [{ ip: '10.42.0.2', port: 8080 }]);
  });

  it('matches slice ports by name and protocol', () => {
    const [p] = buildServicePorts([svc('a')], [slice('a', [ep('10.42.0.2')], [{ name: 'other', port: 1, protocol: 'TCP' }, { name: 'http', port: 2, protocol: 'UDP' }])], 'me');
    assert.deepEqual(p!.cluster, []);
  });

  it('skips headless, ExternalName and other proxies\' Services; NodePort only when externally accessible', () => {
    const ports = buildServicePorts(
      [svc('h', { clusterIP: 'None' }), svc('x', { type: 'ExternalName' }), svc('o', {}, { 'service.kubernetes.io/service-proxy-name': 'x' }), svc('c', { ports: [{ port: 80, nodePort: 30000 }] })],
      [],
      'me',
    );
    assert.deepEqual(ports.map((p) => [p.id, p.nodePort]), [['ns/c/tcp/80', 0]]);
  });
});

describe('proxy ruleset', () => {
  it('rejects without any usable endpoint, drops with none for this policy while another policy has some', () => {
    const r = renderRuleset(
      buildServicePorts(
        [
          svc('none'),
          svc('loc', { clusterIP: '10.43.0.6', type: 'NodePort', internalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30001 }] }),
          svc('loconly', { clusterIP: '10.43.0.7', internalTrafficPolicy: 'Local' }),
        ],
        [slice('loc', [ep('10.42.0.2', {}, 'other')]), slice('loconly', [ep('10.42.0.2', {}, 'other')])],
        'me',
      ),
      { clusterCIDR: '10.42.0.0/16' },
    );
    assert.match(r.text, /no-endpoint-services .*10\.43\.0\.5 \. tcp \. 80 : goto reject-chain/);
    assert.match(r.text, /service-ips .*10\.43\.0\.6 \. tcp \. 80 : drop/);
    assert.match(r.text, /service-nodeports .*tcp \. 30001 : goto ext-ns\/loc\/tcp\/80/);
    // Policy Local and no local endpoint, no other policy in use: nothing usable, so reject (as kube-proxy).
    assert.match(r.text, /no-endpoint-services .*10\.43\.0\.7 \. tcp \. 80 : goto reject-chain/);
  });

  it('a later transaction flushes chains and maps and deletes what went away', () => {
    const a = renderRuleset(buildServicePorts([svc('a')], [slice('a', [ep('10.42.0.2'), ep('10.42.0.3')])], 'me'), { clusterCIDR: '10.42.0.0/16' });
    const b = renderRuleset(buildServicePorts([svc('a')], [slice('a', [ep('10.42.0.2')])], 'me'), { clusterCIDR: '10.42.0.0/16' });
    assert.match(transaction(undefined, a), /^add table ip bramble-proxy\ndelete table ip bramble-proxy\n/);
    const t = transaction(a, b);
    assert.match(t, /flush table ip bramble-proxy/);
    assert.match(t, /flush map ip bramble-proxy service-ips\n/);
    assert.match(t, /delete chain ip bramble-proxy ep-ns\/a\/tcp\/80\/10\.42\.0\.3\/8080\n/);
    assert.doesNotMatch(t, /delete chain ip bramble-proxy ep-ns\/a\/tcp\/80\/10\.42\.0\.2\//);
  });
});
