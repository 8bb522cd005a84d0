/**
 * The types bramble serves, one entry per group version, in the text format
 * of `dsl.ts`. These are facts about the upstream types at Kubernetes 1.32
 * (k8s.io/api and k8s.io/apimachinery v0.32.4): JSON names, protobuf numbers,
 * Go pointer-ness, patch and list markers, enum values and OpenAPI defaults,
 * gathered from the upstream definitions by a one-off script.
 *
 * One module rather than one per group version: each module costs the
 * loader about a millisecond, and this loads on every server start.
 */
import type { SchemaText } from './dsl.ts';

export const schemaTexts: SchemaText[] = [
  // meta/v1 (k8s.io/apimachinery v0.32.4)
  {
    prefix: 'io.k8s.apimachinery.pkg.apis.meta.v1',
    text: `
APIResource
  name 1 string req def=""
  singularName 6 string req def=""
  namespaced 2 bool req def=false
  group 8 string
  version 9 string
  kind 3 string req def=""
  verbs 4 []string req
  shortNames 5 []string list=atomic
  categories 7 []string list=atomic
  storageVersionHash 10 string
APIResourceList kind=v1
  apiVersion 0 string
  kind 0 string
  groupVersion 1 string req def=""
  resources 2 []APIResource req list=atomic
Condition
  type 1 string req def=""
  status 2 string req def=""
  observedGeneration 3 int64
  lastTransitionTime 4 Time req
  reason 5 string req def=""
  message 6 string req def=""
DeleteOptions kind=v1*
  apiVersion 0 string
  kind 0 string
  gracePeriodSeconds 1 *int64
  preconditions 2 *Preconditions
  orphanDependents 3 *bool
  propagationPolicy 4 *string
  dryRun 5 []string list=atomic
  ignoreStoreReadErrorWithClusterBreakingPotential 6 *bool
LabelSelector atomic
  matchLabels 1 {}string
  matchExpressions 2 []LabelSelectorRequirement list=atomic
LabelSelectorRequirement
  key 1 string req def=""
  operator 2 string req def=""
  values 3 []string list=atomic
ListMeta
  selfLink 1 string
  resourceVersion 2 string
  continue 3 string
  remainingItemCount 4 *int64
ManagedFieldsEntry
  manager 1 string
  operation 2 string
  apiVersion 3 string
  time 4 *Time
  fieldsType 6 string
  fieldsV1 7 *FieldsV1
  subresource 8 string
ObjectMeta
  name 1 string
  generateName 2 string
  namespace 3 string
  selfLink 4 string
  uid 5 string
  resourceVersion 6 string
  generation 7 int64
  creationTimestamp 8 Time
  deletionTimestamp 9 *Time
  deletionGracePeriodSeconds 10 *int64
  labels 11 {}string
  annotations 12 {}string
  ownerReferences 13 []OwnerReference smp=merge:uid list=map:uid
  finalizers 14 []string smp=merge list=set
  managedFields 17 []ManagedFieldsEntry list=atomic
OwnerReference atomic
  apiVersion 5 string req def=""
  kind 1 string req def=""
  name 3 string req def=""
  uid 4 string req def=""
  controller 6 *bool
  blockOwnerDeletion 7 *bool
Patch
Preconditions
  uid 1 *string
  resourceVersion 2 *string
Status kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 ListMeta def={}
  status 2 string
  message 3 string
  reason 4 string
  details 5 *StatusDetails list=atomic
  code 6 int32
StatusCause
  reason 1 string
  message 2 string
  field 3 string
StatusDetails
  name 1 string
  group 2 string
  kind 3 string
  uid 6 string
  causes 4 []StatusCause list=atomic
  retryAfterSeconds 5 int32
WatchEvent kind=v1*
  type 1 string req def=""
  object 2 RawExtension req
`,
  },
  // core/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.core.v1',
    text: `
AWSElasticBlockStoreVolumeSource
  volumeID 1 string req def=""
  fsType 2 string
  partition 3 int32
  readOnly 4 bool
Affinity
  nodeAffinity 1 *NodeAffinity
  podAffinity 2 *PodAffinity
  podAntiAffinity 3 *PodAntiAffinity
AppArmorProfile union=type:localhostProfile=LocalhostProfile
  type 1 string req enum=Localhost|RuntimeDefault|Unconfined def=""
  localhostProfile 2 *string
AttachedVolume
  name 1 string req def=""
  devicePath 2 string req def=""
AzureDiskVolumeSource
  diskName 1 string req def=""
  diskURI 2 string req def=""
  cachingMode 3 *string enum=None|ReadOnly|ReadWrite def="ReadWrite"
  fsType 4 *string def="ext4"
  readOnly 5 *bool def=false
  kind 6 *string enum=Dedicated|Managed|Shared def="Shared"
AzureFilePersistentVolumeSource
  secretName 1 string req def=""
  shareName 2 string req def=""
  readOnly 3 bool
  secretNamespace 4 *string
AzureFileVolumeSource
  secretName 1 string req def=""
  shareName 2 string req def=""
  readOnly 3 bool
Binding kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  target 2 ObjectReference req def={}
CSIPersistentVolumeSource
  driver 1 string req def=""
  volumeHandle 2 string req def=""
  readOnly 3 bool
  fsType 4 string
  volumeAttributes 5 {}string
  controllerPublishSecretRef 6 *SecretReference
  nodeStageSecretRef 7 *SecretReference
  nodePublishSecretRef 8 *SecretReference
  controllerExpandSecretRef 9 *SecretReference
  nodeExpandSecretRef 10 *SecretReference
CSIVolumeSource
  driver 1 string req def=""
  readOnly 2 *bool
  fsType 3 *string
  volumeAttributes 4 {}string
  nodePublishSecretRef 5 *LocalObjectReference
Capabilities
  add 1 []string list=atomic
  drop 2 []string list=atomic
CephFSPersistentVolumeSource
  monitors 1 []string req list=atomic
  path 2 string
  user 3 string
  secretFile 4 string
  secretRef 5 *SecretReference
  readOnly 6 bool
CephFSVolumeSource
  monitors 1 []string req list=atomic
  path 2 string
  user 3 string
  secretFile 4 string
  secretRef 5 *LocalObjectReference
  readOnly 6 bool
CinderPersistentVolumeSource
  volumeID 1 string req def=""
  fsType 2 string
  readOnly 3 bool
  secretRef 4 *SecretReference
CinderVolumeSource
  volumeID 1 string req def=""
  fsType 2 string
  readOnly 3 bool
  secretRef 4 *LocalObjectReference
ClientIPConfig
  timeoutSeconds 1 *int32
ClusterTrustBundleProjection
  name 1 *string
  signerName 2 *string
  labelSelector 3 *meta.LabelSelector
  optional 5 *bool
  path 4 string req def=""
ConfigMap kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  immutable 4 *bool
  data 2 {}string
  binaryData 3 {}bytes
ConfigMapEnvSource
  +LocalObjectReference 1
  optional 2 *bool
ConfigMapKeySelector atomic
  +LocalObjectReference 1
  key 2 string req def=""
  optional 3 *bool
ConfigMapList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []ConfigMap req
ConfigMapNodeConfigSource
  namespace 1 string req def=""
  name 2 string req def=""
  uid 3 string
  resourceVersion 4 string
  kubeletConfigKey 5 string req def=""
ConfigMapProjection
  +LocalObjectReference 1
  items 2 []KeyToPath list=atomic
  optional 4 *bool
ConfigMapVolumeSource
  +LocalObjectReference 1
  items 2 []KeyToPath list=atomic
  defaultMode 3 *int32
  optional 4 *bool
Container
  name 1 string req def=""
  image 2 string
  command 3 []string list=atomic
  args 4 []string list=atomic
  workingDir 5 string
  ports 6 []ContainerPort smp=merge:containerPort list=map:containerPort,protocol
  envFrom 19 []EnvFromSource list=atomic
  env 7 []EnvVar smp=merge:name list=map:name
  resources 8 ResourceRequirements def={}
  resizePolicy 23 []ContainerResizePolicy list=atomic
  restartPolicy 24 *string
  volumeMounts 9 []VolumeMount smp=merge:mountPath list=map:mountPath
  volumeDevices 21 []VolumeDevice smp=merge:devicePath list=map:devicePath
  livenessProbe 10 *Probe
  readinessProbe 11 *Probe
  startupProbe 22 *Probe
  lifecycle 12 *Lifecycle
  terminationMessagePath 13 string
  terminationMessagePolicy 20 string enum=FallbackToLogsOnError|File
  imagePullPolicy 14 string enum=Always|IfNotPresent|Never
  securityContext 15 *SecurityContext
  stdin 16 bool
  stdinOnce 17 bool
  tty 18 bool
ContainerImage
  names 1 []string list=atomic
  sizeBytes 2 int64
ContainerPort
  name 1 string
  hostPort 2 int32
  containerPort 3 int32 req def=0
  protocol 4 string enum=SCTP|TCP|UDP def="TCP"
  hostIP 5 string
ContainerResizePolicy
  resourceName 1 string req def=""
  restartPolicy 2 string req def=""
ContainerState
  waiting 1 *ContainerStateWaiting
  running 2 *ContainerStateRunning
  terminated 3 *ContainerStateTerminated
ContainerStateRunning
  startedAt 1 Time
ContainerStateTerminated
  exitCode 1 int32 req def=0
  signal 2 int32
  reason 3 string
  message 4 string
  startedAt 5 Time
  finishedAt 6 Time
  containerID 7 string
ContainerStateWaiting
  reason 1 string
  message 2 string
ContainerStatus
  name 1 string req def=""
  state 2 ContainerState def={}
  lastState 3 ContainerState def={}
  ready 4 bool req def=false
  restartCount 5 int32 req def=0
  image 6 string req def=""
  imageID 7 string req def=""
  containerID 8 string
  started 9 *bool
  allocatedResources 10 {}Quantity
  resources 11 *ResourceRequirements
  volumeMounts 12 []VolumeMountStatus smp=merge:mountPath list=map:mountPath
  user 13 *ContainerUser
  allocatedResourcesStatus 14 []ResourceStatus smp=merge:name list=map:name
ContainerUser
  linux 1 *LinuxContainerUser
DaemonEndpoint
  Port 1 int32 req def=0
DownwardAPIProjection
  items 1 []DownwardAPIVolumeFile list=atomic
DownwardAPIVolumeFile
  path 1 string req def=""
  fieldRef 2 *ObjectFieldSelector
  resourceFieldRef 3 *ResourceFieldSelector
  mode 4 *int32
DownwardAPIVolumeSource
  items 1 []DownwardAPIVolumeFile list=atomic
  defaultMode 2 *int32
EmptyDirVolumeSource
  medium 1 string
  sizeLimit 2 *Quantity
EndpointAddress atomic
  ip 1 string req def=""
  hostname 3 string
  nodeName 4 *string
  targetRef 2 *ObjectReference
EndpointPort atomic
  name 1 string
  port 2 int32 req def=0
  protocol 3 string enum=SCTP|TCP|UDP
  appProtocol 4 *string
EndpointSubset
  addresses 1 []EndpointAddress list=atomic
  notReadyAddresses 2 []EndpointAddress list=atomic
  ports 3 []EndpointPort list=atomic
Endpoints kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  subsets 2 []EndpointSubset list=atomic
EndpointsList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Endpoints req
EnvFromSource
  prefix 1 string
  configMapRef 2 *ConfigMapEnvSource
  secretRef 3 *SecretEnvSource
EnvVar
  name 1 string req def=""
  value 2 string
  valueFrom 3 *EnvVarSource
EnvVarSource
  fieldRef 1 *ObjectFieldSelector
  resourceFieldRef 2 *ResourceFieldSelector
  configMapKeyRef 3 *ConfigMapKeySelector
  secretKeyRef 4 *SecretKeySelector
EphemeralContainer
  +EphemeralContainerCommon 1
  targetContainerName 2 string
EphemeralContainerCommon
  name 1 string req def=""
  image 2 string
  command 3 []string list=atomic
  args 4 []string list=atomic
  workingDir 5 string
  ports 6 []ContainerPort smp=merge:containerPort list=map:containerPort,protocol
  envFrom 19 []EnvFromSource list=atomic
  env 7 []EnvVar smp=merge:name list=map:name
  resources 8 ResourceRequirements def={}
  resizePolicy 23 []ContainerResizePolicy list=atomic
  restartPolicy 24 *string
  volumeMounts 9 []VolumeMount smp=merge:mountPath list=map:mountPath
  volumeDevices 21 []VolumeDevice smp=merge:devicePath list=map:devicePath
  livenessProbe 10 *Probe
  readinessProbe 11 *Probe
  startupProbe 22 *Probe
  lifecycle 12 *Lifecycle
  terminationMessagePath 13 string
  terminationMessagePolicy 20 string enum=FallbackToLogsOnError|File
  imagePullPolicy 14 string enum=Always|IfNotPresent|Never
  securityContext 15 *SecurityContext
  stdin 16 bool
  stdinOnce 17 bool
  tty 18 bool
EphemeralVolumeSource
  volumeClaimTemplate 1 *PersistentVolumeClaimTemplate
Event kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta req def={}
  involvedObject 2 ObjectReference req def={}
  reason 3 string
  message 4 string
  source 5 EventSource def={}
  firstTimestamp 6 Time
  lastTimestamp 7 Time
  count 8 int32
  type 9 string
  eventTime 10 MicroTime
  series 11 *EventSeries
  action 12 string
  related 13 *ObjectReference
  reportingComponent 14 string def=""
  reportingInstance 15 string def=""
EventList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Event req
EventSeries
  count 1 int32
  lastObservedTime 2 MicroTime
EventSource
  component 1 string
  host 2 string
ExecAction
  command 1 []string list=atomic
FCVolumeSource
  targetWWNs 1 []string list=atomic
  lun 2 *int32
  fsType 3 string
  readOnly 4 bool
  wwids 5 []string list=atomic
FlexPersistentVolumeSource
  driver 1 string req def=""
  fsType 2 string
  secretRef 3 *SecretReference
  readOnly 4 bool
  options 5 {}string
FlexVolumeSource
  driver 1 string req def=""
  fsType 2 string
  secretRef 3 *LocalObjectReference
  readOnly 4 bool
  options 5 {}string
FlockerVolumeSource
  datasetName 1 string
  datasetUUID 2 string
GCEPersistentDiskVolumeSource
  pdName 1 string req def=""
  fsType 2 string
  partition 3 int32
  readOnly 4 bool
GRPCAction
  port 1 int32 req def=0
  service 2 *string def=""
GitRepoVolumeSource
  repository 1 string req def=""
  revision 2 string
  directory 3 string
GlusterfsPersistentVolumeSource
  endpoints 1 string req def=""
  path 2 string req def=""
  readOnly 3 bool
  endpointsNamespace 4 *string
GlusterfsVolumeSource
  endpoints 1 string req def=""
  path 2 string req def=""
  readOnly 3 bool
HTTPGetAction
  path 1 string
  port 2 IntOrString req
  host 3 string
  scheme 4 string enum=HTTP|HTTPS
  httpHeaders 5 []HTTPHeader list=atomic
HTTPHeader
  name 1 string req def=""
  value 2 string req def=""
HostAlias
  ip 1 string req def=""
  hostnames 2 []string list=atomic
HostIP
  ip 1 string req def=""
HostPathVolumeSource
  path 1 string req def=""
  type 2 *string enum=|BlockDevice|CharDevice|Directory|DirectoryOrCreate|File|FileOrCreate|Socket
ISCSIPersistentVolumeSource
  targetPortal 1 string req def=""
  iqn 2 string req def=""
  lun 3 int32 req def=0
  iscsiInterface 4 string def="default"
  fsType 5 string
  readOnly 6 bool
  portals 7 []string list=atomic
  chapAuthDiscovery 8 bool
  chapAuthSession 11 bool
  secretRef 10 *SecretReference
  initiatorName 12 *string
ISCSIVolumeSource
  targetPortal 1 string req def=""
  iqn 2 string req def=""
  lun 3 int32 req def=0
  iscsiInterface 4 string def="default"
  fsType 5 string
  readOnly 6 bool
  portals 7 []string list=atomic
  chapAuthDiscovery 8 bool
  chapAuthSession 11 bool
  secretRef 10 *LocalObjectReference
  initiatorName 12 *string
ImageVolumeSource
  reference 1 string
  pullPolicy 2 string enum=Always|IfNotPresent|Never
KeyToPath
  key 1 string req def=""
  path 2 string req def=""
  mode 3 *int32
Lifecycle
  postStart 1 *LifecycleHandler
  preStop 2 *LifecycleHandler
LifecycleHandler
  exec 1 *ExecAction
  httpGet 2 *HTTPGetAction
  tcpSocket 3 *TCPSocketAction
  sleep 4 *SleepAction
LimitRange kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 LimitRangeSpec def={}
LimitRangeItem
  type 1 string req def=""
  max 2 {}Quantity
  min 3 {}Quantity
  default 4 {}Quantity
  defaultRequest 5 {}Quantity
  maxLimitRequestRatio 6 {}Quantity
LimitRangeList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []LimitRange req
LimitRangeSpec
  limits 1 []LimitRangeItem req list=atomic
LinuxContainerUser
  uid 1 int64 req def=0
  gid 2 int64 req def=0
  supplementalGroups 3 []int64 list=atomic
LoadBalancerIngress
  ip 1 string
  hostname 2 string
  ipMode 3 *string
  ports 4 []PortStatus list=atomic
LoadBalancerStatus
  ingress 1 []LoadBalancerIngress list=atomic
LocalObjectReference atomic
  name 1 string def=""
LocalVolumeSource
  path 1 string req def=""
  fsType 2 *string
ModifyVolumeStatus
  targetVolumeAttributesClassName 1 string
  status 2 string req enum=InProgress|Infeasible|Pending def=""
NFSVolumeSource
  server 1 string req def=""
  path 2 string req def=""
  readOnly 3 bool
Namespace kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 NamespaceSpec def={}
  status 3 NamespaceStatus def={}
NamespaceCondition
  type 1 string req def=""
  status 2 string req def=""
  lastTransitionTime 4 Time
  reason 5 string
  message 6 string
NamespaceList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Namespace req
NamespaceSpec
  finalizers 1 []string list=atomic
NamespaceStatus
  phase 1 string enum=Active|Terminating
  conditions 2 []NamespaceCondition smp=merge:type list=map:type
Node kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 NodeSpec def={}
  status 3 NodeStatus def={}
NodeAddress
  type 1 string req def=""
  address 2 string req def=""
NodeAffinity
  requiredDuringSchedulingIgnoredDuringExecution 1 *NodeSelector
  preferredDuringSchedulingIgnoredDuringExecution 2 []PreferredSchedulingTerm list=atomic
NodeCondition
  type 1 string req def=""
  status 2 string req def=""
  lastHeartbeatTime 3 Time
  lastTransitionTime 4 Time
  reason 5 string
  message 6 string
NodeConfigSource
  configMap 2 *ConfigMapNodeConfigSource
NodeConfigStatus
  assigned 1 *NodeConfigSource
  active 2 *NodeConfigSource
  lastKnownGood 3 *NodeConfigSource
  error 4 string
NodeDaemonEndpoints
  kubeletEndpoint 1 DaemonEndpoint def={}
NodeFeatures
  supplementalGroupsPolicy 1 *bool
NodeList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Node req
NodeRuntimeHandler
  name 1 string def=""
  features 2 *NodeRuntimeHandlerFeatures
NodeRuntimeHandlerFeatures
  recursiveReadOnlyMounts 1 *bool
  userNamespaces 2 *bool
NodeSelector atomic
  nodeSelectorTerms 1 []NodeSelectorTerm req list=atomic
NodeSelectorRequirement
  key 1 string req def=""
  operator 2 string req enum=DoesNotExist|Exists|Gt|In|Lt|NotIn def=""
  values 3 []string list=atomic
NodeSelectorTerm atomic
  matchExpressions 1 []NodeSelectorRequirement list=atomic
  matchFields 2 []NodeSelectorRequirement list=atomic
NodeSpec
  podCIDR 1 string
  podCIDRs 7 []string smp=merge list=set
  providerID 3 string
  unschedulable 4 bool
  taints 5 []Taint list=atomic
  configSource 6 *NodeConfigSource
  externalID 2 string
NodeStatus
  capacity 1 {}Quantity
  allocatable 2 {}Quantity
  phase 3 string enum=Pending|Running|Terminated
  conditions 4 []NodeCondition smp=merge:type list=map:type
  addresses 5 []NodeAddress smp=merge:type list=map:type
  daemonEndpoints 6 NodeDaemonEndpoints def={}
  nodeInfo 7 NodeSystemInfo def={}
  images 8 []ContainerImage list=atomic
  volumesInUse 9 []string list=atomic
  volumesAttached 10 []AttachedVolume list=atomic
  config 11 *NodeConfigStatus
  runtimeHandlers 12 []NodeRuntimeHandler list=atomic
  features 13 *NodeFeatures
NodeSystemInfo
  machineID 1 string req def=""
  systemUUID 2 string req def=""
  bootID 3 string req def=""
  kernelVersion 4 string req def=""
  osImage 5 string req def=""
  containerRuntimeVersion 6 string req def=""
  kubeletVersion 7 string req def=""
  kubeProxyVersion 8 string req def=""
  operatingSystem 9 string req def=""
  architecture 10 string req def=""
ObjectFieldSelector atomic
  apiVersion 1 string
  fieldPath 2 string req def=""
ObjectReference atomic
  kind 1 string
  namespace 2 string
  name 3 string
  uid 4 string
  apiVersion 5 string
  resourceVersion 6 string
  fieldPath 7 string
PersistentVolume kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 PersistentVolumeSpec def={}
  status 3 PersistentVolumeStatus def={}
PersistentVolumeClaim kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 PersistentVolumeClaimSpec def={}
  status 3 PersistentVolumeClaimStatus def={}
PersistentVolumeClaimCondition
  type 1 string req def=""
  status 2 string req def=""
  lastProbeTime 3 Time
  lastTransitionTime 4 Time
  reason 5 string
  message 6 string
PersistentVolumeClaimList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []PersistentVolumeClaim req
PersistentVolumeClaimSpec
  accessModes 1 []string list=atomic enum=ReadOnlyMany|ReadWriteMany|ReadWriteOnce|ReadWriteOncePod
  selector 4 *meta.LabelSelector
  resources 2 VolumeResourceRequirements def={}
  volumeName 3 string
  storageClassName 5 *string
  volumeMode 6 *string enum=Block|Filesystem
  dataSource 7 *TypedLocalObjectReference
  dataSourceRef 8 *TypedObjectReference
  volumeAttributesClassName 9 *string
PersistentVolumeClaimStatus
  phase 1 string enum=Bound|Lost|Pending
  accessModes 2 []string list=atomic enum=ReadOnlyMany|ReadWriteMany|ReadWriteOnce|ReadWriteOncePod
  capacity 3 {}Quantity
  conditions 4 []PersistentVolumeClaimCondition smp=merge:type list=map:type
  allocatedResources 5 {}Quantity
  allocatedResourceStatuses 7 {}string map=granular enum=ControllerResizeInProgress|ControllerResizeInfeasible|NodeResizeInProgress|NodeResizeInfeasible|NodeResizePending
  currentVolumeAttributesClassName 8 *string
  modifyVolumeStatus 9 *ModifyVolumeStatus
PersistentVolumeClaimTemplate
  metadata 1 meta.ObjectMeta def={}
  spec 2 PersistentVolumeClaimSpec req def={}
PersistentVolumeClaimVolumeSource
  claimName 1 string req def=""
  readOnly 2 bool
PersistentVolumeList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []PersistentVolume req
PersistentVolumeSource
  gcePersistentDisk 1 *GCEPersistentDiskVolumeSource
  awsElasticBlockStore 2 *AWSElasticBlockStoreVolumeSource
  hostPath 3 *HostPathVolumeSource
  glusterfs 4 *GlusterfsPersistentVolumeSource
  nfs 5 *NFSVolumeSource
  rbd 6 *RBDPersistentVolumeSource
  iscsi 7 *ISCSIPersistentVolumeSource
  cinder 8 *CinderPersistentVolumeSource
  cephfs 9 *CephFSPersistentVolumeSource
  fc 10 *FCVolumeSource
  flocker 11 *FlockerVolumeSource
  flexVolume 12 *FlexPersistentVolumeSource
  azureFile 13 *AzureFilePersistentVolumeSource
  vsphereVolume 14 *VsphereVirtualDiskVolumeSource
  quobyte 15 *QuobyteVolumeSource
  azureDisk 16 *AzureDiskVolumeSource
  photonPersistentDisk 17 *PhotonPersistentDiskVolumeSource
  portworxVolume 18 *PortworxVolumeSource
  scaleIO 19 *ScaleIOPersistentVolumeSource
  local 20 *LocalVolumeSource
  storageos 21 *StorageOSPersistentVolumeSource
  csi 22 *CSIPersistentVolumeSource
PersistentVolumeSpec
  capacity 1 {}Quantity
  +PersistentVolumeSource 2
  accessModes 3 []string list=atomic enum=ReadOnlyMany|ReadWriteMany|ReadWriteOnce|ReadWriteOncePod
  claimRef 4 *ObjectReference map=granular
  persistentVolumeReclaimPolicy 5 string enum=Delete|Recycle|Retain
  storageClassName 6 string
  mountOptions 7 []string list=atomic
  volumeMode 8 *string enum=Block|Filesystem
  nodeAffinity 9 *VolumeNodeAffinity
  volumeAttributesClassName 10 *string
PersistentVolumeStatus
  phase 1 string enum=Available|Bound|Failed|Pending|Released
  message 2 string
  reason 3 string
  lastPhaseTransitionTime 4 *Time
PhotonPersistentDiskVolumeSource
  pdID 1 string req def=""
  fsType 2 string
Pod kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 PodSpec def={}
  status 3 PodStatus def={}
PodAffinity
  requiredDuringSchedulingIgnoredDuringExecution 1 []PodAffinityTerm list=atomic
  preferredDuringSchedulingIgnoredDuringExecution 2 []WeightedPodAffinityTerm list=atomic
PodAffinityTerm
  labelSelector 1 *meta.LabelSelector
  namespaces 2 []string list=atomic
  topologyKey 3 string req def=""
  namespaceSelector 4 *meta.LabelSelector
  matchLabelKeys 5 []string list=atomic
  mismatchLabelKeys 6 []string list=atomic
PodAntiAffinity
  requiredDuringSchedulingIgnoredDuringExecution 1 []PodAffinityTerm list=atomic
  preferredDuringSchedulingIgnoredDuringExecution 2 []WeightedPodAffinityTerm list=atomic
PodCondition
  type 1 string req def=""
  status 2 string req def=""
  lastProbeTime 3 Time
  lastTransitionTime 4 Time
  reason 5 string
  message 6 string
PodDNSConfig
  nameservers 1 []string list=atomic
  searches 2 []string list=atomic
  options 3 []PodDNSConfigOption list=atomic
PodDNSConfigOption
  name 1 string
  value 2 *string
PodIP
  ip 1 string req def=""
PodList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Pod req
PodOS
  name 1 string req def=""
PodReadinessGate
  conditionType 1 string req def=""
PodResourceClaim
  name 1 string req def=""
  resourceClaimName 3 *string
  resourceClaimTemplateName 4 *string
PodResourceClaimStatus
  name 1 string req def=""
  resourceClaimName 2 *string
PodSchedulingGate
  name 1 string req def=""
PodSecurityContext
  seLinuxOptions 1 *SELinuxOptions
  windowsOptions 8 *WindowsSecurityContextOptions
  runAsUser 2 *int64
  runAsGroup 6 *int64
  runAsNonRoot 3 *bool
  supplementalGroups 4 []int64 list=atomic
  supplementalGroupsPolicy 12 *string enum=Merge|Strict
  fsGroup 5 *int64
  sysctls 7 []Sysctl list=atomic
  fsGroupChangePolicy 9 *string enum=Always|OnRootMismatch
  seccompProfile 10 *SeccompProfile
  appArmorProfile 11 *AppArmorProfile
  seLinuxChangePolicy 13 *string
PodSpec
  volumes 1 []Volume smp=merge,retainKeys:name list=map:name
  initContainers 20 []Container smp=merge:name list=map:name
  containers 2 []Container req smp=merge:name list=map:name
  ephemeralContainers 34 []EphemeralContainer smp=merge:name list=map:name
  restartPolicy 3 string enum=Always|Never|OnFailure
  terminationGracePeriodSeconds 4 *int64
  activeDeadlineSeconds 5 *int64
  dnsPolicy 6 string enum=ClusterFirst|ClusterFirstWithHostNet|Default|None
  nodeSelector 7 {}string map=atomic
  serviceAccountName 8 string
  serviceAccount 9 string
  automountServiceAccountToken 21 *bool
  nodeName 10 string
  hostNetwork 11 bool
  hostPID 12 bool
  hostIPC 13 bool
  shareProcessNamespace 27 *bool
  securityContext 14 *PodSecurityContext
  imagePullSecrets 15 []LocalObjectReference smp=merge:name list=map:name
  hostname 16 string
  subdomain 17 string
  affinity 18 *Affinity
  schedulerName 19 string
  tolerations 22 []Toleration list=atomic
  hostAliases 23 []HostAlias smp=merge:ip list=map:ip
  priorityClassName 24 string
  priority 25 *int32
  dnsConfig 26 *PodDNSConfig
  readinessGates 28 []PodReadinessGate list=atomic
  runtimeClassName 29 *string
  enableServiceLinks 30 *bool
  preemptionPolicy 31 *string enum=Never|PreemptLowerPriority
  overhead 32 {}Quantity
  topologySpreadConstraints 33 []TopologySpreadConstraint smp=merge:topologyKey list=map:topologyKey,whenUnsatisfiable
  setHostnameAsFQDN 35 *bool
  os 36 *PodOS
  hostUsers 37 *bool
  schedulingGates 38 []PodSchedulingGate smp=merge:name list=map:name
  resourceClaims 39 []PodResourceClaim smp=merge,retainKeys:name list=map:name
  resources 40 *ResourceRequirements
PodStatus
  phase 1 string enum=Failed|Pending|Running|Succeeded|Unknown
  conditions 2 []PodCondition smp=merge:type list=map:type
  message 3 string
  reason 4 string
  nominatedNodeName 11 string
  hostIP 5 string
  hostIPs 16 []HostIP smp=merge:ip list=atomic
  podIP 6 string
  podIPs 12 []PodIP smp=merge:ip list=map:ip
  startTime 7 *Time
  initContainerStatuses 10 []ContainerStatus list=atomic
  containerStatuses 8 []ContainerStatus list=atomic
  qosClass 9 string enum=BestEffort|Burstable|Guaranteed
  ephemeralContainerStatuses 13 []ContainerStatus list=atomic
  resize 14 string
  resourceClaimStatuses 15 []PodResourceClaimStatus smp=merge,retainKeys:name list=map:name
PodTemplate kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  template 2 PodTemplateSpec def={}
PodTemplateList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []PodTemplate req
PodTemplateSpec
  metadata 1 meta.ObjectMeta def={}
  spec 2 PodSpec def={}
PortStatus
  port 1 int32 req def=0
  protocol 2 string req enum=SCTP|TCP|UDP def=""
  error 3 *string
PortworxVolumeSource
  volumeID 1 string req def=""
  fsType 2 string
  readOnly 3 bool
PreferredSchedulingTerm
  weight 1 int32 req def=0
  preference 2 NodeSelectorTerm req def={}
Probe
  +ProbeHandler 1
  initialDelaySeconds 2 int32
  timeoutSeconds 3 int32
  periodSeconds 4 int32
  successThreshold 5 int32
  failureThreshold 6 int32
  terminationGracePeriodSeconds 7 *int64
ProbeHandler
  exec 1 *ExecAction
  httpGet 2 *HTTPGetAction
  tcpSocket 3 *TCPSocketAction
  grpc 4 *GRPCAction
ProjectedVolumeSource
  sources 1 []VolumeProjection list=atomic
  defaultMode 2 *int32
QuobyteVolumeSource
  registry 1 string req def=""
  volume 2 string req def=""
  readOnly 3 bool
  user 4 string
  group 5 string
  tenant 6 string
RBDPersistentVolumeSource
  monitors 1 []string req list=atomic
  image 2 string req def=""
  fsType 3 string
  pool 4 string def="rbd"
  user 5 string def="admin"
  keyring 6 string def="/etc/ceph/keyring"
  secretRef 7 *SecretReference
  readOnly 8 bool
RBDVolumeSource
  monitors 1 []string req list=atomic
  image 2 string req def=""
  fsType 3 string
  pool 4 string def="rbd"
  user 5 string def="admin"
  keyring 6 string def="/etc/ceph/keyring"
  secretRef 7 *LocalObjectReference
  readOnly 8 bool
ResourceClaim
  name 1 string req def=""
  request 2 string
ResourceFieldSelector atomic
  containerName 1 string
  resource 2 string req def=""
  divisor 3 Quantity
ResourceHealth
  resourceID 1 string req def=""
  health 2 string
ResourceQuota kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 ResourceQuotaSpec def={}
  status 3 ResourceQuotaStatus def={}
ResourceQuotaList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []ResourceQuota req
ResourceQuotaSpec
  hard 1 {}Quantity
  scopes 2 []string list=atomic enum=BestEffort|CrossNamespacePodAffinity|NotBestEffort|NotTerminating|PriorityClass|Terminating
  scopeSelector 3 *ScopeSelector
ResourceQuotaStatus
  hard 1 {}Quantity
  used 2 {}Quantity
ResourceRequirements
  limits 1 {}Quantity
  requests 2 {}Quantity
  claims 3 []ResourceClaim list=map:name
ResourceStatus
  name 1 string req def=""
  resources 2 []ResourceHealth list=map:resourceID
SELinuxOptions
  user 1 string
  role 2 string
  type 3 string
  level 4 string
ScaleIOPersistentVolumeSource
  gateway 1 string req def=""
  system 2 string req def=""
  secretRef 3 *SecretReference req
  sslEnabled 4 bool
  protectionDomain 5 string
  storagePool 6 string
  storageMode 7 string def="ThinProvisioned"
  volumeName 8 string
  fsType 9 string def="xfs"
  readOnly 10 bool
ScaleIOVolumeSource
  gateway 1 string req def=""
  system 2 string req def=""
  secretRef 3 *LocalObjectReference req
  sslEnabled 4 bool
  protectionDomain 5 string
  storagePool 6 string
  storageMode 7 string def="ThinProvisioned"
  volumeName 8 string
  fsType 9 string def="xfs"
  readOnly 10 bool
ScopeSelector atomic
  matchExpressions 1 []ScopedResourceSelectorRequirement list=atomic
ScopedResourceSelectorRequirement
  scopeName 1 string req enum=BestEffort|CrossNamespacePodAffinity|NotBestEffort|NotTerminating|PriorityClass|Terminating def=""
  operator 2 string req enum=DoesNotExist|Exists|In|NotIn def=""
  values 3 []string list=atomic
SeccompProfile union=type:localhostProfile=LocalhostProfile
  type 1 string req enum=Localhost|RuntimeDefault|Unconfined def=""
  localhostProfile 2 *string
Secret kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  immutable 5 *bool
  data 2 {}bytes
  stringData 4 {}string
  type 3 string
SecretEnvSource
  +LocalObjectReference 1
  optional 2 *bool
SecretKeySelector atomic
  +LocalObjectReference 1
  key 2 string req def=""
  optional 3 *bool
SecretList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Secret req
SecretProjection
  +LocalObjectReference 1
  items 2 []KeyToPath list=atomic
  optional 4 *bool
SecretReference atomic
  name 1 string
  namespace 2 string
SecretVolumeSource
  secretName 1 string
  items 2 []KeyToPath list=atomic
  defaultMode 3 *int32
  optional 4 *bool
SecurityContext
  capabilities 1 *Capabilities
  privileged 2 *bool
  seLinuxOptions 3 *SELinuxOptions
  windowsOptions 10 *WindowsSecurityContextOptions
  runAsUser 4 *int64
  runAsGroup 8 *int64
  runAsNonRoot 5 *bool
  readOnlyRootFilesystem 6 *bool
  allowPrivilegeEscalation 7 *bool
  procMount 9 *string enum=Default|Unmasked
  seccompProfile 11 *SeccompProfile
  appArmorProfile 12 *AppArmorProfile
Service kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 ServiceSpec def={}
  status 3 ServiceStatus def={}
ServiceAccount kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  secrets 2 []ObjectReference smp=merge:name list=map:name
  imagePullSecrets 3 []LocalObjectReference list=atomic
  automountServiceAccountToken 4 *bool
ServiceAccountList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []ServiceAccount req
ServiceAccountTokenProjection
  audience 1 string
  expirationSeconds 2 *int64
  path 3 string req def=""
ServiceList kind=v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Service req
ServicePort
  name 1 string
  protocol 2 string enum=SCTP|TCP|UDP def="TCP"
  appProtocol 6 *string
  port 3 int32 req def=0
  targetPort 4 IntOrString
  nodePort 5 int32
ServiceSpec
  ports 1 []ServicePort smp=merge:port list=map:port,protocol
  selector 2 {}string map=atomic
  clusterIP 3 string
  clusterIPs 18 []string list=atomic
  type 4 string enum=ClusterIP|ExternalName|LoadBalancer|NodePort
  externalIPs 5 []string list=atomic
  sessionAffinity 7 string enum=ClientIP|None
  loadBalancerIP 8 string
  loadBalancerSourceRanges 9 []string list=atomic
  externalName 10 string
  externalTrafficPolicy 11 string enum=Cluster|Local
  healthCheckNodePort 12 int32
  publishNotReadyAddresses 13 bool
  sessionAffinityConfig 14 *SessionAffinityConfig
  ipFamilies 19 []string list=atomic enum=|IPv4|IPv6
  ipFamilyPolicy 17 *string enum=PreferDualStack|RequireDualStack|SingleStack
  allocateLoadBalancerNodePorts 20 *bool
  loadBalancerClass 21 *string
  internalTrafficPolicy 22 *string enum=Cluster|Local
  trafficDistribution 23 *string
ServiceStatus
  loadBalancer 1 LoadBalancerStatus def={}
  conditions 2 []meta.Condition smp=merge:type list=map:type
SessionAffinityConfig
  clientIP 1 *ClientIPConfig
SleepAction
  seconds 1 int64 req def=0
StorageOSPersistentVolumeSource
  volumeName 1 string
  volumeNamespace 2 string
  fsType 3 string
  readOnly 4 bool
  secretRef 5 *ObjectReference
StorageOSVolumeSource
  volumeName 1 string
  volumeNamespace 2 string
  fsType 3 string
  readOnly 4 bool
  secretRef 5 *LocalObjectReference
Sysctl
  name 1 string req def=""
  value 2 string req def=""
TCPSocketAction
  port 1 IntOrString req
  host 2 string
Taint
  key 1 string req def=""
  value 2 string
  effect 3 string req enum=NoExecute|NoSchedule|PreferNoSchedule def=""
  timeAdded 4 *Time
Toleration
  key 1 string
  operator 2 string enum=Equal|Exists
  value 3 string
  effect 4 string enum=NoExecute|NoSchedule|PreferNoSchedule
  tolerationSeconds 5 *int64
TopologySelectorLabelRequirement
  key 1 string req def=""
  values 2 []string req list=atomic
TopologySelectorTerm atomic
  matchLabelExpressions 1 []TopologySelectorLabelRequirement list=atomic
TopologySpreadConstraint
  maxSkew 1 int32 req def=0
  topologyKey 2 string req def=""
  whenUnsatisfiable 3 string req enum=DoNotSchedule|ScheduleAnyway def=""
  labelSelector 4 *meta.LabelSelector
  minDomains 5 *int32
  nodeAffinityPolicy 6 *string enum=Honor|Ignore
  nodeTaintsPolicy 7 *string enum=Honor|Ignore
  matchLabelKeys 8 []string list=atomic
TypedLocalObjectReference atomic
  apiGroup 1 *string
  kind 2 string req def=""
  name 3 string req def=""
TypedObjectReference
  apiGroup 1 *string
  kind 2 string req def=""
  name 3 string req def=""
  namespace 4 *string
Volume
  name 1 string req def=""
  +VolumeSource 2
VolumeDevice
  name 1 string req def=""
  devicePath 2 string req def=""
VolumeMount
  name 1 string req def=""
  readOnly 2 bool
  recursiveReadOnly 7 *string
  mountPath 3 string req def=""
  subPath 4 string
  mountPropagation 5 *string enum=Bidirectional|HostToContainer|None
  subPathExpr 6 string
VolumeMountStatus
  name 1 string req def=""
  mountPath 2 string req def=""
  readOnly 3 bool
  recursiveReadOnly 4 *string
VolumeNodeAffinity
  required 1 *NodeSelector
VolumeProjection
  secret 1 *SecretProjection
  downwardAPI 2 *DownwardAPIProjection
  configMap 3 *ConfigMapProjection
  serviceAccountToken 4 *ServiceAccountTokenProjection
  clusterTrustBundle 5 *ClusterTrustBundleProjection
VolumeResourceRequirements
  limits 1 {}Quantity
  requests 2 {}Quantity
VolumeSource
  hostPath 1 *HostPathVolumeSource
  emptyDir 2 *EmptyDirVolumeSource
  gcePersistentDisk 3 *GCEPersistentDiskVolumeSource
  awsElasticBlockStore 4 *AWSElasticBlockStoreVolumeSource
  gitRepo 5 *GitRepoVolumeSource
  secret 6 *SecretVolumeSource
  nfs 7 *NFSVolumeSource
  iscsi 8 *ISCSIVolumeSource
  glusterfs 9 *GlusterfsVolumeSource
  persistentVolumeClaim 10 *PersistentVolumeClaimVolumeSource
  rbd 11 *RBDVolumeSource
  flexVolume 12 *FlexVolumeSource
  cinder 13 *CinderVolumeSource
  cephfs 14 *CephFSVolumeSource
  flocker 15 *FlockerVolumeSource
  downwardAPI 16 *DownwardAPIVolumeSource
  fc 17 *FCVolumeSource
  azureFile 18 *AzureFileVolumeSource
  configMap 19 *ConfigMapVolumeSource
  vsphereVolume 20 *VsphereVirtualDiskVolumeSource
  quobyte 21 *QuobyteVolumeSource
  azureDisk 22 *AzureDiskVolumeSource
  photonPersistentDisk 23 *PhotonPersistentDiskVolumeSource
  projected 26 *ProjectedVolumeSource
  portworxVolume 24 *PortworxVolumeSource
  scaleIO 25 *ScaleIOVolumeSource
  storageos 27 *StorageOSVolumeSource
  csi 28 *CSIVolumeSource
  ephemeral 29 *EphemeralVolumeSource
  image 30 *ImageVolumeSource
VsphereVirtualDiskVolumeSource
  volumePath 1 string req def=""
  fsType 2 string
  storagePolicyName 3 string
  storagePolicyID 4 string
WeightedPodAffinityTerm
  weight 1 int32 req def=0
  podAffinityTerm 2 PodAffinityTerm req def={}
WindowsSecurityContextOptions
  gmsaCredentialSpecName 1 *string
  gmsaCredentialSpec 2 *string
  runAsUserName 3 *string
  hostProcess 4 *bool
`,
  },
  // apps/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.apps.v1',
    text: `
ControllerRevision kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  data 2 RawExtension
  revision 3 int64 req def=0
ControllerRevisionList kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []ControllerRevision req
DaemonSet kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 DaemonSetSpec def={}
  status 3 DaemonSetStatus def={}
DaemonSetCondition
  type 1 string req def=""
  status 2 string req def=""
  lastTransitionTime 3 Time
  reason 4 string
  message 5 string
DaemonSetList kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []DaemonSet req
DaemonSetSpec
  selector 1 *meta.LabelSelector req
  template 2 core.PodTemplateSpec req def={}
  updateStrategy 3 DaemonSetUpdateStrategy def={}
  minReadySeconds 4 int32
  revisionHistoryLimit 6 *int32
DaemonSetStatus
  currentNumberScheduled 1 int32 req def=0
  numberMisscheduled 2 int32 req def=0
  desiredNumberScheduled 3 int32 req def=0
  numberReady 4 int32 req def=0
  observedGeneration 5 int64
  updatedNumberScheduled 6 int32
  numberAvailable 7 int32
  numberUnavailable 8 int32
  collisionCount 9 *int32
  conditions 10 []DaemonSetCondition smp=merge:type list=map:type
DaemonSetUpdateStrategy
  type 1 string enum=OnDelete|RollingUpdate
  rollingUpdate 2 *RollingUpdateDaemonSet
Deployment kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 DeploymentSpec def={}
  status 3 DeploymentStatus def={}
DeploymentCondition
  type 1 string req def=""
  status 2 string req def=""
  lastUpdateTime 6 Time
  lastTransitionTime 7 Time
  reason 4 string
  message 5 string
DeploymentList kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Deployment req
DeploymentSpec
  replicas 1 *int32
  selector 2 *meta.LabelSelector req
  template 3 core.PodTemplateSpec req def={}
  strategy 4 DeploymentStrategy smp=retainKeys def={}
  minReadySeconds 5 int32
  revisionHistoryLimit 6 *int32
  paused 7 bool
  progressDeadlineSeconds 9 *int32
DeploymentStatus
  observedGeneration 1 int64
  replicas 2 int32
  updatedReplicas 3 int32
  readyReplicas 7 int32
  availableReplicas 4 int32
  unavailableReplicas 5 int32
  conditions 6 []DeploymentCondition smp=merge:type list=map:type
  collisionCount 8 *int32
DeploymentStrategy
  type 1 string enum=Recreate|RollingUpdate
  rollingUpdate 2 *RollingUpdateDeployment
ReplicaSet kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 ReplicaSetSpec def={}
  status 3 ReplicaSetStatus def={}
ReplicaSetCondition
  type 1 string req def=""
  status 2 string req def=""
  lastTransitionTime 3 Time
  reason 4 string
  message 5 string
ReplicaSetList kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []ReplicaSet req
ReplicaSetSpec
  replicas 1 *int32
  minReadySeconds 4 int32
  selector 2 *meta.LabelSelector req
  template 3 core.PodTemplateSpec def={}
ReplicaSetStatus
  replicas 1 int32 req def=0
  fullyLabeledReplicas 2 int32
  readyReplicas 4 int32
  availableReplicas 5 int32
  observedGeneration 3 int64
  conditions 6 []ReplicaSetCondition smp=merge:type list=map:type
RollingUpdateDaemonSet
  maxUnavailable 1 *IntOrString
  maxSurge 2 *IntOrString
RollingUpdateDeployment
  maxUnavailable 1 *IntOrString
  maxSurge 2 *IntOrString
RollingUpdateStatefulSetStrategy
  partition 1 *int32
  maxUnavailable 2 *IntOrString
StatefulSet kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 StatefulSetSpec def={}
  status 3 StatefulSetStatus def={}
StatefulSetCondition
  type 1 string req def=""
  status 2 string req def=""
  lastTransitionTime 3 Time
  reason 4 string
  message 5 string
StatefulSetList kind=apps/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []StatefulSet req
StatefulSetOrdinals
  start 1 int32 def=0
StatefulSetPersistentVolumeClaimRetentionPolicy
  whenDeleted 1 string
  whenScaled 2 string
StatefulSetSpec
  replicas 1 *int32
  selector 2 *meta.LabelSelector req
  template 3 core.PodTemplateSpec req def={}
  volumeClaimTemplates 4 []core.PersistentVolumeClaim list=atomic
  serviceName 5 string req def=""
  podManagementPolicy 6 string enum=OrderedReady|Parallel
  updateStrategy 7 StatefulSetUpdateStrategy def={}
  revisionHistoryLimit 8 *int32
  minReadySeconds 9 int32
  persistentVolumeClaimRetentionPolicy 10 *StatefulSetPersistentVolumeClaimRetentionPolicy
  ordinals 11 *StatefulSetOrdinals
StatefulSetStatus
  observedGeneration 1 int64
  replicas 2 int32 req def=0
  readyReplicas 3 int32
  currentReplicas 4 int32
  updatedReplicas 5 int32
  currentRevision 6 string
  updateRevision 7 string
  collisionCount 9 *int32
  conditions 10 []StatefulSetCondition smp=merge:type list=map:type
  availableReplicas 11 int32 def=0
StatefulSetUpdateStrategy
  type 1 string enum=OnDelete|RollingUpdate
  rollingUpdate 2 *RollingUpdateStatefulSetStrategy
`,
  },
  // batch/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.batch.v1',
    text: `
CronJob kind=batch/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 CronJobSpec def={}
  status 3 CronJobStatus def={}
CronJobList kind=batch/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []CronJob req
CronJobSpec
  schedule 1 string req def=""
  timeZone 8 *string
  startingDeadlineSeconds 2 *int64
  concurrencyPolicy 3 string enum=Allow|Forbid|Replace
  suspend 4 *bool
  jobTemplate 5 JobTemplateSpec req def={}
  successfulJobsHistoryLimit 6 *int32
  failedJobsHistoryLimit 7 *int32
CronJobStatus
  active 1 []core.ObjectReference list=atomic
  lastScheduleTime 4 *Time
  lastSuccessfulTime 5 *Time
Job kind=batch/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 JobSpec def={}
  status 3 JobStatus def={}
JobCondition
  type 1 string req def=""
  status 2 string req def=""
  lastProbeTime 3 Time
  lastTransitionTime 4 Time
  reason 5 string
  message 6 string
JobList kind=batch/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Job req
JobSpec
  parallelism 1 *int32
  completions 2 *int32
  activeDeadlineSeconds 3 *int64
  podFailurePolicy 11 *PodFailurePolicy
  successPolicy 16 *SuccessPolicy
  backoffLimit 7 *int32
  backoffLimitPerIndex 12 *int32
  maxFailedIndexes 13 *int32
  selector 4 *meta.LabelSelector
  manualSelector 5 *bool
  template 6 core.PodTemplateSpec req def={}
  ttlSecondsAfterFinished 8 *int32
  completionMode 9 *string enum=Indexed|NonIndexed
  suspend 10 *bool
  podReplacementPolicy 14 *string enum=Failed|TerminatingOrFailed
  managedBy 15 *string
JobStatus
  conditions 1 []JobCondition smp=merge:type list=atomic
  startTime 2 *Time
  completionTime 3 *Time
  active 4 int32
  succeeded 5 int32
  failed 6 int32
  terminating 11 *int32
  completedIndexes 7 string
  failedIndexes 10 *string
  uncountedTerminatedPods 8 *UncountedTerminatedPods
  ready 9 *int32
JobTemplateSpec
  metadata 1 meta.ObjectMeta def={}
  spec 2 JobSpec def={}
PodFailurePolicy
  rules 1 []PodFailurePolicyRule req list=atomic
PodFailurePolicyOnExitCodesRequirement
  containerName 1 *string
  operator 2 string req enum=In|NotIn def=""
  values 3 []int32 req list=set
PodFailurePolicyOnPodConditionsPattern
  type 1 string req def=""
  status 2 string req def=""
PodFailurePolicyRule
  action 1 string req enum=Count|FailIndex|FailJob|Ignore def=""
  onExitCodes 2 *PodFailurePolicyOnExitCodesRequirement
  onPodConditions 3 []PodFailurePolicyOnPodConditionsPattern list=atomic
SuccessPolicy
  rules 1 []SuccessPolicyRule req list=atomic
SuccessPolicyRule
  succeededIndexes 1 *string
  succeededCount 2 *int32
UncountedTerminatedPods
  succeeded 1 []string list=set
  failed 2 []string list=set
`,
  },
  // networking.k8s.io/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.networking.v1',
    text: `
HTTPIngressPath
  path 1 string
  pathType 3 *string req
  backend 2 IngressBackend req def={}
HTTPIngressRuleValue
  paths 1 []HTTPIngressPath req list=atomic
Ingress kind=networking.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 IngressSpec def={}
  status 3 IngressStatus def={}
IngressBackend
  service 4 *IngressServiceBackend
  resource 3 *core.TypedLocalObjectReference
IngressClass kind=networking.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 IngressClassSpec def={}
IngressClassList kind=networking.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []IngressClass req
IngressClassParametersReference
  apiGroup 1 *string
  kind 2 string req def=""
  name 3 string req def=""
  scope 4 *string
  namespace 5 *string
IngressClassSpec
  controller 1 string
  parameters 2 *IngressClassParametersReference
IngressList kind=networking.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Ingress req
IngressLoadBalancerIngress
  ip 1 string
  hostname 2 string
  ports 4 []IngressPortStatus list=atomic
IngressLoadBalancerStatus
  ingress 1 []IngressLoadBalancerIngress list=atomic
IngressPortStatus
  port 1 int32 req def=0
  protocol 2 string req enum=SCTP|TCP|UDP def=""
  error 3 *string
IngressRule
  host 1 string
  +IngressRuleValue 2
IngressRuleValue
  http 1 *HTTPIngressRuleValue
IngressServiceBackend
  name 1 string req def=""
  port 2 ServiceBackendPort def={}
IngressSpec
  ingressClassName 4 *string
  defaultBackend 1 *IngressBackend
  tls 2 []IngressTLS list=atomic
  rules 3 []IngressRule list=atomic
IngressStatus
  loadBalancer 1 IngressLoadBalancerStatus def={}
IngressTLS
  hosts 1 []string list=atomic
  secretName 2 string
ServiceBackendPort atomic
  name 1 string
  number 2 int32
`,
  },
  // coordination.k8s.io/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.coordination.v1',
    text: `
Lease kind=coordination.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 LeaseSpec def={}
LeaseList kind=coordination.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Lease req
LeaseSpec
  holderIdentity 1 *string
  leaseDurationSeconds 2 *int32
  acquireTime 3 *MicroTime
  renewTime 4 *MicroTime
  leaseTransitions 5 *int32
  strategy 6 *string
  preferredHolder 7 *string
`,
  },
  // discovery.k8s.io/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.discovery.v1',
    text: `
Endpoint
  addresses 1 []string req list=set
  conditions 2 EndpointConditions def={}
  hostname 3 *string
  targetRef 4 *core.ObjectReference
  deprecatedTopology 5 {}string
  nodeName 6 *string
  zone 7 *string
  hints 8 *EndpointHints
EndpointConditions
  ready 1 *bool
  serving 2 *bool
  terminating 3 *bool
EndpointHints
  forZones 1 []ForZone list=atomic
EndpointPort atomic
  name 1 *string
  protocol 2 *string enum=SCTP|TCP|UDP
  port 3 *int32
  appProtocol 4 *string
EndpointSlice kind=discovery.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  addressType 4 string req def=""
  endpoints 2 []Endpoint req list=atomic
  ports 3 []EndpointPort list=atomic
EndpointSliceList kind=discovery.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []EndpointSlice req
ForZone
  name 1 string req def=""
`,
  },
  // storage.k8s.io/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.storage.v1',
    text: `
StorageClass kind=storage.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  provisioner 2 string req def=""
  parameters 3 {}string
  reclaimPolicy 4 *string enum=Delete|Recycle|Retain
  mountOptions 5 []string list=atomic
  allowVolumeExpansion 6 *bool
  volumeBindingMode 7 *string enum=Immediate|WaitForFirstConsumer
  allowedTopologies 8 []core.TopologySelectorTerm list=atomic
StorageClassList kind=storage.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []StorageClass req
`,
  },
  // policy/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.policy.v1',
    text: `
Eviction kind=policy/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  deleteOptions 2 *meta.DeleteOptions
PodDisruptionBudget kind=policy/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 PodDisruptionBudgetSpec def={}
  status 3 PodDisruptionBudgetStatus def={}
PodDisruptionBudgetList kind=policy/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []PodDisruptionBudget req
PodDisruptionBudgetSpec
  minAvailable 1 *IntOrString
  selector 2 *meta.LabelSelector smp=replace
  maxUnavailable 3 *IntOrString
  unhealthyPodEvictionPolicy 4 *string enum=AlwaysAllow|IfHealthyBudget
PodDisruptionBudgetStatus
  observedGeneration 1 int64
  disruptedPods 2 {}Time
  disruptionsAllowed 3 int32 req def=0
  currentHealthy 4 int32 req def=0
  desiredHealthy 5 int32 req def=0
  expectedPods 6 int32 req def=0
  conditions 7 []meta.Condition smp=merge:type list=map:type
`,
  },
  // events.k8s.io/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.events.v1',
    text: `
Event kind=events.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  eventTime 2 MicroTime req
  series 3 *EventSeries
  reportingController 4 string
  reportingInstance 5 string
  action 6 string
  reason 7 string
  regarding 8 core.ObjectReference def={}
  related 9 *core.ObjectReference
  note 10 string
  type 11 string
  deprecatedSource 12 core.EventSource def={}
  deprecatedFirstTimestamp 13 Time
  deprecatedLastTimestamp 14 Time
  deprecatedCount 15 int32
EventList kind=events.k8s.io/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ListMeta def={}
  items 2 []Event req
EventSeries
  count 1 int32 req def=0
  lastObservedTime 2 MicroTime req
`,
  },
  // autoscaling/v1 (k8s.io/api v0.32.4)
  {
    prefix: 'io.k8s.api.autoscaling.v1',
    text: `
Scale kind=autoscaling/v1
  apiVersion 0 string
  kind 0 string
  metadata 1 meta.ObjectMeta def={}
  spec 2 ScaleSpec def={}
  status 3 ScaleStatus def={}
ScaleSpec
  replicas 1 int32
ScaleStatus
  replicas 1 int32 req def=0
  selector 2 string
`,
  },
];
