/**
 * The nodes printer: `kubectl get nodes`. `kubectl cordon` is checked by
 * users through the `,SchedulingDisabled` suffix of the Status cell.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { age } from './time.ts';
import { ageColumn, column, nameColumn, wide } from './columns.ts';
import { compareStrings } from './labels.ts';
import type { Printer } from './types.ts';

const rolePrefix = 'node-role.kubernetes.io/';
const legacyRoleLabel = 'kubernetes.io/role';

/** `Ready`, `NotReady` or `Unknown` (no Ready condition), plus `SchedulingDisabled` when cordoned. */
export function nodeStatus(node: Node): string {
  const parts: string[] = [];
  // A later duplicate condition wins, as it would in a map keyed by type.
  const ready = (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').pop();
  if (ready) parts.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else parts.push('Unknown');
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/**
 * Sorted, de-duplicated roles from `node-role.kubernetes.io/<role>` label
 * keys and non-empty `kubernetes.io/role` label values; `<none>` if none.
 */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (key.startsWith(rolePrefix)) {
      const role = key.slice(rolePrefix.length);
      if (role) roles.add(role);
    } else if (key === legacyRoleLabel && value !== '') {
      roles.add(value);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort(compareStrings).join(',');
}

function firstAddress(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

/** core/v1 nodes. */
export const nodePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The Ready condition, and whether scheduling is disabled.'),
    column('Roles', 'string', 'Roles from the node-role.kubernetes.io/ labels.'),
    ageColumn(),
    column('Version', 'string', 'The kubelet (agent) version the node reports.'),
    wide('Internal-IP', 'string', 'The first InternalIP address of the node.'),
    wide('External-IP', 'string', 'The first ExternalIP address of the node.'),
    wide('OS-Image', 'string', 'The operating system image the node reports.'),
    wide('Kernel-Version', 'string', 'The kernel version the node reports.'),
    wide('Container-Runtime', 'string', 'The container runtime and version the node reports.'),
  ],
  cells(obj, now) {
    const node = obj as Node;
    const info = node.status?.nodeInfo;
    return [
      node.metadata?.name ?? '',
      nodeStatus(node),
      nodeRoles(node),
      age(obj, now),
      info?.kubeletVersion ?? '',
      firstAddress(node, 'InternalIP'),
      firstAddress(node, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};
