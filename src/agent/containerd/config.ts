/**
 * The containerd 1.6 configuration (version 2 schema) the agent runs
 * containerd with: everything under the agent's data directory (root,
 * state, socket, runc state, CNI config), the CRI plugin set up for
 * bramble (our pause image as the sandbox image, Debian's CNI plugins,
 * cgroupfs), and registry mirrors and credentials from registries.yaml.
 *
 * Option names and defaults are facts from containerd's CRI config
 * documentation for 1.6; the rendering is ours.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderRegistries, type RegistriesConfig } from './registries.ts';

export interface ContainerdConfigOptions {
  /** containerd's persistent root (images, snapshots, metadata) is `<dataDir>/root`. */
  dataDir: string;
  /** Runtime state (shim bundles, runc state, pod network namespaces); default `<dataDir>/state`. Best on tmpfs. */
  stateDir?: string;
  /** The gRPC socket; default `<dataDir>/containerd.sock` (unix socket paths are limited to 107 bytes). */
  socketPath?: string;
  /** The pod sandbox image; it must be imported, as nothing can be pulled offline. */
  sandboxImage: string;
  /** Where the CNI plugin binaries are: Debian's containernetworking-plugins installs to /usr/lib/cni. */
  cniBinDir?: string;
  /** Where CNI network configs are read from; default `<dataDir>/cni/net.d`. */
  cniConfDir?: string;
  /** A CNI config template containerd renders with the pod CIDR on UpdateRuntimeConfig. */
  cniConfTemplate?: string;
  /** `overlayfs` where the data directory's filesystem supports it, else `native` (see detectSnapshotter). */
  snapshotter: 'overlayfs' | 'native';
  /** Use systemd to manage cgroups; false: runc writes cgroupfs directly (no systemd needed, as on most Pi images). */
  systemdCgroup?: boolean;
  /**
   * Clamp containers' oom_score_adj to containerd's own. Needed where the
   * agent lacks CAP_SYS_RESOURCE (nested in another container), which
   * otherwise fails every sandbox (pause asks for -998).
   */
  restrictOomScoreAdj: boolean;
  /** The CRI streaming server (exec, attach, port-forward URLs); port 0 picks a free one. */
  streamServerAddress?: string;
  streamServerPort?: number;
  registries?: RegistriesConfig;
}

/** The CRI plugin's key in a version 2 config. */
const CRI = 'plugins."io.containerd.grpc.v1.cri"';

/** Snapshotters that cannot work on a Pi node or here; disabling them keeps the log and memory quiet. */
const DISABLED = ['io.containerd.snapshotter.v1.aufs', 'io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.devmapper'];

/** Resolved paths of a configuration. */
export function containerdPaths(opts: Pick<ContainerdConfigOptions, 'dataDir' | 'stateDir' | 'socketPath' | 'cniConfDir'>) {
  return {
    root: path.join(opts.dataDir, 'root'),
    state: opts.stateDir ?? path.join(opts.dataDir, 'state'),
    socket: opts.socketPath ?? path.join(opts.dataDir, 'containerd.sock'),
    cniConfDir: opts.cniConfDir ?? path.join(opts.dataDir, 'cni', 'net.d'),
    config: path.join(opts.dataDir, 'config.toml'),
  };
}

/** Renders config.toml. */
export function renderContainerdConfig(opts: ContainerdConfigOptions): string {
  const p = containerdPaths(opts);
  const q = tomlString;
  const lines = [
    '# Written by bramble on every start; edits are overwritten.',
    'version = 2',
    `root = ${q(p.root)}`,
    `state = ${q(p.state)}`,
    'oom_score = 0',
    `disabled_plugins = [${DISABLED.map(q).join(', ')}]`,
    '',
    '[grpc]',
    `  address = ${q(p.socket)}`,
    '[ttrpc]',
    `  address = ${q(p.socket + '.ttrpc')}`,
    '',
    // The opt plugin would otherwise create /opt/containerd.
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(path.join(opts.dataDir, 'opt'))}`,
    '',
    `[${CRI}]`,
    `  sandbox_image = ${q(opts.sandboxImage)}`,
    `  stream_server_address = ${q(opts.streamServerAddress ?? '127.0.0.1')}`,
    `  stream_server_port = ${q(String(opts.streamServerPort ?? 0))}`,
    '  enable_selinux = false',
    `  restrict_oom_score_adj = ${opts.restrictOomScoreAdj}`,
    // Pod network namespaces under our state directory rather than /var/run/netns.
    '  netns_mounts_under_state_dir = true',
    '  max_container_log_line_size = 16384',
    `[${CRI}.containerd]`,
    `  snapshotter = ${q(opts.snapshotter)}`,
    '  default_runtime_name = "runc"',
    '  disable_snapshot_annotations = true',
    `[${CRI}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${CRI}.containerd.runtimes.runc.options]`,
    `  SystemdCgroup = ${opts.systemdCgroup ?? false}`,
    // runc's own state next to containerd's, not in /run/containerd/runc.
    `  Root = ${q(path.join(p.state, 'runc'))}`,
    `[${CRI}.cni]`,
    `  bin_dir = ${q(opts.cniBinDir ?? '/usr/lib/cni')}`,
    `  conf_dir = ${q(p.cniConfDir)}`,
    '  max_conf_num = 1',
  ];
  if (opts.cniConfTemplate) lines.push(`  conf_template = ${q(opts.cniConfTemplate)}`);
  if (opts.registries) {
    const r = renderRegistries(opts.registries, q);
    if (r) lines.push(r);
  }
  return lines.join('\n') + '\n';
}

/**
 * A TOML basic string. JSON's escapes are all valid TOML escapes, and
 * JSON.stringify escapes every control character TOML forbids raw.
 */
export function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** Whether this process may lower oom_score_adj (CAP_SYS_RESOURCE in its effective set). */
export function canLowerOomScore(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m !== null && (BigInt('0x' + m[1]) & (1n << 24n)) !== 0n;
  } catch {
    return false;
  }
}
