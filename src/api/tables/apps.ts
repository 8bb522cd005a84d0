/**
 * Printers for apps/v1: deployments, replicasets, daemonsets, statefulsets
 * and controllerrevisions. Replica counts missing from spec read as 1, the
 * upstream create-time default.
 */
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import { ageColumn, column, containerColumns, nameColumn, selectorColumn } from './columns.ts';
import { containerCells, int } from './format.ts';
import { formatLabelSelector, formatLabels, selectorString } from './labels.ts';
import { age } from './time.ts';
import type { Printer } from './types.ts';

function desired(replicas: number | undefined): number {
  return replicas ?? 1;
}

/** apps/v1 deployments. The Selector cell is the plain selector string (empty, not `<none>`, when unset). */
export const deploymentPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Ready replicas out of desired replicas.'),
    column('Up-to-date', 'string', 'Replicas running the current pod template.'),
    column('Available', 'string', 'Replicas available to serve.'),
    ageColumn(),
    ...containerColumns(),
    selectorColumn(),
  ],
  cells(obj, now) {
    const d = obj as Deployment;
    const [names, images] = containerCells(d.spec?.template?.spec?.containers);
    return [
      d.metadata?.name ?? '',
      `${int(d.status?.readyReplicas)}/${desired(d.spec?.replicas)}`,
      int(d.status?.updatedReplicas),
      int(d.status?.availableReplicas),
      age(obj, now),
      names,
      images,
      selectorString(d.spec?.selector),
    ];
  },
};

/** apps/v1 replicasets. */
export const replicaSetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'The number of replicas wanted.'),
    column('Current', 'integer', 'The number of replicas that exist.'),
    column('Ready', 'integer', 'The number of ready replicas.'),
    ageColumn(),
    ...containerColumns(),
    selectorColumn(),
  ],
  cells(obj, now) {
    const rs = obj as ReplicaSet;
    const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
    return [
      rs.metadata?.name ?? '',
      desired(rs.spec?.replicas),
      int(rs.status?.replicas),
      int(rs.status?.readyReplicas),
      age(obj, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};

/** apps/v1 daemonsets. */
export const daemonSetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'Nodes that should run the daemon pod.'),
    column('Current', 'integer', 'Nodes running at least one daemon pod.'),
    column('Ready', 'integer', 'Nodes with a ready daemon pod.'),
    column('Up-to-date', 'integer', 'Nodes running the current pod template.'),
    column('Available', 'integer', 'Nodes with an available daemon pod.'),
    column('Node Selector', 'string', 'The node selector of the pod template.'),
    ageColumn(),
    ...containerColumns(),
    selectorColumn(),
  ],
  cells(obj, now) {
    const ds = obj as DaemonSet;
    const status = ds.status;
    const [names, images] = containerCells(ds.spec?.template?.spec?.containers);
    return [
      ds.metadata?.name ?? '',
      int(status?.desiredNumberScheduled),
      int(status?.currentNumberScheduled),
      int(status?.numberReady),
      int(status?.updatedNumberScheduled),
      int(status?.numberAvailable),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      age(obj, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

/** apps/v1 statefulsets: no Selector column, unlike the other workloads. */
export const statefulSetPrinter: Printer = {
  columns: [nameColumn(), column('Ready', 'string', 'Ready replicas out of desired replicas.'), ageColumn(), ...containerColumns()],
  cells(obj, now) {
    const sts = obj as StatefulSet;
    const [names, images] = containerCells(sts.spec?.template?.spec?.containers);
    return [
      sts.metadata?.name ?? '',
      `${int(sts.status?.readyReplicas)}/${desired(sts.spec?.replicas)}`,
      age(obj, now),
      names,
      images,
    ];
  },
};

/**
 * The Controller cell: `kind.group/name` of the controlling owner, lower
 * case (`daemonset.apps/fluentd`, `kind/name` for core kinds), or `<none>`.
 */
export function controllerName(obj: ControllerRevision): string {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = ref.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = ref.kind ?? '';
  if (!kind && !group) return ref.name;
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${ref.name}`;
}

/** apps/v1 controllerrevisions. */
export const controllerRevisionPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'The object that owns the revision.'),
    column('Revision', 'string', 'The revision number.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const cr = obj as ControllerRevision;
    return [cr.metadata?.name ?? '', controllerName(cr), int(cr.revision), age(obj, now)];
  },
};
