/**
 * Reading a Node's status as every component needs it: its InternalIP, its
 * readiness, and where its agent serves (logs/exec, stats, liveness).
 */
import type { Obj } from '../client/types.ts';

/** The agent's port when a Node does not say (upstream's kubelet port). */
export const DEFAULT_AGENT_PORT = 10250;

export function nodeInternalIP(node: Obj): string | undefined {
  return (node['status']?.addresses as Obj[] | undefined)?.find((a) => a['type'] === 'InternalIP')?.['address'];
}

export function isNodeReady(node: Obj | undefined): boolean {
  return (node?.['status']?.conditions as Obj[] | undefined)?.some((c) => c['type'] === 'Ready' && c['status'] === 'True') ?? false;
}

/** The node's agent: its InternalIP and `status.daemonEndpoints.kubeletEndpoint.Port`. */
export function agentEndpoint(node: Obj): { address: string; port: number } | undefined {
  const address = nodeInternalIP(node);
  if (!address) return undefined;
  return { address, port: Number(node['status']?.daemonEndpoints?.kubeletEndpoint?.Port) || DEFAULT_AGENT_PORT };
}
