/**
 * Server flags that shape allocation: a custom --service-node-port-range and
 * --service-cidr are used by allocation and accepted by validation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../harness/server.ts';
import { apiClient, type ApiClient } from '../harness/api.ts';

let srv: TestServer;
let api: ApiClient;
/** The port `a` was given (at random from the range). */
let aPort = 0;
before(async () => {
  srv = await startServer(['--service-node-port-range', '31000-31010', '--service-cidr', '10.96.0.0/24']);
  api = apiClient(srv.kubeconfig);
});
after(async () => srv?.stop());

const svc = (name: string, nodePort?: number) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }] },
});

describe('allocation flags', () => {
  it('allocates node ports and cluster IPs from the configured ranges', async () => {
    const r = await api.request('POST', '/api/v1/namespaces/default/services', svc('a'));
    assert.equal(r.status, 201, r.text);
    const port = r.json.spec.ports[0].nodePort;
    aPort = port;
    assert.ok(port >= 31000 && port <= 31010, String(port));
    assert.match(r.json.spec.clusterIP, /^10\.96\.0\.\d+$/);
    const k = await api.request('GET', '/api/v1/namespaces/default/services/kubernetes');
    if (k.status === 200) assert.equal(k.json.spec.clusterIP, '10.96.0.1');
  });

  it('accepts a requested port inside the range and refuses one outside it', async () => {
    // Any free port of the range: `a` holds one at random.
    const inside = await api.request('POST', '/api/v1/namespaces/default/services', svc('b', aPort === 31005 ? 31006 : 31005));
    assert.equal(inside.status, 201, inside.text);
    const outside = await api.request('POST', '/api/v1/namespaces/default/services', svc('c', 30080));
    assert.equal(outside.status, 422);
    assert.match(outside.json.message, /spec\.ports\[0\]\.nodePort/);
  });
});
