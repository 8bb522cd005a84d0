import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerdPaths, renderContainerdConfig, tomlString } from './config.ts';

/** The value of `key` inside TOML table `table` (a flat scan: our rendering has one key per line). */
function tomlValue(text: string, table: string, key: string): string | undefined {
  let current = '';
  for (const line of text.split('\n')) {
    const t = /^\[(.+)\]$/.exec(line.trim());
    if (t) current = t[1];
    else if (current === table) {
      const m = /^\s*([\w.]+) = (.*)$/.exec(line);
      if (m && m[1] === key) return m[2];
    }
  }
  return undefined;
}

describe('containerd config', () => {
  const base = { dataDir: '/var/lib/bramble/agent/containerd', sandboxImage: 'bramble.local/pause:3.9', snapshotter: 'overlayfs' as const, restrictOomScoreAdj: false };
  const cri = 'plugins."io.containerd.grpc.v1.cri"';

  it('keeps every path under the data directory', () => {
    const text = renderContainerdConfig(base);
    const p = containerdPaths(base);
    assert.equal(tomlValue(text, '', 'version'), '2');
    assert.equal(tomlValue(text, '', 'root'), '"/var/lib/bramble/agent/containerd/root"');
    assert.equal(tomlValue(text, '', 'state'), '"/var/lib/bramble/agent/containerd/state"');
    assert.equal(tomlValue(text, 'grpc', 'address'), JSON.stringify(p.socket));
    assert.equal(tomlValue(text, 'ttrpc', 'address'), JSON.stringify(p.socket + '.ttrpc'));
    assert.equal(tomlValue(text, 'plugins."io.containerd.internal.v1.opt"', 'path'), '"/var/lib/bramble/agent/containerd/opt"');
    assert.equal(tomlValue(text, `${cri}.containerd.runtimes.runc.options`, 'Root'), '"/var/lib/bramble/agent/containerd/state/runc"');
    assert.equal(tomlValue(text, `${cri}.cni`, 'conf_dir'), '"/var/lib/bramble/agent/containerd/cni/net.d"');
    assert.equal(tomlValue(text, cri, 'netns_mounts_under_state_dir'), 'true');
  });

  it('sets up the CRI plugin for bramble', () => {
    const text = renderContainerdConfig({ ...base, snapshotter: 'native', restrictOomScoreAdj: true, streamServerPort: 10010, cniConfTemplate: '/etc/bramble/cni.tmpl' });
    assert.equal(tomlValue(text, cri, 'sandbox_image'), '"bramble.local/pause:3.9"');
    assert.equal(tomlValue(text, cri, 'restrict_oom_score_adj'), 'true');
    assert.equal(tomlValue(text, cri, 'stream_server_port'), '"10010"');
    assert.equal(tomlValue(text, `${cri}.containerd`, 'snapshotter'), '"native"');
    assert.equal(tomlValue(text, `${cri}.containerd.runtimes.runc`, 'runtime_type'), '"io.containerd.runc.v2"');
    assert.equal(tomlValue(text, `${cri}.containerd.runtimes.runc.options`, 'SystemdCgroup'), 'false');
    assert.equal(tomlValue(text, `${cri}.cni`, 'bin_dir'), '"/usr/lib/cni"');
    assert.equal(tomlValue(text, `${cri}.cni`, 'conf_template'), '"/etc/bramble/cni.tmpl"');
  });

  it('renders registries into the CRI registry tables', () => {
    const text = renderContainerdConfig({ ...base, registries: { mirrors: { 'docker.io': { endpoints: ['http://127.0.0.1:5000'] } }, configs: { '127.0.0.1:5000': { auth: { username: 'u', password: 'p' } } }, warnings: [] } });
    assert.equal(tomlValue(text, `${cri}.registry.mirrors."docker.io"`, 'endpoint'), '["http://127.0.0.1:5000"]');
    assert.equal(tomlValue(text, `${cri}.registry.configs."127.0.0.1:5000".auth`, 'password'), '"p"');
  });

  it('quotes strings as TOML basic strings', () => {
    assert.equal(tomlString('a"b\\c\nd\u0001'), '"a\\"b\\\\c\\nd\\u0001"');
  });
});
