/**
 * `--flannel-backend`: the server hands it to agents at GET
 * /v1-bramble/config (join secret required), where the agent's
 * fetchClusterConfig reads it and saves it for starts without the server;
 * an unknown value is a usage error; --help documents it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brambleBin, run, startServer, type TestServer } from '../harness/server.ts';
import { request } from '../../src/cluster/join/join.ts';
import { fetchClusterConfig } from '../../src/cluster/join/cluster-config.ts';

let srv: TestServer;
before(async () => {
  srv = await startServer(['--flannel-backend', 'vxlan']);
});
after(async () => srv?.stop());

describe('--flannel-backend', () => {
  it('is served to holders of the join token, and saved by the agent side', async () => {
    const server = `https://127.0.0.1:${srv.port}`;
    const token = fs.readFileSync(path.join(srv.dataDir, 'server', 'node-token'), 'utf8').trim();
    const caPem = (await request(`${server}/cacerts`, { method: 'GET', insecure: true })).text;
    const agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-ccfg-agent-'));
    try {
      assert.deepEqual(await fetchClusterConfig({ server, token, caPem, dataDir: agentDir }), { flannelBackend: 'vxlan' });
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(agentDir, 'agent', 'cluster-config.json'), 'utf8')), { flannelBackend: 'vxlan' });
    } finally {
      fs.rmSync(agentDir, { recursive: true, force: true });
    }
    const anon = await request(`${server}/v1-bramble/config`, { method: 'GET', ca: caPem });
    assert.equal(anon.status, 401, anon.text);
    const wrong = await request(`${server}/v1-bramble/config`, { method: 'GET', ca: caPem, headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401, wrong.text);
  });

  it('refuses an unknown backend with a usage error and is documented in --help', async () => {
    const bad = await run(brambleBin, ['server', '--flannel-backend', 'wireguard', '--data-dir', path.join(srv.dir, 'never')]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /unknown --flannel-backend "wireguard" \(supported: host-gw, vxlan\)/);
    assert.equal(fs.existsSync(path.join(srv.dir, 'never')), false);
    const help = await run(brambleBin, ['server', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--flannel-backend NAME .*host-gw.*vxlan.*\(default: host-gw\)/);
  });
});
