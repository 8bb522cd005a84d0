/**
 * Loopback helpers for tests and benches that run a real etcd (or any
 * server needing a port chosen before it starts).
 */
import * as net from 'node:net';
import path from 'node:path';
import type { EtcdProcessOptions } from '../../src/cluster/etcd/process.ts';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a server that
 * must be told its port before it starts (etcd). Chosen below the kernel's
 * ephemeral range (ip_local_port_range, 32768–60999 by default): a port the
 * OS hands out for port 0 can be taken again, before the server binds it, by
 * any outgoing connection of a test running alongside (CI saw etcd fail with
 * "address already in use" that way). Below the NodePort range too
 * (30000–32767). Here only another listener picking the same random port in
 * the same instant could collide.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found in 20000-29999 after 50 tries');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
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
