/**
 * The runtime configs of a pod, as the kubelet derives them from the pod
 * spec (kuberuntime_sandbox.go, kuberuntime_container.go, dns.go, the
 * cgroup helpers): the sandbox (hostname, DNS, hostPorts, host network)
 * and each container (command/args, workingDir, env, mounts, tty/stdin,
 * log path, security context, cgroup resources).
 */
import * as fs from 'node:fs';
import { mustParseQuantity } from '../../api/quantity.ts';
import type { Obj } from '../../client/types.ts';
import { containerLogPath, type ContainerConfig, type ContainerResources, type ContainerSecurity, type DnsConfig, type PortMapping, type SandboxConfig, type VolumeMount } from '../runtime/types.ts';

export interface DnsSettings {
  /** The cluster DNS service address(es) (k3s: 10.43.0.10). */
  clusterDNS: string[];
  clusterDomain: string;
  /** The host's resolv.conf (dnsPolicy Default, and host-network pods). */
  resolvConf: string;
}

export const defaultDns: DnsSettings = { clusterDNS: ['10.43.0.10'], clusterDomain: 'cluster.local', resolvConf: '/etc/resolv.conf' };

/** nameserver/search/options lines of a resolv.conf. */
export function parseResolvConf(text: string): DnsConfig {
  const out: DnsConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const [key, ...rest] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.searches = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

function hostDns(d: DnsSettings): DnsConfig {
  try {
    return parseResolvConf(fs.readFileSync(d.resolvConf, 'utf8'));
  } catch {
    return { servers: [], searches: [], options: [] };
  }
}

/** The pod's resolv.conf by dnsPolicy, with spec.dnsConfig merged in (upstream's rules, search list capped at 32). */
export function podDns(pod: Obj, d: DnsSettings): DnsConfig {
  const spec = pod['spec'] ?? {};
  let policy: string = spec.dnsPolicy ?? 'ClusterFirst';
  // ClusterFirst on the host network falls back to the host's settings; ClusterFirstWithHostNet does not.
  if (policy === 'ClusterFirst' && spec.hostNetwork === true) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  let base: DnsConfig;
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (policy === 'Default' || d.clusterDNS.length === 0) base = hostDns(d);
  else {
    const ns = pod['metadata']?.namespace ?? 'default';
    const host = hostDns(d);
    base = {
      servers: [...d.clusterDNS],
      searches: [`${ns}.svc.${d.clusterDomain}`, `svc.${d.clusterDomain}`, d.clusterDomain, ...host.searches],
      options: ['ndots:5'],
    };
  }
  const extra = spec.dnsConfig ?? {};
  const servers = [...base.servers, ...((extra.nameservers ?? []) as string[])];
  const searches = [...new Set([...base.searches, ...((extra.searches ?? []) as string[])])].slice(0, 32);
  const options = new Map<string, string>();
  for (const o of base.options) options.set(o.split(':')[0]!, o);
  for (const o of (extra.options ?? []) as Obj[]) options.set(o['name'], o['value'] !== undefined ? `${o['name']}:${o['value']}` : o['name']);
  return { servers, searches, options: [...options.values()] };
}

/** hostPort mappings of every container, as the kubelet collects them for the sandbox. */
export function portMappings(pod: Obj): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of (pod['spec']?.containers ?? []) as Obj[]) {
    for (const p of (c['ports'] ?? []) as Obj[]) {
      if (!p['hostPort']) continue;
      out.push({ protocol: p['protocol'] ?? 'TCP', containerPort: p['containerPort'], hostPort: p['hostPort'], hostIP: p['hostIP'] });
    }
  }
  return out;
}

export function sandboxConfigFor(pod: Obj, attempt: number, dns: DnsSettings): SandboxConfig {
  const m = pod['metadata'];
  const spec = pod['spec'] ?? {};
  return {
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, attempt },
    hostname: (spec.hostname ?? m.name).slice(0, 63),
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
    hostNetwork: spec.hostNetwork === true,
    dns: podDns(pod, dns),
    portMappings: portMappings(pod),
  };
}

const minShares = 2;
const maxShares = 262_144;
const period = 100_000;
const minQuota = 1_000;

/** cgroup settings from a container's requests and limits, as the kubelet computes them (cgroup v1 units). */
export function resourcesFor(container: Obj): ContainerResources {
  const req = container['resources']?.requests ?? {};
  const lim = container['resources']?.limits ?? {};
  const milli = (q: unknown) => (q === undefined ? 0 : mustParseQuantity(q as string).milliValue());
  const cpuReq = milli(req.cpu) || milli(lim.cpu);
  const out: ContainerResources = { cpuShares: Math.min(maxShares, Math.max(minShares, Math.floor((cpuReq * 1024) / 1000))) };
  const cpuLim = milli(lim.cpu);
  if (cpuLim > 0) {
    out.cpuPeriod = period;
    out.cpuQuota = Math.max(minQuota, Math.floor((cpuLim * period) / 1000));
  }
  if (lim.memory !== undefined) out.memoryLimitBytes = mustParseQuantity(lim.memory).value();
  return out;
}

/** The container's security context with the pod's runAsUser/runAsGroup as defaults. */
export function securityFor(pod: Obj, container: Obj): ContainerSecurity {
  const psc = pod['spec']?.securityContext ?? {};
  const sc = container['securityContext'] ?? {};
  const out: ContainerSecurity = {};
  const user = sc.runAsUser ?? psc.runAsUser;
  const group = sc.runAsGroup ?? psc.runAsGroup;
  if (user !== undefined) out.runAsUser = user;
  if (group !== undefined) out.runAsGroup = group;
  if (sc.privileged) out.privileged = true;
  if (sc.readOnlyRootFilesystem) out.readOnlyRootFilesystem = true;
  if (sc.capabilities) out.capabilities = { add: sc.capabilities.add ?? [], drop: sc.capabilities.drop ?? [] };
  return out;
}

export interface ContainerInputs {
  /** The resolved environment (src/agent/env), in order. */
  env: { name: string; value: string }[];
  mounts?: VolumeMount[];
  /** $(VAR) expansion of command and args against the environment (src/agent/env expand). */
  expand?(s: string): string;
}

export function containerConfigFor(pod: Obj, container: Obj, init: boolean, attempt: number, inputs: ContainerInputs): ContainerConfig {
  const x = inputs.expand ?? ((s: string) => s);
  return {
    metadata: { name: container['name'], attempt },
    image: String(container['image'] ?? ''),
    command: (container['command'] as string[] | undefined)?.map(x),
    args: (container['args'] as string[] | undefined)?.map(x),
    workingDir: container['workingDir'],
    init,
    env: inputs.env,
    mounts: inputs.mounts ?? [],
    tty: container['tty'] === true,
    stdin: container['stdin'] === true,
    logPath: containerLogPath(container['name'], attempt),
    securityContext: securityFor(pod, container),
    resources: resourcesFor(container),
  };
}
