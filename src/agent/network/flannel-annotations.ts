/**
 * What a node tells the others about its pod network, in flannel's own
 * Node annotations (so tools that know flannel read them too):
 *
 *   flannel.alpha.coreos.com/backend-type  host-gw | vxlan
 *   flannel.alpha.coreos.com/backend-data  vxlan: {"VNI":1,"VtepMAC":"…"}; host-gw: null
 *   flannel.alpha.coreos.com/public-ip     the address tunnels are sent to
 *
 * A node writes them on its own Node (the node authorizer lets a node patch
 * its own Node; NodeRestriction guards only node-restriction.kubernetes.io/
 * labels). A vxlan node needs a peer's VtepMAC before it can send to it:
 * the MAC goes into the neighbour and forwarding entries (vxlan.ts).
 */
import type { Obj } from '../../client/types.ts';
import type { FlannelBackend } from '../../cluster/join/cluster-config.ts';

const prefix = 'flannel.alpha.coreos.com/';
export const ANNOTATION_BACKEND_TYPE = `${prefix}backend-type`;
export const ANNOTATION_BACKEND_DATA = `${prefix}backend-data`;
export const ANNOTATION_PUBLIC_IP = `${prefix}public-ip`;
export const FLANNEL_ANNOTATIONS = [ANNOTATION_BACKEND_TYPE, ANNOTATION_BACKEND_DATA, ANNOTATION_PUBLIC_IP];

export interface VxlanData {
  VNI: number;
  VtepMAC: string;
}

/** The annotations a node publishes for its backend (vxlan needs its device's MAC). */
export function flannelAnnotations(backend: FlannelBackend, publicIP: string, vxlan?: VxlanData): Record<string, string> {
  return {
    [ANNOTATION_BACKEND_TYPE]: backend,
    [ANNOTATION_BACKEND_DATA]: backend === 'vxlan' && vxlan ? JSON.stringify({ VNI: vxlan.VNI, VtepMAC: vxlan.VtepMAC }) : 'null',
    [ANNOTATION_PUBLIC_IP]: publicIP,
  };
}

const macRe = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** A Node's vxlan data, when it says it runs vxlan and its data is well formed. */
export function readVxlanData(node: Obj): VxlanData | undefined {
  const ann = (node['metadata']?.annotations ?? {}) as Record<string, string>;
  if (ann[ANNOTATION_BACKEND_TYPE] !== 'vxlan') return undefined;
  try {
    const d = JSON.parse(ann[ANNOTATION_BACKEND_DATA] ?? '') as Partial<VxlanData>;
    const mac = typeof d.VtepMAC === 'string' ? d.VtepMAC.toLowerCase() : '';
    if (!macRe.test(mac) || typeof d.VNI !== 'number') return undefined;
    return { VNI: d.VNI, VtepMAC: mac };
  } catch {
    return undefined;
  }
}

/** The annotations above as a Node has them (to tell whether a patch is needed). */
export function currentFlannelAnnotations(node: Obj | undefined): Record<string, string | undefined> {
  const ann = (node?.['metadata']?.annotations ?? {}) as Record<string, string>;
  return Object.fromEntries(FLANNEL_ANNOTATIONS.map((k) => [k, ann[k]]));
}
