/**
 * The containerd runtime as an agent uses it: starts and supervises the
 * agent's own containerd (or connects to an existing CRI socket given as
 * `--container-runtime-endpoint`), makes sure the offline sandbox image is
 * there, side-loads `<dataDir>/agent/images/*.tar` at start and whenever an
 * archive is added or replaced, writes the CNI config once the node's pod
 * CIDR is known, and hands back the Runtime for AgentHost.
 *
 * Layout under the agent's data directory:
 *   agent/containerd/        containerd's root, state, socket, config
 *   agent/containerd/cni/    CNI config (net.d) and host-local allocations (ipam)
 *   agent/images/            image archives to import
 *   agent/pod-logs/<ns>_<pod>_<uid>/<container>/<restart>.log   container logs (CRI format)
 *   agent/registries.yaml    mirrors and credentials (k3s format)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectCri, type CriClient } from '../../cri/index.ts';
import { startContainerd, type ContainerdHandle } from '../../containerd/supervisor.ts';
import { imageArchivesIn, importImages } from '../../images/import.ts';
import { PAUSE_IMAGE } from '../../images/pause.ts';
import { ensureSandboxImage } from '../../images/sandbox-image.ts';
import { writeCniConfig } from '../../network/cni-config.ts';
import type { NodeRuntime } from '../../host.ts';
import { logger, type Logger } from '../../../util/log.ts';
import { CriRuntime } from './cri-runtime.ts';

export interface ContainerdRuntimeOptions {
  /** The agent's data directory (`/var/lib/bramble`). */
  dataDir: string;
  /** An existing CRI socket to use instead of starting containerd (`--container-runtime-endpoint`, `unix://` optional). */
  endpoint?: string;
  /** Where the CNI config is written; default ours, or /etc/cni/net.d with an endpoint. */
  cniConfDir?: string;
  /** The pods' host bridge; default `cni0`. */
  bridge?: string;
  /** MTU of the bridge and pod interfaces (vxlan: the parent's less the encapsulation); default the plugin's. */
  mtu?: number;
  /** cgroup holding the pod cgroups; default `bramble`. */
  cgroupRoot?: string;
  /** Run our containerd (and so the CNI plugins, the bridge and pod traffic) in this network namespace (tests). */
  netnsPath?: string;
  /** How often the images directory is checked for new archives; default 10 s (0: only at start). */
  imageScanMs?: number;
  relistMs?: number;
  /** Passed to startContainerd. */
  snapshotter?: 'overlayfs' | 'native';
  log?: Logger;
}

export interface ContainerdNodeRuntime extends NodeRuntime {
  runtime: CriRuntime;
  cri: CriClient;
  /** The CRI socket in use. */
  socketPath: string;
  /** Our containerd (absent with an endpoint). */
  containerd?: ContainerdHandle;
  /** Scans the images directory now and imports new or changed archives; resolves with the files imported. */
  importNewImages(): Promise<string[]>;
  /** Stops the relist and image scan and our containerd. Containers keep running (as after a kubelet stop). */
  close(): Promise<void>;
}

export type ContainerdRuntimeErrorCode = 'ENDPOINT_UNREACHABLE';

export class ContainerdRuntimeError extends Error {
  readonly code: ContainerdRuntimeErrorCode;
  constructor(code: ContainerdRuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContainerdRuntimeError';
    this.code = code;
  }
}

export async function openContainerdRuntime(o: ContainerdRuntimeOptions): Promise<ContainerdNodeRuntime> {
  const log = o.log ?? logger('agent/containerd');
  const agentDir = path.join(o.dataDir, 'agent');
  const ctdDir = path.join(agentDir, 'containerd');
  let containerd: ContainerdHandle | undefined;
  let socketPath: string;
  let cniConfDir: string;
  let snapshotter: string | undefined;
  if (o.endpoint) {
    socketPath = o.endpoint.replace(/^unix:\/\//, '');
    cniConfDir = o.cniConfDir ?? '/etc/cni/net.d';
  } else {
    containerd = await startContainerd({
      dataDir: ctdDir,
      sandboxImage: PAUSE_IMAGE,
      registriesFile: path.join(agentDir, 'registries.yaml'),
      cniConfDir: o.cniConfDir,
      netnsPath: o.netnsPath,
      snapshotter: o.snapshotter,
      log,
    });
    socketPath = containerd.socketPath;
    cniConfDir = containerd.cniConfDir;
    snapshotter = containerd.snapshotter;
  }
  const cri = connectCri(socketPath, { log });
  const close = async () => {
    clearInterval(scan);
    await runtime.close();
    await cri.close();
    await containerd?.stop();
  };
  let scan: NodeJS.Timeout | undefined;
  const runtime = new CriRuntime({
    cri,
    dataDir: o.dataDir,
    cgroupRoot: o.cgroupRoot,
    relistMs: o.relistMs,
    configureNetwork: (podCIDR) => {
      const changed = writeCniConfig(cniConfDir, { podCIDR, bridge: o.bridge, ipamDataDir: path.join(ctdDir, 'cni', 'ipam'), mtu: o.mtu });
      if (changed) log.info('pod network configured', { podCIDR, bridge: o.bridge ?? 'cni0', mtu: o.mtu, config: cniConfDir });
    },
  });
  try {
    try {
      await cri.runtime.version({ timeoutMs: 10_000 });
    } catch (e) {
      throw new ContainerdRuntimeError('ENDPOINT_UNREACHABLE', `container runtime at ${socketPath} does not answer: ${(e as Error).message}`, { cause: e });
    }
    await ensureSandboxImage({ address: socketPath, images: cri.images, workDir: path.join(agentDir, 'tmp'), snapshotter, log });
  } catch (e) {
    await close();
    throw e;
  }

  // Archive → size and mtime when imported, so only new or replaced files are imported again.
  const imported = new Map<string, string>();
  const imagesDir = path.join(agentDir, 'images');
  let importing: Promise<string[]> | undefined;
  const importNewImages = (): Promise<string[]> =>
    (importing ??= (async () => {
      const todo: string[] = [];
      for (const file of imageArchivesIn(imagesDir)) {
        let stamp: string;
        try {
          const st = fs.statSync(file);
          stamp = `${st.size}:${st.mtimeMs}`;
        } catch {
          continue;
        }
        if (imported.get(file) !== stamp) todo.push(file), imported.set(file, stamp);
      }
      for (const file of todo) {
        try {
          await importImages({ address: socketPath, files: [file], snapshotter, log });
        } catch (e) {
          log.error('image archive import failed', { file, err: e });
        }
      }
      return todo;
    })().finally(() => (importing = undefined)));
  await importNewImages();
  if ((o.imageScanMs ?? 10_000) > 0) {
    scan = setInterval(() => void importNewImages(), o.imageScanMs ?? 10_000);
    scan.unref();
  }
  return { runtime, cri, socketPath, containerd, readyNeedsNetwork: true, importNewImages, close };
}
