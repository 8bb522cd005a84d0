/**
 * Short descriptions, in bramble's own words, of the types and fields users
 * most often look up with `kubectl explain`. Types without an entry have no
 * description.
 *
 * Format: a type line `<package>.<Type>[: description]` at column 0, then
 * `  <field>: description` lines. Packages use the aliases of index.ts.
 * Kept as one string (not an object literal) because it loads faster: the
 * text is split only when a type is first described.
 */

/** Wording for the fields every kind has, used where a type has none of its own. */
export const commonDescriptions = {
  apiVersion:
    'The versioned schema of this object (group/version, or just the version for the core group). Clients send it; the server fills it in on replies.',
  kind: 'The type of this object, in CamelCase, e.g. Deployment. Clients send it; the server fills it in on replies.',
  metadata: 'Standard object metadata: name, namespace, labels, annotations, owners and bookkeeping set by the server.',
  listMetadata: 'Standard list metadata: the resourceVersion of the list and, when paginating, the continue token.',
  items: 'The objects in this list.',
};

export const descriptionText = `
apps.Deployment: A Deployment keeps a number of identical pods running from one template and rolls out template changes through ReplicaSets.
  spec: The desired state: replica count, pod template, selector and rollout strategy.
  status: The most recently observed state, written by the deployment controller.
apps.DeploymentSpec: The desired state of a Deployment.
  replicas: How many pods to run. A pointer, so 0 is a real value. Defaults to 1.
  selector: Label query over the pods this controller manages. It must match the labels of the pod template and cannot be changed after creation for most controllers.
  template: The pod template. Changing it starts a rollout. Its restartPolicy may only be "Always".
  strategy: How existing pods are replaced by new ones during a rollout.
  minReadySeconds: How many seconds a new pod must be ready, without any container crashing, before it counts as available. Defaults to 0.
  revisionHistoryLimit: How many old revisions to keep for rollback. Defaults to 10.
  paused: When true, template changes do not start a rollout until the Deployment is resumed.
  progressDeadlineSeconds: How long a rollout may go without progress before the Deployment reports it failed (condition Progressing with reason ProgressDeadlineExceeded). Defaults to 600.
apps.DeploymentStrategy: How a Deployment replaces old pods with new ones.
  type: Either "Recreate" (stop all old pods, then start new ones) or "RollingUpdate" (replace pods gradually). Defaults to RollingUpdate.
  rollingUpdate: Tuning for the RollingUpdate strategy; only allowed when type is RollingUpdate.
apps.RollingUpdateDeployment: Limits that control the pace of a rolling update.
  maxUnavailable: How many of the desired pods may be unavailable during the update: a number or a percentage (rounded down). Cannot be 0 when maxSurge is 0. Defaults to 25%.
  maxSurge: How many pods may be created above the desired count during the update: a number or a percentage (rounded up). Cannot be 0 when maxUnavailable is 0. Defaults to 25%.
apps.DeploymentStatus: The observed state of a Deployment.
  observedGeneration: The metadata.generation the controller last acted on.
  replicas: Pods targeted by this Deployment, old and new.
  updatedReplicas: Pods running the current template.
  readyReplicas: Pods that are ready.
  availableReplicas: Pods that have been ready for at least minReadySeconds.
  unavailableReplicas: Pods still needed before the Deployment is fully available.
  conditions: The latest observations, such as Available and Progressing.
  collisionCount: Incremented when the controller meets a hash collision naming a ReplicaSet.
apps.DaemonSet: A DaemonSet runs one copy of a pod on every node (or on every node its selector and affinity allow).
  spec: The desired state: pod template, selector and update strategy.
  status: The most recently observed state, written by the daemon set controller.
apps.DaemonSetSpec: The desired state of a DaemonSet.
  selector: Label query over the pods this controller manages. It must match the labels of the pod template and cannot be changed after creation for most controllers.
  template: The pod template. Each eligible node runs exactly one pod from it. Its restartPolicy may only be "Always".
  updateStrategy: How pods are replaced when the template changes.
  minReadySeconds: How many seconds a new pod must be ready, without any container crashing, before it counts as available. Defaults to 0.
  revisionHistoryLimit: How many old revisions to keep for rollback. Defaults to 10.
apps.ReplicaSet: A ReplicaSet keeps a given number of pods from one template running. Deployments manage ReplicaSets for you.
  spec: The desired state: replica count, selector and pod template.
  status: The most recently observed state.
apps.ReplicaSetSpec
  replicas: How many pods to run. Defaults to 1.
  selector: Label query over the pods this controller manages. It must match the labels of the pod template and cannot be changed after creation for most controllers.
  template: The pod template: the metadata and spec of the pods this controller creates.
  minReadySeconds: How many seconds a new pod must be ready, without any container crashing, before it counts as available. Defaults to 0.
apps.StatefulSet: A StatefulSet runs pods with stable names and, optionally, stable storage, created and updated in order.
  spec: The desired state: replica count, pod template, volume claim templates and update strategy.
  status: The most recently observed state.
apps.StatefulSetSpec
  replicas: How many pods to run. Defaults to 1.
  selector: Label query over the pods this controller manages. It must match the labels of the pod template and cannot be changed after creation for most controllers.
  template: The pod template: the metadata and spec of the pods this controller creates.
  volumeClaimTemplates: Claims each pod gets its own PersistentVolumeClaim from, named after the template and the pod.
  serviceName: The headless Service that gives the pods their network identity.
  podManagementPolicy: "OrderedReady" (default) starts and stops pods one at a time in order; "Parallel" does not wait.
  updateStrategy: How pods are replaced when the template changes.
  revisionHistoryLimit: How many old revisions to keep for rollback. Defaults to 10.
  minReadySeconds: How many seconds a new pod must be ready, without any container crashing, before it counts as available. Defaults to 0.
core.Pod: A Pod is a group of containers that run together on one node and share network and storage.
  spec: The desired state of the pod: its containers, volumes and scheduling constraints.
  status: The most recently observed state of the pod, reported by the node running it.
core.PodSpec: The desired state of a pod.
  containers: The containers of the pod. At least one is required; they cannot be added or removed later.
  initContainers: Containers that run to completion, one after the other, before the regular containers start.
  volumes: Volumes that containers of this pod may mount.
  restartPolicy: When containers are restarted: "Always" (default), "OnFailure" or "Never".
  terminationGracePeriodSeconds: Seconds the pod gets to stop gracefully after a termination signal before it is killed. Defaults to 30.
  activeDeadlineSeconds: How long the pod may be active before the system marks it failed and kills its containers.
  dnsPolicy: How DNS is configured for the pod: "ClusterFirst" (default), "ClusterFirstWithHostNet", "Default" or "None".
  nodeSelector: Labels a node must carry for this pod to be scheduled there.
  serviceAccountName: The ServiceAccount the pod runs as. Defaults to "default".
  serviceAccount: Deprecated alias of serviceAccountName.
  nodeName: The node the pod runs on. Normally set by the scheduler; setting it yourself bypasses scheduling.
  hostNetwork: Use the node's network namespace instead of a pod network.
  hostPID: Use the node's process namespace.
  hostIPC: Use the node's IPC namespace.
  securityContext: Security settings for all containers of the pod.
  imagePullSecrets: Secrets in the pod's namespace holding registry credentials for pulling images.
  hostname: The pod's hostname. Defaults to the pod name.
  subdomain: Makes the pod resolvable as <hostname>.<subdomain>.<namespace>.svc.<cluster domain>.
  affinity: Node and pod affinity and anti-affinity rules for scheduling.
  schedulerName: The scheduler that places this pod. Defaults to the default scheduler.
  tolerations: Taints this pod tolerates.
  hostAliases: Extra entries for the pod's /etc/hosts.
  priorityClassName: The PriorityClass that sets this pod's priority.
  priority: The pod's priority, filled in from priorityClassName.
  dnsConfig: DNS settings merged with those chosen by dnsPolicy.
  enableServiceLinks: Inject environment variables describing Services. Defaults to true.
  topologySpreadConstraints: How pods of a group are spread across zones, nodes or other topology domains.
  ephemeralContainers: Debugging containers added to a running pod. Set through the ephemeralcontainers subresource.
  automountServiceAccountToken: Whether a service account token is mounted automatically.
  os: The operating system the containers need.
core.PodTemplateSpec: A template that pods are created from.
  metadata: Metadata for the created pods, typically labels that the owning controller selects.
  spec: The spec of the created pods.
core.Container: A container to run in a pod.
  name: The container's name, unique within the pod (a DNS label). Cannot be changed.
  image: The container image to run, e.g. nginx:1.26.
  command: The entrypoint, run without a shell. Replaces the image's ENTRYPOINT. $(VAR) references are expanded from the container's environment.
  args: Arguments to the entrypoint. Replace the image's CMD. $(VAR) references are expanded.
  workingDir: The working directory. Defaults to the image's.
  ports: Ports the container listens on. Informational, except that named ports can be referenced elsewhere.
  env: Environment variables to set.
  envFrom: Sources (ConfigMaps, Secrets) whose keys all become environment variables.
  resources: CPU and memory this container requests and is limited to.
  volumeMounts: Pod volumes to mount into the container's filesystem.
  livenessProbe: A check of whether the container is alive; it is restarted when the check fails.
  readinessProbe: A check of whether the container can serve; the pod leaves Service endpoints while it fails.
  startupProbe: A check that must succeed before the other probes start; for slow-starting containers.
  lifecycle: Actions run after the container starts and before it stops.
  imagePullPolicy: When to pull the image: "Always", "IfNotPresent" or "Never". Defaults to Always for :latest images, IfNotPresent otherwise.
  securityContext: Security settings for this container; they override the pod's.
  stdin: Keep a stdin buffer open for the container.
  tty: Allocate a terminal for the container (needs stdin).
  terminationMessagePath: File whose contents become the termination message. Defaults to /dev/termination-log.
  terminationMessagePolicy: "File" (default) or "FallbackToLogsOnError", which uses the log tail when the file is empty.
  restartPolicy: Only for init containers: "Always" turns it into a sidecar that runs for the pod's whole life.
core.ContainerPort: A network port of a container.
  containerPort: The port number inside the container, 1 to 65535.
  name: An IANA service name (a DNS label) that Services and probes can refer to.
  protocol: "TCP" (default), "UDP" or "SCTP".
  hostPort: Expose the port on this port of the node. Rarely needed.
  hostIP: The node IP the host port binds to.
core.EnvVar: An environment variable of a container.
  name: The variable name.
  value: The value. $(VAR) references to earlier variables are expanded; $$ escapes a $.
  valueFrom: Takes the value from a ConfigMap, Secret, field of the pod or resource of the container instead.
core.EnvVarSource: Where an environment variable takes its value from.
  fieldRef: A field of the pod, e.g. metadata.name or status.podIP.
  resourceFieldRef: A resource request or limit of a container.
  configMapKeyRef: A key of a ConfigMap.
  secretKeyRef: A key of a Secret.
core.Volume: A named volume that containers of the pod can mount. Exactly one source (emptyDir, configMap, secret, persistentVolumeClaim, hostPath and others) is set.
  name: The volume's name, unique within the pod; volumeMounts refer to it.
  emptyDir: A fresh empty directory that lives as long as the pod.
  hostPath: A file or directory of the node. Use with care.
  configMap: The keys of a ConfigMap, as files.
  secret: The keys of a Secret, as files.
  persistentVolumeClaim: The volume bound to a PersistentVolumeClaim in the pod's namespace.
  projected: Several sources (secrets, configMaps, downwardAPI, service account tokens) merged into one directory.
  downwardAPI: Information about the pod, as files.
  nfs: An NFS export.
  csi: A volume provided by a CSI driver.
  ephemeral: A volume provisioned for this pod only, from a claim template.
  image: The contents of an OCI image or artifact, read-only.
core.VolumeMount: Where a pod volume appears in a container.
  name: The volume to mount, by name.
  mountPath: The path inside the container. Must not contain ":".
  subPath: Mount this path inside the volume instead of its root.
  subPathExpr: Like subPath, with $(VAR) references expanded from the container environment.
  readOnly: Mount read-only. Defaults to false.
  mountPropagation: How mounts propagate between host and container. Defaults to None.
  recursiveReadOnly: Whether read-only mounts are made read-only recursively.
core.Probe: A health check run against a container. Exactly one of exec, httpGet, tcpSocket or grpc is set.
  exec: Run a command in the container; exit status 0 is success.
  httpGet: Send an HTTP GET; a status from 200 to 399 is success.
  tcpSocket: Open a TCP connection; connecting is success.
  grpc: Call the gRPC health checking service.
  initialDelaySeconds: Seconds after the container starts before the first check.
  timeoutSeconds: Seconds before a check times out. Defaults to 1.
  periodSeconds: Seconds between checks. Defaults to 10.
  successThreshold: Consecutive successes needed after a failure. Defaults to 1 (and must be 1 for liveness and startup).
  failureThreshold: Consecutive failures before the probe counts as failed. Defaults to 3.
  terminationGracePeriodSeconds: Grace period used when a failed probe kills the container; overrides the pod's.
core.HTTPGetAction: An HTTP GET request used as a check.
  path: The request path.
  port: The port, as a number or a named container port.
  host: Host to connect to. Defaults to the pod IP.
  scheme: "HTTP" (default) or "HTTPS".
  httpHeaders: Extra request headers.
core.ResourceRequirements: Compute resources a container requests and is limited to.
  limits: The most the container may use, e.g. {cpu: 500m, memory: 128Mi}.
  requests: What the scheduler reserves for the container. Defaults to the limits when only those are set.
  claims: Dynamically allocated resources (from spec.resourceClaims) this container uses.
core.Service: A Service gives a set of pods one stable virtual IP and DNS name, and balances connections across them.
  spec: The desired behaviour: ports, selector and type.
  status: The most recently observed state, such as load balancer addresses.
core.ServiceSpec: The desired behaviour of a Service.
  ports: The ports the Service exposes.
  selector: Pods with these labels receive the traffic. Without a selector, endpoints are managed by hand.
  clusterIP: The virtual IP, usually assigned by the server. "None" makes a headless Service. Cannot be changed.
  clusterIPs: The virtual IPs, one per IP family; the first equals clusterIP.
  type: "ClusterIP" (default, reachable inside the cluster), "NodePort" (also on a port of every node), "LoadBalancer" (also through an external load balancer) or "ExternalName" (a DNS alias).
  externalIPs: Extra IPs on which nodes accept traffic for this Service.
  sessionAffinity: "ClientIP" sends each client to the same pod; "None" (default) does not.
  loadBalancerIP: Deprecated: a requested load balancer IP.
  loadBalancerSourceRanges: Client CIDRs the load balancer accepts.
  externalName: For type ExternalName: the DNS name the Service aliases.
  externalTrafficPolicy: "Cluster" (default) or "Local" (keep the client IP and only use pods on the receiving node).
  internalTrafficPolicy: "Cluster" (default) or "Local" for traffic from inside the cluster.
  ipFamilies: The IP families (IPv4, IPv6) of the Service.
  ipFamilyPolicy: "SingleStack", "PreferDualStack" or "RequireDualStack".
  publishNotReadyAddresses: Publish endpoints of pods that are not ready.
  healthCheckNodePort: Node port for load balancer health checks with externalTrafficPolicy Local.
core.ServicePort: A port a Service exposes.
  name: The port's name; required when there are several ports.
  protocol: "TCP" (default), "UDP" or "SCTP".
  port: The port the Service listens on.
  targetPort: The pod port traffic goes to: a number or a named container port. Defaults to port.
  nodePort: For NodePort and LoadBalancer Services: the port on every node. Assigned when left out.
  appProtocol: The application protocol, e.g. http or kubernetes.io/h2c.
core.ConfigMap: A ConfigMap holds non-secret configuration as key/value pairs, for pods to read as files or environment variables.
  data: UTF-8 string values by key.
  binaryData: Binary values by key, base64-encoded in JSON. Keys must not repeat those of data.
  immutable: When true, the data can no longer be changed.
core.Secret: A Secret holds sensitive values such as passwords, tokens or keys.
  data: Values by key, base64-encoded in JSON.
  stringData: Write-only convenience: plain string values, merged into data on write.
  type: What the secret holds, e.g. Opaque (default), kubernetes.io/tls or kubernetes.io/dockerconfigjson.
  immutable: When true, the data can no longer be changed.
core.Namespace: A Namespace is a scope for names; most objects live in one.
  spec: The desired state, e.g. finalizers.
  status: The observed state: Active or Terminating.
core.Node: A Node is a machine that runs pods.
  spec: How the node is configured: pod CIDR, taints, unschedulable.
  status: The observed state: capacity, conditions, addresses and system information.
meta.ObjectMeta: Metadata every persisted object has.
  name: The object's name, unique within its namespace and kind. Cannot be changed.
  generateName: A prefix the server completes with random characters when name is empty.
  namespace: The namespace the object lives in. Empty for cluster-scoped objects.
  uid: A unique ID the server assigns. Read-only.
  resourceVersion: An opaque version the server changes on each write; used for optimistic concurrency and watches. Read-only.
  generation: A sequence number of changes to the desired state. Read-only.
  creationTimestamp: When the object was created (UTC). Read-only.
  deletionTimestamp: When the object will be deleted; set when deletion is requested. Read-only.
  deletionGracePeriodSeconds: Seconds the object gets to terminate gracefully. Read-only.
  labels: Key/value pairs used to organise and select objects.
  annotations: Key/value pairs for tools and users; not used for selection.
  ownerReferences: Objects this one depends on; it is garbage collected when they are all gone.
  finalizers: Keys that must be removed before the object is deleted.
  managedFields: Which manager owns which fields, for server-side apply.
  selfLink: Deprecated and no longer set.
meta.LabelSelector: A label query. The requirements of matchLabels and matchExpressions are ANDed; an empty selector matches everything.
  matchLabels: Labels that must have exactly these values.
  matchExpressions: Requirements with operators In, NotIn, Exists and DoesNotExist.
batch.Job: A Job runs pods until a number of them complete successfully.
  spec: The desired behaviour: pod template, completions, parallelism and failure handling.
  status: The most recently observed state.
batch.JobSpec: The desired behaviour of a Job.
  parallelism: How many pods may run at once. Defaults to 1.
  completions: How many successful pods finish the Job. Defaults to 1; unset means any success finishes it.
  activeDeadlineSeconds: How long the Job may run before it is terminated and marked failed.
  backoffLimit: Retries before the Job is marked failed. Defaults to 6.
  selector: Label query over the Job's pods. Normally generated by the server.
  manualSelector: Set to true to supply your own selector.
  template: The pod template. Its restartPolicy must be "Never" or "OnFailure".
  ttlSecondsAfterFinished: Delete the Job this many seconds after it finishes.
  completionMode: "NonIndexed" (default) or "Indexed" (each pod gets a completion index).
  suspend: When true, no pods are created, and running ones are stopped.
batch.CronJob: A CronJob creates Jobs on a schedule.
  spec: The schedule and the Job template.
  status: The most recently observed state.
batch.CronJobSpec
  schedule: The schedule, in cron format.
  timeZone: Time zone for the schedule, e.g. Europe/Berlin. Defaults to the controller's.
  startingDeadlineSeconds: How late a missed run may still start.
  concurrencyPolicy: "Allow" (default), "Forbid" or "Replace" concurrent runs.
  suspend: When true, no new runs start.
  jobTemplate: The Job to create on each run.
  successfulJobsHistoryLimit: Finished successful Jobs to keep. Defaults to 3.
  failedJobsHistoryLimit: Failed Jobs to keep. Defaults to 1.
networking.Ingress: An Ingress routes external HTTP(S) traffic to Services by host and path.
  spec: The routing rules, TLS settings and ingress class.
  status: The observed state, such as load balancer addresses.
networking.IngressSpec
  ingressClassName: The IngressClass (controller) that implements this Ingress.
  defaultBackend: Where requests that match no rule go.
  tls: TLS settings per set of hosts.
  rules: Host and path rules. Requests matching none go to the default backend.
networking.IngressRule
  host: The host name this rule applies to; a leading "*." matches one label. Empty matches every host.
  http: Path rules for this host.
networking.HTTPIngressPath
  path: The path to match; must start with "/".
  pathType: "Exact", "Prefix" or "ImplementationSpecific".
  backend: Where matching requests go.
core.PersistentVolumeClaim: A PersistentVolumeClaim asks for storage; a matching PersistentVolume is bound to it.
  spec: The requested size, access modes and storage class.
  status: The observed state of the claim.
`;

/**
 * Splits description text into `{ typeName: { '': typeDoc, field: doc } }`,
 * with type names expanded through `aliases`.
 */
export function parseDescriptions(text: string, aliases: Record<string, string>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const colon = line.indexOf(': ');
    const key = (colon < 0 ? line : line.slice(0, colon)).trim();
    const doc = colon < 0 ? '' : line.slice(colon + 2);
    if (line.startsWith(' ')) {
      if (!current) throw new Error(`descriptions: field before any type: ${line}`);
      current[key] = doc;
      continue;
    }
    const dot = key.indexOf('.');
    const prefix = aliases[key.slice(0, dot)];
    if (!prefix) throw new Error(`descriptions: unknown package in ${key}`);
    current = out[`${prefix}.${key.slice(dot + 1)}`] = {};
    if (doc) current[''] = doc;
  }
  return out;
}
