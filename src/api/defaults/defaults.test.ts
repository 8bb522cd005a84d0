import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, imageTag, podQOSClass, prepareForCreate } from './index.ts';

const core = (kind: string) => ({ group: '', version: 'v1', kind });
const apps = (kind: string) => ({ group: 'apps', version: 'v1', kind });
const batch = (kind: string) => ({ group: 'batch', version: 'v1', kind });

/** The pod template defaults upstream adds to every workload. */
const defaultedPodSpec = (containers: object[]) => ({
  containers,
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
});

const nginxContainer = {
  image: 'nginx:1.14.2',
  imagePullPolicy: 'IfNotPresent',
  name: 'nginx',
  ports: [{ containerPort: 80, protocol: 'TCP' }],
  resources: {},
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};

test('Deployment: matches upstream `kubectl get -o yaml` for the nginx seed', () => {
  const d: any = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx-deployment' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }] }] },
      },
    },
  };
  applyDefaults(apps('Deployment'), d);
  assert.deepEqual(d.spec, {
    progressDeadlineSeconds: 600,
    replicas: 2,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: 'nginx' } },
    strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
    template: { metadata: { creationTimestamp: null, labels: { app: 'nginx' } }, spec: defaultedPodSpec([nginxContainer]) },
  });
});

test('Deployment: explicit Recreate strategy and replicas 0 are kept', () => {
  const d: any = { spec: { replicas: 0, strategy: { type: 'Recreate' }, template: { spec: { containers: [] } } } };
  applyDefaults(apps('Deployment'), d);
  assert.equal(d.spec.replicas, 0);
  assert.deepEqual(d.spec.strategy, { type: 'Recreate' });
});

test('Pod: pod-only defaults (enableServiceLinks, requests from limits, host ports)', () => {
  const pod: any = {
    spec: {
      hostNetwork: true,
      containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '0.5', memory: 128974848 } } }],
    },
  };
  applyDefaults(core('Pod'), pod);
  const c = pod.spec.containers[0];
  assert.equal(pod.spec.enableServiceLinks, true);
  assert.equal(c.imagePullPolicy, 'Always');
  assert.deepEqual(c.ports, [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }]);
  assert.deepEqual(c.resources, { limits: { cpu: '500m', memory: '128974848' }, requests: { cpu: '500m', memory: '128974848' } });
});

test('Pod templates do not get pod-only defaults', () => {
  const rs: any = { spec: { template: { spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: 1 } } }] } } } };
  applyDefaults(apps('ReplicaSet'), rs);
  assert.equal(rs.spec.replicas, 1);
  assert.equal(rs.spec.template.spec.enableServiceLinks, undefined);
  assert.deepEqual(rs.spec.template.spec.containers[0].resources, { limits: { cpu: '1' } });
});

test('probes, env fieldRef and volumes get their nested defaults', () => {
  const pod: any = {
    spec: {
      containers: [
        {
          name: 'c',
          image: 'x:1',
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { grpc: { port: 9000 } },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        },
      ],
      volumes: [
        { name: 'a', secret: { secretName: 's' } },
        { name: 'b', configMap: { name: 'c' } },
        { name: 'c', hostPath: { path: '/data' } },
        { name: 'd' },
        { name: 'e', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } },
      ],
    },
  };
  applyDefaults(core('Pod'), pod);
  const c = pod.spec.containers[0];
  assert.deepEqual(c.livenessProbe, {
    httpGet: { path: '/', port: 80, scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(c.readinessProbe.grpc, { port: 9000, service: '' });
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.deepEqual(
    pod.spec.volumes.map((v: any) => v),
    [
      { name: 'a', secret: { secretName: 's', defaultMode: 420 } },
      { name: 'b', configMap: { name: 'c', defaultMode: 420 } },
      { name: 'c', hostPath: { path: '/data', type: '' } },
      { name: 'd', emptyDir: {} },
      { name: 'e', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 3600 } }] } },
    ],
  );
});

test('Service: LoadBalancer seed defaults as upstream', () => {
  const svc: any = {
    spec: { type: 'LoadBalancer', loadBalancerIP: '10.10.10.51', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
  applyDefaults(core('Service'), svc);
  assert.deepEqual(svc.spec, {
    allocateLoadBalancerNodePorts: true,
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    loadBalancerIP: '10.10.10.51',
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    selector: { app: 'web' },
    sessionAffinity: 'None',
    type: 'LoadBalancer',
  });
});

test('Service: ClusterIP gets targetPort = port and no externalTrafficPolicy', () => {
  const svc: any = { spec: { ports: [{ port: 443 }], sessionAffinity: 'ClientIP' } };
  applyDefaults(core('Service'), svc);
  assert.equal(svc.spec.type, 'ClusterIP');
  assert.equal(svc.spec.ports[0].targetPort, 443);
  assert.equal(svc.spec.externalTrafficPolicy, undefined);
  assert.deepEqual(svc.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
});

test('Secret: type Opaque and stringData merged into data', () => {
  const s: any = { stringData: { password: 'hunter2' }, data: { user: 'YWRtaW4=' } };
  applyDefaults(core('Secret'), s);
  assert.deepEqual(s, { type: 'Opaque', data: { user: 'YWRtaW4=', password: 'aHVudGVyMg==' } });
});

test('Namespace: name label and Active phase; finalizer on create', () => {
  const ns: any = { metadata: { name: 'team-a' } };
  applyDefaults(core('Namespace'), ns);
  prepareForCreate(core('Namespace'), ns);
  assert.deepEqual(ns, {
    metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
});

test('PersistentVolumeClaim: Filesystem volume mode, Pending, canonical storage', () => {
  const pvc: any = { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } } };
  applyDefaults(core('PersistentVolumeClaim'), pvc);
  assert.deepEqual(pvc, {
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
    status: { phase: 'Pending' },
  });
});

test('StatefulSet: strategy, retention policy and claim templates', () => {
  const sts: any = {
    spec: {
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
  applyDefaults(apps('StatefulSet'), sts);
  assert.equal(sts.spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(sts.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(sts.spec.replicas, 1);
  assert.equal(sts.spec.revisionHistoryLimit, 10);
  assert.deepEqual(sts.spec.volumeClaimTemplates[0], {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', creationTimestamp: null },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
    status: { phase: 'Pending' },
  });
});

test('DaemonSet: rolling update 1/0 and history limit', () => {
  const ds: any = { spec: { template: { spec: { containers: [] } } } };
  applyDefaults(apps('DaemonSet'), ds);
  assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec.revisionHistoryLimit, 10);
});

test('Job: defaults, then generated selector and labels on create', () => {
  const job: any = {
    metadata: { name: 'pi', uid: 'u-1' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34.0' }] } } },
  };
  applyDefaults(batch('Job'), job);
  prepareForCreate(batch('Job'), job);
  const { template, ...rest } = job.spec;
  assert.deepEqual(rest, {
    backoffLimit: 6,
    completionMode: 'NonIndexed',
    completions: 1,
    manualSelector: false,
    parallelism: 1,
    podReplacementPolicy: 'TerminatingOrFailed',
    selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } },
    suspend: false,
  });
  const labels = {
    'batch.kubernetes.io/controller-uid': 'u-1',
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': 'u-1',
    'job-name': 'pi',
  };
  assert.deepEqual(template.metadata, { creationTimestamp: null, labels });
  assert.deepEqual(job.metadata, { name: 'pi', uid: 'u-1', labels, generation: 1 });
  assert.deepEqual(job.status, {});
});

test('CronJob: spec defaults; the job template gets pod defaults only', () => {
  const cj: any = {
    spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox:1.36' }] } } } } },
  };
  applyDefaults(batch('CronJob'), cj);
  assert.equal(cj.spec.concurrencyPolicy, 'Allow');
  assert.equal(cj.spec.suspend, false);
  assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec.failedJobsHistoryLimit, 1);
  assert.deepEqual(cj.spec.jobTemplate.metadata, { creationTimestamp: null });
  assert.equal(cj.spec.jobTemplate.spec.backoffLimit, undefined);
  assert.equal(cj.spec.jobTemplate.spec.template.spec.restartPolicy, 'OnFailure');
  assert.equal(cj.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
});

test('LimitRange: container defaults flow from max and min', () => {
  const lr: any = { spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] } };
  applyDefaults(core('LimitRange'), lr);
  assert.deepEqual(lr.spec.limits[0], {
    type: 'Container',
    max: { cpu: '2' },
    min: { memory: '64Mi' },
    default: { cpu: '2' },
    defaultRequest: { cpu: '2', memory: '64Mi' },
  });
});

test('storage, discovery and networking defaults', () => {
  const sc: any = { provisioner: 'rancher.io/local-path' };
  applyDefaults({ group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass' }, sc);
  assert.deepEqual(sc, { provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
  const es: any = { ports: [{ port: 80 }] };
  applyDefaults({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' }, es);
  assert.deepEqual(es.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  const ic: any = { spec: { controller: 'k8s.io/ingress-nginx', parameters: { kind: 'X', name: 'y' } } };
  applyDefaults({ group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass' }, ic);
  assert.equal(ic.spec.parameters.scope, 'Cluster');
});

test('prepareForCreate resets status to the zero shape Go serializes', () => {
  const cases: Array<[{ group: string; version: string; kind: string }, object]> = [
    [apps('Deployment'), {}],
    [apps('ReplicaSet'), { replicas: 0 }],
    [apps('StatefulSet'), { availableReplicas: 0, replicas: 0 }],
    [core('Service'), { loadBalancer: {} }],
    [{ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' }, { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }],
  ];
  for (const [gvk, status] of cases) {
    const o: any = { status: { stale: true } };
    prepareForCreate(gvk, o);
    assert.deepEqual(o.status, status, gvk.kind);
  }
});

test('Pod QoS classes', () => {
  const pod = (resources: object) => ({ spec: { containers: [{ name: 'c', resources }] } });
  assert.equal(podQOSClass(pod({})), 'BestEffort');
  assert.equal(podQOSClass(pod({ requests: { cpu: '100m' } })), 'Burstable');
  assert.equal(podQOSClass(pod({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
  const p: any = { spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }] } };
  applyDefaults(core('Pod'), p);
  prepareForCreate(core('Pod'), p);
  assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'Guaranteed' });
});

test('image tags decide the pull policy as upstream parses references', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'latest'],
    ['nginx:latest', 'latest'],
    ['nginx:1.14.2', '1.14.2'],
    ['registry.local:5000/team/app', 'latest'],
    ['registry.local:5000/team/app:v2', 'v2'],
    ['busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', ''],
    ['NGINX', ''],
    ['', ''],
  ];
  for (const [image, tag] of cases) assert.equal(imageTag(image), tag, image);
});
