import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { agentEndpoint, isNodeReady, nodeInternalIP } from './node-status.ts';

const node = (status: object) => ({ metadata: { name: 'n' }, status });

describe('node status readers', () => {
  it('the InternalIP, not another address type', () => {
    assert.equal(nodeInternalIP(node({ addresses: [{ type: 'Hostname', address: 'n' }, { type: 'InternalIP', address: '10.0.0.5' }] })), '10.0.0.5');
    assert.equal(nodeInternalIP(node({ addresses: [{ type: 'ExternalIP', address: '1.2.3.4' }] })), undefined);
    assert.equal(nodeInternalIP({ metadata: {} }), undefined);
  });

  it('ready only with Ready=True', () => {
    assert.equal(isNodeReady(node({ conditions: [{ type: 'Ready', status: 'True' }] })), true);
    assert.equal(isNodeReady(node({ conditions: [{ type: 'Ready', status: 'Unknown' }] })), false);
    assert.equal(isNodeReady(node({ conditions: [{ type: 'MemoryPressure', status: 'True' }] })), false);
    assert.equal(isNodeReady(undefined), false);
  });

  it('the agent endpoint: the daemon endpoint port, else 10250; none without an InternalIP', () => {
    const addresses = [{ type: 'InternalIP', address: '10.0.0.5' }];
    assert.deepEqual(agentEndpoint(node({ addresses, daemonEndpoints: { kubeletEndpoint: { Port: 10251 } } })), { address: '10.0.0.5', port: 10251 });
    assert.deepEqual(agentEndpoint(node({ addresses })), { address: '10.0.0.5', port: 10250 });
    assert.equal(agentEndpoint(node({ daemonEndpoints: { kubeletEndpoint: { Port: 10251 } } })), undefined);
  });
});
