/**
 * The etcd child process: its command line, and that an etcd left running
 * on a data dir (its parent killed) is stopped by the next start there.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { etcdArgs, startEtcd, type EtcdProcess, type EtcdProcessOptions } from './process.ts';
import { loopbackEtcd } from '../../../test/harness/etcd.ts';
import { openEtcdBackend } from '../../storage/etcd/etcd.ts';

const procs: EtcdProcess[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


describe('etcd process', () => {
  it('builds the command line: no auto-compaction, TLS with client-cert auth on both sides', () => {
    const args = etcdArgs({
      name: 'a',
      dataDir: '/d',
      listenClientUrls: ['https://10.0.0.1:2379', 'https://127.0.0.1:2379'],
      advertiseClientUrls: ['https://10.0.0.1:2379'],
      listenPeerUrls: ['https://10.0.0.1:2380'],
      initialAdvertisePeerUrls: ['https://10.0.0.1:2380'],
      initialCluster: 'a=https://10.0.0.1:2380',
      initialClusterState: 'new',
      tls: { caFile: 'ca', certFile: 'c', keyFile: 'k', peerCaFile: 'pca', peerCertFile: 'pc', peerKeyFile: 'pk' },
    });
    for (const a of [
      '--listen-client-urls=https://10.0.0.1:2379,https://127.0.0.1:2379',
      '--auto-compaction-retention=0',
      '--snapshot-count=10000',
      '--backend-batch-interval=10s',
      '--client-cert-auth',
      '--peer-client-cert-auth',
      '--trusted-ca-file=ca',
      '--peer-key-file=pk',
      '--initial-cluster-state=new',
    ]) {
      assert.ok(args.includes(a), `missing ${a}`);
    }
    const restart = etcdArgs({ name: 'a', dataDir: '/d', listenClientUrls: [], advertiseClientUrls: [], listenPeerUrls: [], initialAdvertisePeerUrls: [] });
    assert.ok(!restart.some((a) => a.startsWith('--initial-cluster')), 'a member that exists starts without --initial-cluster');
  });

  it('a start on a data dir first stops an etcd left running there', { skip: !existsSync('/usr/bin/etcd') && 'no /usr/bin/etcd', timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bramble-etcd-proc-'));
    dirs.push(dir);
    const opts = async (): Promise<EtcdProcessOptions> => (await loopbackEtcd('one', dir)).opts;
    const first = await startEtcd(await opts());
    procs.push(first);
    assert.equal(readFileSync(join(dir, 'data.pid'), 'utf8').trim(), String(first.pid));
    // As if our parent had been killed: a new start on the same data dir (new ports; the
    // member's peer URL in the data dir is stale, which a restart of a single member tolerates).
    const o = await opts();
    delete o.initialCluster;
    delete o.initialClusterState;
    const second = await startEtcd(o);
    procs.push(second);
    let timer: NodeJS.Timeout | undefined;
    const state = await Promise.race([first.exited, new Promise((r) => (timer = setTimeout(r, 5000, 'running')))]);
    clearTimeout(timer);
    assert.notEqual(state, 'running');
    assert.equal(readFileSync(join(dir, 'data.pid'), 'utf8').trim(), String(second.pid));
    await second.stop();
    assert.equal(existsSync(join(dir, 'data.pid')), false);
  });

  it('a write acknowledged inside the 10 s database batch survives a SIGKILL (the WAL replays it)', { skip: !existsSync('/usr/bin/etcd') && 'no /usr/bin/etcd', timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bramble-etcd-crash-'));
    dirs.push(dir);
    const { opts, endpoint } = await loopbackEtcd('one', dir);
    const first = await startEtcd(opts);
    procs.push(first);
    const b = await openEtcdBackend({ endpoint });
    const made = await b.create('/registry/configmaps/default/after-crash', 'kept');
    assert.equal(made.ok, true);
    await b.close();
    // At once, well inside the batch interval: the database has not committed it yet.
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    const again = { ...opts, initialCluster: undefined, initialClusterState: undefined };
    const second = await startEtcd(again);
    procs.push(second);
    const b2 = await openEtcdBackend({ endpoint });
    try {
      const got = await b2.get('/registry/configmaps/default/after-crash');
      assert.equal(got.kv?.value, 'kept');
    } finally {
      await b2.close();
    }
  });
});
