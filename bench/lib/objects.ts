/**
 * Realistic request bodies: a pod as a Deployment's ReplicaSet creates it
 * after upstream admission (service-account volume, default tolerations),
 * and small ConfigMaps.
 */

const hash = '7c79c4bf97';

export interface PodOptions {
  /** Set: deletion is graceful (the pod waits for its kubelet), as upstream. */
  nodeName?: string;
  extraLabels?: Record<string, string>;
  /** uid of the ReplicaSet named as controller owner (see replicaSetBody). */
  ownerUid?: string;
  /**
   * `small` (default): one nginx container; 0.9 KB request body, about 2.4 KB
   * as served (defaults plus the managedFields entry the server records).
   * `large`: nginx plus an exporter sidecar, probes, env, the
   * service-account volume; 2.1 KB body, about 5.5 KB served.
   */
  size?: 'small' | 'large';
}

/** An nginx pod as ReplicaSet `web-<hash>` creates it after upstream admission (default tolerations). */
export function podBody(name: string, namespace: string, opts: PodOptions = {}): string {
  return opts.size === 'large' ? largePod(name, namespace, opts) : smallPod(name, namespace, opts);
}

function smallPod(name: string, namespace: string, opts: PodOptions): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `web-${hash}-`,
      namespace,
      labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop', 'pod-template-hash': hash, ...opts.extraLabels },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '80' },
      ownerReferences: opts.ownerUid
        ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${hash}`, uid: opts.ownerUid, controller: true, blockOwnerDeletion: true }]
        : undefined,
    },
    spec: {
      containers: [
        {
          name: 'nginx',
          image: 'docker.io/library/nginx:1.27.3',
          ports: [{ name: 'http', containerPort: 80 }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        },
      ],
      nodeName: opts.nodeName,
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
  });
}

function largePod(name: string, namespace: string, opts: PodOptions): string {
  const pod: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `web-${hash}-`,
      namespace,
      labels: { app: 'web', 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'shop', 'pod-template-hash': hash, ...opts.extraLabels },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9113' },
      // Without a live owner the garbage collector deletes the pod, as upstream: see ownerReplicaSet().
      ownerReferences: opts.ownerUid
        ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${hash}`, uid: opts.ownerUid, controller: true, blockOwnerDeletion: true }]
        : undefined,
    },
    spec: {
      containers: [
        {
          name: 'nginx',
          image: 'docker.io/library/nginx:1.27.3',
          ports: [{ name: 'http', containerPort: 80 }],
          env: [
            { name: 'NGINX_ENTRYPOINT_QUIET_LOGS', value: '1' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/', port: 'http' }, initialDelaySeconds: 10 },
          volumeMounts: [
            { name: 'html', mountPath: '/usr/share/nginx/html', readOnly: true },
            { name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
          ],
        },
        {
          name: 'exporter',
          image: 'docker.io/nginx/nginx-prometheus-exporter:1.3.0',
          args: ['--nginx.scrape-uri=http://localhost:80/stub_status'],
          ports: [{ name: 'metrics', containerPort: 9113 }],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
        },
      ],
      volumes: [
        { name: 'html', configMap: { name: 'web-html' } },
        {
          name: 'kube-api-access-x7k2p',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
      serviceAccountName: 'default',
      priority: 0,
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
  };
  if (opts.nodeName) (pod['spec'] as Record<string, unknown>)['nodeName'] = opts.nodeName;
  return JSON.stringify(pod);
}

export function configMapBody(name: string, namespace: string, data: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' } },
    data: { 'nginx.conf': 'server { listen 80; location / { root /usr/share/nginx/html; } }', ...data },
  });
}

/** The ReplicaSet the pods name as owner; create it first and pass its uid to podBody. */
export function replicaSetBody(namespace: string): string {
  const labels = { app: 'web', 'pod-template-hash': hash };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `web-${hash}`, namespace, labels },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'nginx', image: 'docker.io/library/nginx:1.27.3' }] } },
    },
  });
}

export function namespaceBody(name: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}
