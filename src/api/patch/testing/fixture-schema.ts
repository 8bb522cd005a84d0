/**
 * A small hand-written schema for the patch and apply tests: the fields
 * they exercise, with the upstream tags (patch strategies, merge keys, list
 * types, atomic structs, key defaults) of k8s.io/api 1.32. Tests use it so
 * they do not depend on the full schema tables; a second run uses the real
 * `schema` where the tests ask for it.
 */
import type { Field, MessageType, Schema, TypeRef } from '../../schema/types.ts';

const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const core = 'io.k8s.api.core.v1.';
const apps = 'io.k8s.api.apps.v1.';

const str: TypeRef = { kind: 'scalar', scalar: 'string' };
const i32: TypeRef = { kind: 'scalar', scalar: 'int32' };
const i64: TypeRef = { kind: 'scalar', scalar: 'int64' };
const bool: TypeRef = { kind: 'scalar', scalar: 'bool' };
const time: TypeRef = { kind: 'special', special: 'Time' };
const intOrString: TypeRef = { kind: 'special', special: 'IntOrString' };
const quantity: TypeRef = { kind: 'special', special: 'Quantity' };
const raw: TypeRef = { kind: 'special', special: 'RawExtension' };
const msg = (name: string): TypeRef => ({ kind: 'message', name });
const list = (items: TypeRef): TypeRef => ({ kind: 'list', items });
const map = (values: TypeRef): TypeRef => ({ kind: 'map', values });

type Extra = Partial<Omit<Field, 'name' | 'type' | 'tag'>>;
type FieldSpec = [name: string, type: TypeRef, extra?: Extra];

/** Go pointer-ness follows the type: lists, maps and `*T` are pointers; plain structs are not. */
function field(tag: number, [name, type, extra]: FieldSpec): Field {
  const pointer = type.kind === 'list' || type.kind === 'map';
  return { name, tag, type, pointer, ...extra };
}

function message(name: string, fields: FieldSpec[], extra: Partial<MessageType> = {}): MessageType {
  return { name, fields: fields.map((f, i) => field(i + 1, f)), ...extra };
}

const ptr: Extra = { pointer: true };
const req: Extra = { required: true };
const mergeBy = (key: string, keys: string[] = [key]): Extra => ({
  patchStrategy: 'merge',
  patchMergeKey: key,
  listType: 'map',
  listMapKeys: keys,
});
const typeMeta: FieldSpec[] = [
  ['apiVersion', str],
  ['kind', str],
];

const types: MessageType[] = [
  message(`${meta}ObjectMeta`, [
    ['name', str],
    ['generateName', str],
    ['namespace', str],
    ['uid', str],
    ['resourceVersion', str],
    ['generation', i64],
    ['creationTimestamp', time],
    ['deletionTimestamp', time, ptr],
    ['labels', map(str)],
    ['annotations', map(str)],
    ['ownerReferences', list(msg(`${meta}OwnerReference`)), mergeBy('uid')],
    ['finalizers', list(str), { patchStrategy: 'merge', listType: 'set' }],
    ['managedFields', list(msg(`${meta}ManagedFieldsEntry`)), { listType: 'atomic' }],
  ]),
  message(
    `${meta}OwnerReference`,
    [
      ['apiVersion', str, req],
      ['kind', str, req],
      ['name', str, req],
      ['uid', str, req],
      ['controller', bool, ptr],
    ],
    { structType: 'atomic' },
  ),
  message(
    `${meta}LabelSelector`,
    [
      ['matchLabels', map(str)],
      ['matchExpressions', list(msg(`${meta}LabelSelectorRequirement`)), { listType: 'atomic' }],
    ],
    { structType: 'atomic' },
  ),
  message(`${meta}LabelSelectorRequirement`, [
    ['key', str, req],
    ['operator', str, req],
    ['values', list(str), { listType: 'atomic' }],
  ]),
  message(`${meta}ManagedFieldsEntry`, [
    ['manager', str],
    ['operation', str],
    ['apiVersion', str],
    ['time', time, ptr],
    ['fieldsType', str],
    ['fieldsV1', { kind: 'special', special: 'FieldsV1' }, ptr],
    ['subresource', str],
  ]),
  message(
    `${apps}Deployment`,
    [...typeMeta, ['metadata', msg(`${meta}ObjectMeta`)], ['spec', msg(`${apps}DeploymentSpec`)], ['status', msg(`${apps}DeploymentStatus`)]],
    { gvk: { group: 'apps', version: 'v1', kind: 'Deployment' } },
  ),
  message(`${apps}DeploymentSpec`, [
    ['replicas', i32, ptr],
    ['selector', msg(`${meta}LabelSelector`), { pointer: true, required: true }],
    ['template', msg(`${core}PodTemplateSpec`), req],
    ['strategy', msg(`${apps}DeploymentStrategy`), { patchStrategy: 'retainKeys' }],
    ['minReadySeconds', i32],
    ['revisionHistoryLimit', i32, ptr],
    ['paused', bool],
    ['progressDeadlineSeconds', i32, ptr],
  ]),
  message(`${apps}DeploymentStrategy`, [
    ['type', str],
    ['rollingUpdate', msg(`${apps}RollingUpdateDeployment`), ptr],
  ]),
  message(`${apps}RollingUpdateDeployment`, [
    ['maxUnavailable', intOrString, ptr],
    ['maxSurge', intOrString, ptr],
  ]),
  message(`${apps}DeploymentStatus`, [
    ['observedGeneration', i64],
    ['replicas', i32],
    ['conditions', list(msg(`${apps}DeploymentCondition`)), mergeBy('type')],
  ]),
  message(`${apps}DeploymentCondition`, [
    ['type', str, { required: true, default: '' }],
    ['status', str, req],
    ['reason', str],
    ['message', str],
  ]),
  message(`${core}PodTemplateSpec`, [
    ['metadata', msg(`${meta}ObjectMeta`)],
    ['spec', msg(`${core}PodSpec`)],
  ]),
  message(`${core}PodSpec`, [
    ['volumes', list(msg(`${core}Volume`)), { ...mergeBy('name'), patchStrategy: 'merge,retainKeys' }],
    ['initContainers', list(msg(`${core}Container`)), mergeBy('name')],
    ['containers', list(msg(`${core}Container`)), { ...mergeBy('name'), required: true }],
    ['restartPolicy', str],
    ['nodeSelector', map(str), { mapType: 'atomic' }],
    ['tolerations', list(msg(`${core}Toleration`)), { listType: 'atomic' }],
    ['imagePullSecrets', list(msg(`${core}LocalObjectReference`)), mergeBy('name')],
  ]),
  message(`${core}Container`, [
    ['name', str, { required: true, default: '' }],
    ['image', str],
    ['command', list(str), { listType: 'atomic' }],
    ['args', list(str), { listType: 'atomic' }],
    ['ports', list(msg(`${core}ContainerPort`)), mergeBy('containerPort', ['containerPort', 'protocol'])],
    ['env', list(msg(`${core}EnvVar`)), mergeBy('name')],
    ['resources', msg(`${core}ResourceRequirements`)],
    ['volumeMounts', list(msg(`${core}VolumeMount`)), mergeBy('mountPath')],
    ['imagePullPolicy', str],
  ]),
  message(`${core}ContainerPort`, [
    ['name', str],
    ['hostPort', i32],
    ['containerPort', i32, { required: true, default: 0 }],
    ['protocol', str, { default: 'TCP' }],
  ]),
  message(`${core}EnvVar`, [
    ['name', str, { required: true, default: '' }],
    ['value', str],
    ['valueFrom', msg(`${core}EnvVarSource`), ptr],
  ]),
  message(`${core}EnvVarSource`, [['fieldRef', msg(`${core}ObjectFieldSelector`), ptr]]),
  message(
    `${core}ObjectFieldSelector`,
    [
      ['apiVersion', str],
      ['fieldPath', str, req],
    ],
    { structType: 'atomic' },
  ),
  message(`${core}ResourceRequirements`, [
    ['limits', map(quantity)],
    ['requests', map(quantity)],
  ]),
  message(`${core}VolumeMount`, [
    ['name', str, req],
    ['readOnly', bool],
    ['mountPath', str, { required: true, default: '' }],
  ]),
  message(`${core}Volume`, [
    ['name', str, { required: true, default: '' }],
    ['hostPath', msg(`${core}HostPathVolumeSource`), ptr],
    ['emptyDir', msg(`${core}EmptyDirVolumeSource`), ptr],
    ['configMap', msg(`${core}ConfigMapVolumeSource`), ptr],
  ]),
  message(`${core}HostPathVolumeSource`, [
    ['path', str, req],
    ['type', str, ptr],
  ]),
  message(`${core}EmptyDirVolumeSource`, [
    ['medium', str],
    ['sizeLimit', quantity, ptr],
  ]),
  message(`${core}ConfigMapVolumeSource`, [
    ['name', str],
    ['items', list(msg(`${core}KeyToPath`)), { listType: 'atomic' }],
    ['defaultMode', i32, ptr],
  ]),
  message(`${core}KeyToPath`, [
    ['key', str, req],
    ['path', str, req],
  ]),
  message(`${core}Toleration`, [
    ['key', str],
    ['operator', str],
    ['value', str],
    ['effect', str],
    ['tolerationSeconds', i64, ptr],
  ]),
  message(`${core}LocalObjectReference`, [['name', str]], { structType: 'atomic' }),
  message(
    `${core}Service`,
    [...typeMeta, ['metadata', msg(`${meta}ObjectMeta`)], ['spec', msg(`${core}ServiceSpec`)]],
    { gvk: { group: '', version: 'v1', kind: 'Service' } },
  ),
  message(`${core}ServiceSpec`, [
    ['ports', list(msg(`${core}ServicePort`)), mergeBy('port', ['port', 'protocol'])],
    ['selector', map(str), { mapType: 'atomic' }],
    ['clusterIP', str],
    ['clusterIPs', list(str), { listType: 'atomic' }],
    ['type', str],
  ]),
  message(`${core}ServicePort`, [
    ['name', str],
    ['protocol', str, { default: 'TCP' }],
    ['port', i32, { required: true, default: 0 }],
    ['targetPort', intOrString],
    ['nodePort', i32],
  ]),
  message(
    `${core}ConfigMap`,
    [...typeMeta, ['metadata', msg(`${meta}ObjectMeta`)], ['data', map(str)], ['binaryData', map({ kind: 'scalar', scalar: 'bytes' })]],
    { gvk: { group: '', version: 'v1', kind: 'ConfigMap' } },
  ),
  message(
    `${core}Node`,
    [...typeMeta, ['metadata', msg(`${meta}ObjectMeta`)], ['spec', msg(`${core}NodeSpec`)]],
    { gvk: { group: '', version: 'v1', kind: 'Node' } },
  ),
  message(`${core}NodeSpec`, [
    ['unschedulable', bool],
    ['taints', list(msg(`${core}Toleration`)), { listType: 'atomic' }],
  ]),
  message(
    'io.k8s.api.autoscaling.v1.Scale',
    [...typeMeta, ['metadata', msg(`${meta}ObjectMeta`)], ['spec', msg('io.k8s.api.autoscaling.v1.ScaleSpec')]],
    { gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  ),
  message('io.k8s.api.autoscaling.v1.ScaleSpec', [['replicas', i32]]),
  // The struct upstream's strategic merge patch tests use (strategicpatch/patch_test.go `MergeItem`).
  message('test.MergeItem', [
    ['name', str],
    ['value', str],
    ['other', str],
    ['mergingList', list(msg('test.MergeItem')), { patchStrategy: 'merge', patchMergeKey: 'name' }],
    ['nonMergingList', list(msg('test.MergeItem'))],
    ['mergingIntList', list(i32), { patchStrategy: 'merge' }],
    ['nonMergingIntList', list(i32)],
    ['mergeItemPtr', msg('test.MergeItem'), { pointer: true, patchStrategy: 'merge', patchMergeKey: 'name' }],
    ['simpleMap', map(str)],
    ['replacingItem', raw, { patchStrategy: 'replace' }],
    ['retainKeysMap', msg('test.RetainKeysMergeItem'), { patchStrategy: 'retainKeys' }],
    [
      'retainKeysMergingList',
      list(msg('test.MergeItem')),
      { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    ],
  ]),
  message('test.RetainKeysMergeItem', [
    ['name', str],
    ['value', str],
    ['other', str],
    ['simpleMap', map(str)],
    ['mergingIntList', list(i32), { patchStrategy: 'merge' }],
    ['mergingList', list(msg('test.MergeItem')), { patchStrategy: 'merge', patchMergeKey: 'name' }],
    ['nonMergingList', list(msg('test.MergeItem'))],
  ]),
];

class FixtureSchema implements Schema {
  readonly #types = new Map(types.map((t) => [t.name, t]));
  type(name: string): MessageType | undefined {
    return this.#types.get(name);
  }
  typeForKind(group: string, version: string, kind: string): MessageType | undefined {
    return types.find((t) => t.gvk?.group === group && t.gvk.version === version && t.gvk.kind === kind);
  }
  field(type: MessageType, jsonName: string): Field | undefined {
    return type.fields.find((f) => f.name === jsonName);
  }
  fieldByTag(type: MessageType, tag: number): Field | undefined {
    return type.fields.find((f) => f.tag === tag);
  }
  all(): Iterable<MessageType> {
    return types;
  }
}

/** The fixture schema. */
export const fixtureSchema: Schema = new FixtureSchema();

/** A fixture type by short name (`apps.Deployment`, `core.Service`, `test.MergeItem`). */
export function fixtureType(short: string): MessageType {
  const [pkg, name] = short.split('.');
  const prefix: Record<string, string> = { meta, core, apps, autoscaling: 'io.k8s.api.autoscaling.v1.', test: 'test.' };
  const t = fixtureSchema.type(`${prefix[pkg]}${name}`);
  if (!t) throw new Error(`no fixture type ${short}`);
  return t;
}
