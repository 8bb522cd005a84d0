/**
 * Loopback helpers for tests and benches that run a real etcd (or any
 * server needing a port chosen before it starts).
 */
import * as net from 'node:net';
import path from 'node:path';
import type { EtcdProcessOptions } from '../../src/cluster/etcd/process.ts';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** startEtcd options for a new one-member cluster on loopback with fresh ports; data and log under `dir`. */
export async function loopbackEtcd(name: string, dir: string, scheme = 'http'): Promise<{ opts: EtcdProcessOptions; endpoint: string }> {
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `${scheme}://127.0.0.1:${client}`;
  const peerURL = `${scheme}://127.0.0.1:${peer}`;
  return {
    endpoint,
    opts: {
      name,
      dataDir: path.join(dir, 'data'),
      listenClientUrls: [endpoint],
      advertiseClientUrls: [endpoint],
      listenPeerUrls: [peerURL],
      initialAdvertisePeerUrls: [peerURL],
      initialCluster: `${name}=${peerURL}`,
      initialClusterState: 'new',
      logFile: path.join(dir, 'etcd.log'),
    },
  };
}
