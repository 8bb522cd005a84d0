/** The resolved configuration of `bramble server`. */
import os from 'node:os';
import path from 'node:path';
import type { ControllerConfig } from '../controllers/manager.ts';

export interface ServerConfig {
  dataDir: string;
  bindAddress: string;
  port: number;
  /** Address written into kubeconfigs and advertised to agents. */
  advertiseAddress: string;
  tlsSANs: string[];
  kubeconfigPath: string;
  kubeconfigMode: string;
  disableAgent: boolean;
  /** The embedded agent (unless disableAgent): joins this server over loopback with the node token, as any agent does. */
  agent?: EmbeddedAgentConfig;
  compactionIntervalMs: number;
  /** Join secret or full K10 token (`--token`); generated on first start when absent. */
  token?: string;
  /** `--cluster-init`: start a new HA cluster on an etcd member this server runs. */
  clusterInit?: boolean;
  /** `--server`: join the HA cluster of this server URL (CAs from it, an etcd member added through it). */
  joinServer?: string;
  /** Components switched off by name (`--disable`): controllers, `scheduler`, later packaged addons. */
  disable: string[];
  controllers: ControllerConfig;
  /**
   * Several servers share the datastore (etcd): controllers and scheduler
   * run only on the holder of the kube-controller-manager Lease, each server
   * keeps an API server identity Lease, and Service IP/port allocations are
   * claimed in storage. Off (the default, single server on SQLite): no Lease
   * writes at all.
   */
  leaderElect?: boolean;
  /** The pod network backend of every node (`--flannel-backend`), handed to joining agents; default host-gw. */
  flannelBackend?: import('../cluster/join/cluster-config.ts').FlannelBackend;
}

export interface EmbeddedAgentConfig {
  runtime: 'containerd' | 'fake';
  nodeName: string;
  labels: Record<string, string>;
  taints: import('../client/types.ts').Obj[];
  nodeIP?: string;
  containerRuntimeEndpoint?: string;
  agentPort?: number;
  cgroupRoot?: string;
}

/** Go-style durations: `5m`, `90s`, `1h30m`, `250ms`. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1e3 : m[2] === 'm' ? n * 6e4 : n * 3.6e6;
    consumed += m[0].length;
  }
  if (consumed !== s.length || s.length === 0) throw new Error(`invalid duration "${s}" (examples: 30s, 5m, 1h)`);
  return total;
}

/** The first non-internal IPv4 address, else loopback: what a single-board server advertises. */
export function defaultAdvertiseAddress(bindAddress: string): string {
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::') return bindAddress;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function serverPaths(dataDir: string) {
  return {
    db: path.join(dataDir, 'server', 'db', 'state.db'),
    /** The etcd member's data of an HA server; its `member/` folder marks a server as HA on later starts. */
    etcd: path.join(dataDir, 'server', 'db', 'etcd'),
    cred: path.join(dataDir, 'server', 'cred'),
  };
}
