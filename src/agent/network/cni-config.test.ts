import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CNI_CONF_FILE, NetworkConfigError, parsePodCIDR, renderCniConfig, writeCniConfig } from './cni-config.ts';

describe('CNI config', () => {
  it('normalises and checks pod CIDRs', () => {
    assert.deepEqual(parsePodCIDR('10.42.3.7/24'), { network: '10.42.3.0', bits: 24 });
    assert.deepEqual(parsePodCIDR('10.42.0.0/16'), { network: '10.42.0.0', bits: 16 });
    for (const bad of ['10.42.0.0', '10.42.300.0/24', '10.42.0.0/31', 'fd00::/64', '']) assert.throws(() => parsePodCIDR(bad), NetworkConfigError, bad);
  });

  it('renders loopback, a gateway bridge (no ipMasq) with hairpin, host-local on the CIDR with a default route, and portmap', () => {
    const c = renderCniConfig({ podCIDR: '10.42.1.0/24', ipamDataDir: '/x/ipam' }) as { plugins: Record<string, any>[] };
    assert.deepEqual(c.plugins.map((p) => p['type']), ['loopback', 'bridge', 'portmap']);
    const br = c.plugins[1]!;
    assert.equal(br['bridge'], 'cni0');
    assert.equal(br['isGateway'], true);
    assert.equal(br['ipMasq'], false); // routes.ts masquerades leaving the cluster CIDR
    assert.equal(br['hairpinMode'], true);
    assert.deepEqual(br['ipam'], { type: 'host-local', ranges: [[{ subnet: '10.42.1.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/x/ipam' });
    assert.deepEqual(c.plugins[2]!['capabilities'], { portMappings: true });
  });

  it('sets the MTU of the bridge and pods when given (vxlan: 50 below the node\'s), else leaves the plugin\'s default', () => {
    const c = renderCniConfig({ podCIDR: '10.42.1.0/24', mtu: 1450 }) as { plugins: Record<string, any>[] };
    assert.equal(c.plugins[1]!['mtu'], 1450);
    const d = renderCniConfig({ podCIDR: '10.42.1.0/24' }) as { plugins: Record<string, any>[] };
    assert.equal('mtu' in d.plugins[1]!, false);
  });

  it('writes the file once and reports whether it changed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bcni-'));
    try {
      assert.equal(writeCniConfig(dir, { podCIDR: '10.42.1.0/24' }), true);
      assert.equal(writeCniConfig(dir, { podCIDR: '10.42.1.0/24' }), false);
      assert.equal(writeCniConfig(dir, { podCIDR: '10.42.2.0/24' }), true);
      assert.deepEqual(fs.readdirSync(dir), [CNI_CONF_FILE]);
      assert.match(fs.readFileSync(path.join(dir, CNI_CONF_FILE), 'utf8'), /10\.42\.2\.0\/24/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
