import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podPrinter } from './pods.ts';
import { cellMap, columnNames, lastTerminated, makePod, now, state, wideColumnNames } from './test-fixtures.ts';

const runningNginx = () =>
  makePod('nginx-6w5lx76zg6-48xmh')
    .container('nginx', 'nginx:1.27')
    .scheduledOn('node-1', '10.42.1.13')
    .phase('Running')
    .condition('Initialized', 'True')
    .condition('Ready', 'True')
    .condition('PodScheduled', 'True')
    .status('nginx');

test('pod columns, types and priorities are upstream 1.32', () => {
  assert.deepEqual(columnNames(podPrinter), [
    'Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates',
  ]);
  assert.deepEqual(wideColumnNames(podPrinter), ['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  assert.equal(podPrinter.columns[0]!.format, 'name');
  assert.ok(podPrinter.columns.every((c) => c.type === 'string'));
});

test('a running nginx pod prints every cell', () => {
  assert.deepEqual(podPrinter.cells(runningNginx().obj(), now), [
    'nginx-6w5lx76zg6-48xmh', '1/1', 'Running', '0', '10m', '10.42.1.13', 'node-1', '<none>', '<none>',
  ]);
});

const cases: { name: string; pod: object; want: Record<string, unknown> }[] = [
  {
    name: 'CrashLoopBackOff with restarts shows the last restart age',
    pod: makePod('api-5d8f7')
      .container('api')
      .phase('Running')
      .condition('Ready', 'False')
      .status('api', {
        state: state.waiting('CrashLoopBackOff', 'back-off 40s restarting failed container'),
        restartCount: 3,
        lastState: lastTerminated(125),
      })
      .obj(),
    want: { Ready: '0/1', Status: 'CrashLoopBackOff', Restarts: '3 (2m5s ago)' },
  },
  {
    name: 'restarts without a recorded termination time print the bare count',
    pod: makePod('p').container('c').phase('Running').status('c', { restartCount: 5 }).obj(),
    want: { Ready: '1/1', Status: 'Running', Restarts: '5' },
  },
  {
    name: 'a pod being deleted is Terminating',
    pod: runningNginx().deleting().obj(),
    want: { Ready: '1/1', Status: 'Terminating' },
  },
  {
    name: 'a finished pod being deleted keeps its final status',
    pod: makePod('job-x').container('main').phase('Succeeded').status('main', { state: state.terminated(0, 'Completed') }).deleting().obj(),
    want: { Status: 'Completed' },
  },
  {
    name: 'a deleted pod on a lost node is Unknown',
    pod: runningNginx().reason('NodeLost').deleting().obj(),
    want: { Status: 'Unknown' },
  },
  {
    name: 'a pod on a lost node, not yet deleted, shows NodeLost',
    pod: runningNginx().reason('NodeLost').obj(),
    want: { Status: 'NodeLost' },
  },
  {
    name: 'an evicted pod shows the status reason',
    pod: makePod('p').container('c').phase('Failed').reason('Evicted').obj(),
    want: { Ready: '0/1', Status: 'Evicted', Restarts: '0' },
  },
  {
    name: 'an unscheduled pod is Pending with no IP or node',
    pod: makePod('p').container('c').condition('PodScheduled', 'False', 'Unschedulable').nominated('node-2').obj(),
    want: { Status: 'Pending', IP: '<none>', Node: '<none>', 'Nominated Node': 'node-2' },
  },
  {
    name: 'a pod held by scheduling gates is SchedulingGated',
    pod: makePod('p').container('c').condition('PodScheduled', 'False', 'SchedulingGated').obj(),
    want: { Status: 'SchedulingGated' },
  },
  {
    name: 'a container being created',
    pod: makePod('p').container('c').scheduledOn('node-1').status('c', { state: state.waiting('ContainerCreating') }).obj(),
    want: { Ready: '0/1', Status: 'ContainerCreating' },
  },
  {
    name: 'the first init container running is Init:0/1',
    pod: makePod('web')
      .initContainer('init-db')
      .container('web')
      .condition('Initialized', 'False')
      .initStatus('init-db', { state: state.running(), ready: false })
      .status('web', { state: state.waiting('PodInitializing') })
      .obj(),
    want: { Ready: '0/1', Status: 'Init:0/1', Restarts: '0' },
  },
  {
    name: 'the second of two init containers running is Init:1/2',
    pod: makePod('web')
      .initContainer('a')
      .initContainer('b')
      .container('web')
      .initStatus('a', { state: state.terminated(0, 'Completed') })
      .initStatus('b', { state: state.running(), ready: false })
      .obj(),
    want: { Status: 'Init:1/2' },
  },
  {
    name: 'a failed init container is Init:Error and its restarts count',
    pod: makePod('web')
      .initContainer('init-db')
      .container('web')
      .condition('Initialized', 'False')
      .initStatus('init-db', { state: state.terminated(1, 'Error'), restartCount: 2, lastState: lastTerminated(60) })
      .status('web', { state: state.waiting('PodInitializing') })
      .obj(),
    want: { Ready: '0/1', Status: 'Init:Error', Restarts: '2 (60s ago)' },
  },
  {
    name: 'an init container in back-off is Init:CrashLoopBackOff',
    pod: makePod('web').initContainer('i').container('web').initStatus('i', { state: state.waiting('CrashLoopBackOff') }).obj(),
    want: { Status: 'Init:CrashLoopBackOff' },
  },
  {
    name: 'an init container waiting with PodInitializing counts as step i/n',
    pod: makePod('web').initContainer('i').container('web').initStatus('i', { state: state.waiting('PodInitializing') }).obj(),
    want: { Status: 'Init:0/1' },
  },
  {
    name: 'an init container killed without a reason shows its exit code',
    pod: makePod('web').initContainer('i').container('web').initStatus('i', { state: state.terminated(2) }).obj(),
    want: { Status: 'Init:ExitCode:2' },
  },
  {
    name: 'an init container killed by a signal shows the signal',
    pod: makePod('web').initContainer('i').container('web').initStatus('i', { state: state.terminated(137, undefined, { signal: 9 }) }).obj(),
    want: { Status: 'Init:Signal:9' },
  },
  {
    name: 'a container that exited without a reason shows its exit code',
    pod: makePod('p').container('c').phase('Running').status('c', { state: state.terminated(137) }).obj(),
    want: { Ready: '0/1', Status: 'ExitCode:137' },
  },
  {
    name: 'a container killed by a signal shows the signal',
    pod: makePod('p').container('c').phase('Running').status('c', { state: state.terminated(0, undefined, { signal: 15 }) }).obj(),
    want: { Status: 'Signal:15' },
  },
  {
    name: 'a finished job pod is Completed',
    pod: makePod('pi-x7k2m').container('pi').phase('Succeeded').condition('Ready', 'False').status('pi', { state: state.terminated(0, 'Completed') }).obj(),
    want: { Ready: '0/1', Status: 'Completed' },
  },
  {
    name: 'a completed container beside a running one: Running when the pod is Ready',
    pod: makePod('p')
      .container('main')
      .container('logger')
      .phase('Running')
      .condition('Ready', 'True')
      .status('main', { state: state.terminated(0, 'Completed') })
      .status('logger')
      .obj(),
    want: { Ready: '1/2', Status: 'Running' },
  },
  {
    name: 'a completed container beside a running one: NotReady otherwise',
    pod: makePod('p')
      .container('main')
      .container('logger')
      .phase('Running')
      .condition('Ready', 'False')
      .status('main', { state: state.terminated(0, 'Completed') })
      .status('logger')
      .obj(),
    want: { Ready: '1/2', Status: 'NotReady' },
  },
  {
    name: 'the first container with a problem sets the status',
    pod: makePod('p')
      .container('a')
      .container('b')
      .phase('Running')
      .status('a', { state: state.waiting('ImagePullBackOff') })
      .status('b', { state: state.waiting('CrashLoopBackOff') })
      .obj(),
    want: { Ready: '0/2', Status: 'ImagePullBackOff' },
  },
  {
    name: 'a sidecar counts in Ready and its restarts still count once initialised',
    pod: makePod('app-with-proxy')
      .initContainer('proxy', { sidecar: true })
      .container('app')
      .phase('Running')
      .condition('Initialized', 'True')
      .condition('Ready', 'True')
      .initStatus('proxy', { started: true, ready: true, restartCount: 1, lastState: lastTerminated(300) })
      .status('app', { restartCount: 2, lastState: lastTerminated(90) })
      .obj(),
    want: { Ready: '2/2', Status: 'Running', Restarts: '3 (90s ago)' },
  },
  {
    name: 'a started sidecar is skipped while a later init container runs',
    pod: makePod('p')
      .initContainer('proxy', { sidecar: true })
      .initContainer('migrate')
      .container('app')
      .condition('Initialized', 'False')
      .initStatus('proxy', { started: true, ready: true })
      .initStatus('migrate', { state: state.running(), ready: false })
      .obj(),
    want: { Ready: '1/2', Status: 'Init:1/2' },
  },
  {
    name: 'readiness gates count the True conditions',
    pod: runningNginx()
      .readinessGate('example.com/lb-ready')
      .readinessGate('example.com/dns-ready')
      .condition('example.com/lb-ready', 'True')
      .condition('example.com/dns-ready', 'False')
      .obj(),
    want: { 'Readiness Gates': '1/2' },
  },
  {
    name: 'a missing phase reads as Pending',
    pod: { metadata: { name: 'bare' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    want: { Name: 'bare', Ready: '0/1', Status: 'Pending', Restarts: '0', Age: '<unknown>' },
  },
];

for (const c of cases) {
  test(`pod: ${c.name}`, () => {
    const got = cellMap(podPrinter, c.pod);
    for (const [column, want] of Object.entries(c.want)) assert.equal(got[column], want, column);
  });
}

test('the pod IP comes from podIP, else the first of podIPs', () => {
  const dual = { ...makePod('p').container('c').obj(), status: { phase: 'Running', podIPs: [{ ip: 'fd00::5' }, { ip: '10.42.0.5' }] } };
  assert.equal(cellMap(podPrinter, dual).IP, 'fd00::5');
});
