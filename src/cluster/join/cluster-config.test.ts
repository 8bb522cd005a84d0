import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchClusterConfig, isFlannelBackend, parseClusterConfig } from './cluster-config.ts';

describe('cluster config (server → agent)', () => {
  it('knows host-gw and vxlan, and refuses a backend it does not know rather than guess', () => {
    assert.ok(isFlannelBackend('host-gw') && isFlannelBackend('vxlan'));
    assert.ok(!isFlannelBackend('wireguard-native') && !isFlannelBackend(undefined));
    assert.deepEqual(parseClusterConfig({ flannelBackend: 'vxlan', extra: 1 }), { flannelBackend: 'vxlan' });
    assert.throws(() => parseClusterConfig({ flannelBackend: 'ipsec' }), /ipsec.*supported: host-gw, vxlan/);
    assert.throws(() => parseClusterConfig(null), /does not know/);
  });

  it('falls back to the config saved at the last start when the server does not answer; without one it fails', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-ccfg-'));
    try {
      const o = { server: 'https://127.0.0.1:1', token: 'secret', caPem: '', dataDir };
      await assert.rejects(fetchClusterConfig(o), /ECONNREFUSED|connect/);
      fs.mkdirSync(path.join(dataDir, 'agent'));
      fs.writeFileSync(path.join(dataDir, 'agent', 'cluster-config.json'), '{"flannelBackend":"vxlan"}\n');
      assert.deepEqual(await fetchClusterConfig(o), { flannelBackend: 'vxlan' });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
