import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
  statefulSetPrinter,
} from './apps.ts';
import { ago, columnNames, now, wideColumnNames } from './test-fixtures.ts';

const template = (labels: Record<string, string>, extra: object = {}) => ({
  metadata: { labels },
  spec: {
    containers: [
      { name: 'nginx', image: 'nginx:1.27' },
      { name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.3' },
    ],
    ...extra,
  },
});

test('workload columns are upstream 1.32', () => {
  const wideSet = ['Containers', 'Images', 'Selector'];
  assert.deepEqual(columnNames(deploymentPrinter), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', ...wideSet]);
  assert.deepEqual(wideColumnNames(deploymentPrinter), wideSet);
  assert.deepEqual(columnNames(replicaSetPrinter), ['Name', 'Desired', 'Current', 'Ready', 'Age', ...wideSet]);
  assert.deepEqual(wideColumnNames(replicaSetPrinter), wideSet);
  assert.deepEqual(columnNames(daemonSetPrinter), [
    'Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', ...wideSet,
  ]);
  assert.deepEqual(wideColumnNames(daemonSetPrinter), wideSet);
  assert.deepEqual(columnNames(statefulSetPrinter), ['Name', 'Ready', 'Age', 'Containers', 'Images']);
  assert.deepEqual(wideColumnNames(statefulSetPrinter), ['Containers', 'Images']);
  assert.deepEqual(columnNames(controllerRevisionPrinter), ['Name', 'Controller', 'Revision', 'Age']);
  // Upstream declares the deployment counts as strings but the replica set counts as integers.
  assert.deepEqual(deploymentPrinter.columns.map((c) => c.type).slice(1, 4), ['string', 'string', 'string']);
  assert.deepEqual(replicaSetPrinter.columns.map((c) => c.type).slice(1, 4), ['integer', 'integer', 'integer']);
});

test('deployments', () => {
  const cases: [string, object, unknown[]][] = [
    [
      'a rolled-out deployment',
      {
        metadata: { name: 'web', creationTimestamp: ago(3600 * 26) },
        spec: { replicas: 3, selector: { matchLabels: { app: 'web', tier: 'fe' } }, template: template({ app: 'web', tier: 'fe' }) },
        status: { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 },
      },
      ['web', '3/3', 3, 3, '26h', 'nginx,exporter', 'nginx:1.27,nginx/nginx-prometheus-exporter:1.3', 'app=web,tier=fe'],
    ],
    [
      'a new deployment with no status; replicas default to 1',
      {
        metadata: { name: 'api', creationTimestamp: ago(4) },
        spec: {
          selector: { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'canary'] }] },
          template: { spec: { containers: [{ name: 'api', image: 'busybox' }] } },
        },
      },
      ['api', '0/1', 0, 0, '4s', 'api', 'busybox', 'app=api,env in (canary,prod)'],
    ],
    [
      'a deployment scaled to zero with an empty selector prints an empty Selector',
      { metadata: { name: 'idle', creationTimestamp: ago(60) }, spec: { replicas: 0, selector: {}, template: { spec: { containers: [] } } } },
      ['idle', '0/0', 0, 0, '60s', '', '', ''],
    ],
    [
      'a malformed selector is <invalid>',
      { metadata: { name: 'bad' }, spec: { replicas: 1, selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } } },
      ['bad', '0/1', 0, 0, '<unknown>', '', '', '<invalid>'],
    ],
  ];
  for (const [name, obj, want] of cases) assert.deepEqual(deploymentPrinter.cells(obj as any, now), want, name);
});

test('replicasets', () => {
  const rs = {
    metadata: { name: 'web-6w5lx76zg6', creationTimestamp: ago(3600 * 26) },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '6w5lx76zg6' } }, template: template({ app: 'web' }) },
    status: { replicas: 3, readyReplicas: 2 },
  };
  assert.deepEqual(replicaSetPrinter.cells(rs, now), [
    'web-6w5lx76zg6', 3, 3, 2, '26h', 'nginx,exporter', 'nginx:1.27,nginx/nginx-prometheus-exporter:1.3', 'app=web,pod-template-hash=6w5lx76zg6',
  ]);
  const old = { metadata: { name: 'web-old' }, spec: { replicas: 0, template: { spec: { containers: [] } } } };
  assert.deepEqual(replicaSetPrinter.cells(old, now), ['web-old', 0, 0, 0, '<unknown>', '', '', '<none>']);
});

test('daemonsets', () => {
  const ds = {
    metadata: { name: 'svclb-traefik', creationTimestamp: ago(86400 * 40) },
    spec: {
      selector: { matchLabels: { app: 'svclb-traefik' } },
      template: template({ app: 'svclb-traefik' }, { nodeSelector: { 'kubernetes.io/os': 'linux', 'bramble.io/lb': 'true' } }),
    },
    status: { desiredNumberScheduled: 4, currentNumberScheduled: 4, numberReady: 3, updatedNumberScheduled: 4, numberAvailable: 3 },
  };
  assert.deepEqual(daemonSetPrinter.cells(ds, now), [
    'svclb-traefik', 4, 4, 3, 4, 3, 'bramble.io/lb=true,kubernetes.io/os=linux', '40d',
    'nginx,exporter', 'nginx:1.27,nginx/nginx-prometheus-exporter:1.3', 'app=svclb-traefik',
  ]);
  const bare = { metadata: { name: 'agent', creationTimestamp: ago(5) }, spec: { selector: { matchLabels: { app: 'agent' } }, template: template({}) } };
  assert.deepEqual(daemonSetPrinter.cells(bare, now).slice(1, 8), [0, 0, 0, 0, 0, '<none>', '5s']);
});

test('statefulsets', () => {
  const sts = {
    metadata: { name: 'pg', creationTimestamp: ago(86400 * 3) },
    spec: { replicas: 3, serviceName: 'pg', selector: { matchLabels: { app: 'pg' } }, template: { spec: { containers: [{ name: 'postgres', image: 'postgres:17' }] } } },
    status: { replicas: 3, readyReplicas: 1 },
  };
  assert.deepEqual(statefulSetPrinter.cells(sts, now), ['pg', '1/3', '3d', 'postgres', 'postgres:17']);
  assert.deepEqual(statefulSetPrinter.cells({ metadata: { name: 'x' }, spec: {} }, now), ['x', '0/1', '<unknown>', '', '']);
});

test('controllerrevisions name their controller as kind.group/name', () => {
  const rev = (ownerReferences: object[] | undefined) => ({
    metadata: { name: 'fluentd-7d4f9b', creationTimestamp: ago(600), ownerReferences },
    revision: 2,
  });
  const cases: [string, object[] | undefined, string][] = [
    ['a DaemonSet owner', [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd', uid: 'u', controller: true }], 'daemonset.apps/fluentd'],
    ['a core owner has no group', [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u', controller: true }], 'pod/p'],
    ['owners that do not control are skipped', [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'pg', uid: 'u' }], '<none>'],
    ['no owners', undefined, '<none>'],
  ];
  for (const [name, refs, want] of cases) {
    assert.deepEqual(controllerRevisionPrinter.cells(rev(refs), now), ['fluentd-7d4f9b', want, 2, '10m'], name);
  }
});
