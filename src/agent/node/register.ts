/**
 * Node registration, as the kubelet's registerWithAPIServer: create the
 * Node (status included); if it already exists (a restart, or a node that
 * left and came back), keep it and correct only the default labels and
 * the attach/detach annotation. Taints and --node-labels are applied only
 * when the Node is created, as upstream.
 */
import { isApiError } from '../../api/errors.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { nodeForRegistration, reconcileExisting, type NodeConfig, type Readiness } from './node-object.ts';

export interface Registration {
  node: Obj;
  /** True when this call created the Node. */
  created: boolean;
}

export async function registerNode(client: Client, cfg: NodeConfig, readiness: Readiness, nowMs: number): Promise<Registration> {
  try {
    return { node: await client.create(resources.nodes, '', nodeForRegistration(cfg, readiness, nowMs)), created: true };
  } catch (e) {
    if (!isApiError(e, 'AlreadyExists')) throw e;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await client.get(resources.nodes, '', cfg.name);
    const fixed = reconcileExisting(cfg, existing);
    if (!fixed) return { node: existing, created: false };
    try {
      return { node: await client.update(resources.nodes, '', fixed), created: false };
    } catch (e) {
      if (!isApiError(e, 'Conflict')) throw e;
    }
  }
  throw new Error(`node ${cfg.name}: too many conflicts while updating its labels`);
}
