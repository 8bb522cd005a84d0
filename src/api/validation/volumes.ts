/**
 * Pod volumes (ValidateVolumes / validateVolumeSource): unique DNS-label
 * names, exactly one source each, and the per-source rules users hit
 * (secret and configMap names, file modes and item paths, hostPath types,
 * PVC claims, projected sources).
 */
import { field, type FieldError, type Path } from '../field-errors.ts';
import {
  VOLUME_FIELD_PATHS,
  validateFileMode,
  validateLocalDescendingPath,
  validateLocalNonReservedPath,
  validateObjectFieldSelector,
  validatePathNoBacksteps,
  validateResourceFieldSelector,
} from './field-selectors.ts';
import { isDNS1123Label, isDNS1123Subdomain } from './names.ts';
import { validatePVCTemplate } from './pvc-spec.ts';
import { readQuantity } from './resources.ts';
import { arr, isObj, isSet, obj, str, type Obj } from './util.ts';

/** Source keys in upstream's checking order, with the path used for their details. */
const SOURCES: Array<[key: string, detailPath?: string, forbiddenPath?: string]> = [
  ['emptyDir'],
  ['hostPath'],
  ['gitRepo'],
  ['gcePersistentDisk', 'persistentDisk'],
  ['awsElasticBlockStore'],
  ['secret'],
  ['nfs'],
  ['iscsi'],
  ['glusterfs'],
  ['flocker'],
  ['persistentVolumeClaim'],
  ['rbd'],
  ['cinder'],
  ['cephfs', 'cephfs', 'cephFS'],
  ['quobyte'],
  ['downwardAPI', 'downwardAPI', 'downwarAPI'],
  ['fc'],
  ['flexVolume'],
  ['configMap'],
  ['azureFile'],
  ['vsphereVolume'],
  ['photonPersistentDisk'],
  ['portworxVolume'],
  ['azureDisk'],
  ['storageos'],
  ['projected'],
  ['scaleIO'],
  ['csi'],
  ['ephemeral'],
  ['image'],
];

/** Fields each simple source requires, in upstream's order. */
const REQUIRED: Record<string, string[]> = {
  gitRepo: ['repository'],
  gcePersistentDisk: ['pdName'],
  awsElasticBlockStore: ['volumeID'],
  secret: ['secretName'],
  nfs: ['server', 'path'],
  iscsi: ['targetPortal', 'iqn'],
  glusterfs: ['endpoints', 'path'],
  persistentVolumeClaim: ['claimName'],
  rbd: ['monitors', 'image'],
  cinder: ['volumeID'],
  cephfs: ['monitors'],
  quobyte: ['volume'],
  flexVolume: ['driver'],
  configMap: ['name'],
  azureFile: ['secretName', 'shareName'],
  vsphereVolume: ['volumePath'],
  photonPersistentDisk: ['pdID'],
  portworxVolume: ['volumeID'],
  azureDisk: ['diskName', 'diskURI'],
  scaleIO: ['gateway', 'system', 'volumeName'],
  storageos: ['volumeName'],
  csi: ['driver'],
};

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

function present(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== '';
}

/** Validates `volumes`; returns the names that mounts may reference. */
export function validateVolumes(
  volumes: unknown,
  path: Path,
  podName?: string,
): { names: Map<string, Obj>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const names = new Map<string, Obj>();
  arr(volumes).forEach((raw, i) => {
    const vol = obj(raw);
    const idx = path.index(i);
    const name = str(vol.name);
    const el = validateVolumeSource(vol, idx, name, podName);
    if (!name) el.push(field.required(idx.child('name')));
    else el.push(...isDNS1123Label(name).map((m) => field.invalid(idx.child('name'), name, m)));
    if (names.has(name)) el.push(field.duplicate(idx.child('name'), name));
    if (el.length === 0) names.set(name, vol);
    else errs.push(...el);
  });
  return { names, errs };
}

function validateVolumeSource(vol: Obj, path: Path, volName: string, podName?: string): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const [key, detail = key, forbidden = key] of SOURCES) {
    if (!isSet(vol[key])) continue;
    if (count > 0) {
      errs.push(field.forbidden(path.child(forbidden), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    errs.push(...validateSource(key, obj(vol[key]), path.child(detail)));
    if (key === 'ephemeral' && podName && volName) {
      const pvcName = `${podName}-${volName}`;
      for (const m of isDNS1123Subdomain(pvcName))
        errs.push(field.invalid(path.child('name'), volName, `PVC name ${JSON.stringify(pvcName)}: ${m}`));
    }
  }
  if (count === 0) errs.push(field.required(path, 'must specify a volume type'));
  return errs;
}

function validateItems(items: unknown, path: Path): FieldError[] {
  return arr(items).flatMap((raw, i) => {
    const kp = obj(raw);
    const p = path.index(i);
    const errs: FieldError[] = [];
    if (!str(kp.key)) errs.push(field.required(p.child('key')));
    if (!str(kp.path)) errs.push(field.required(p.child('path')));
    errs.push(...validateLocalNonReservedPath(str(kp.path), p.child('path')));
    errs.push(...validateFileMode(kp.mode, p.child('mode')));
    return errs;
  });
}

/** A downwardAPI file; upstream reports its errors against the source's path. */
function validateDownwardFile(f: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(f.path)) errs.push(field.required(path.child('path')));
  errs.push(...validateLocalNonReservedPath(str(f.path), path.child('path')));
  if (isSet(f.fieldRef)) {
    errs.push(...validateObjectFieldSelector(f.fieldRef, VOLUME_FIELD_PATHS, path.child('fieldRef')));
    if (isSet(f.resourceFieldRef))
      errs.push(field.invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (isSet(f.resourceFieldRef)) {
    errs.push(...validateResourceFieldSelector(f.resourceFieldRef, path.child('resourceFieldRef'), true));
  } else {
    errs.push(field.required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...validateFileMode(f.mode, path.child('mode')));
  return errs;
}

function validateSource(key: string, src: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const req of REQUIRED[key] ?? []) if (!present(src[req])) errs.push(field.required(path.child(req)));
  switch (key) {
    case 'emptyDir':
      if (isSet(src.sizeLimit)) {
        const q = readQuantity(src.sizeLimit, path.child('sizeLimit'), errs);
        if (q && q.sign() < 0) errs.push(field.forbidden(path.child('sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
      }
      break;
    case 'hostPath':
      if (!str(src.path)) return [field.required(path.child('path'))];
      errs.push(...validatePathNoBacksteps(str(src.path), path.child('path')));
      if (isSet(src.type) && !HOST_PATH_TYPES.includes(str(src.type)))
        errs.push(field.notSupported(path.child('type'), src.type, HOST_PATH_TYPES));
      break;
    case 'gitRepo':
      errs.push(...validateLocalDescendingPath(str(src.directory), path.child('directory')));
      break;
    case 'nfs':
      if (!str(src.path).startsWith('/')) errs.push(field.invalid(path.child('path'), str(src.path), 'must be an absolute path'));
      break;
    case 'secret':
    case 'configMap':
      errs.push(...validateFileMode(src.defaultMode, path.child('defaultMode')));
      errs.push(...validateItems(src.items, path.child('items')));
      break;
    case 'downwardAPI':
      errs.push(...validateFileMode(src.defaultMode, path.child('defaultMode')));
      for (const f of arr(src.items)) errs.push(...validateDownwardFile(obj(f), path));
      break;
    case 'projected':
      errs.push(...validateFileMode(src.defaultMode, path.child('defaultMode')));
      errs.push(...validateProjection(src, path));
      break;
    case 'ephemeral':
      if (!isObj(src.volumeClaimTemplate)) errs.push(field.required(path.child('volumeClaimTemplate')));
      else errs.push(...validatePVCTemplate(src.volumeClaimTemplate, path.child('volumeClaimTemplate')));
      break;
    case 'iscsi':
      if (typeof src.lun === 'number' && (src.lun < 0 || src.lun > 255))
        errs.push(field.invalid(path.child('lun'), src.lun, 'must be between 0 and 255, inclusive'));
      break;
    case 'flocker':
      if (!str(src.datasetName) && !str(src.datasetUUID))
        errs.push(field.required(path, 'one of datasetName and datasetUUID is required'));
      break;
  }
  return errs;
}

function validateProjection(src: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const claim = (p: string, value: unknown) => {
    if (!p) return;
    if (paths.has(p)) errs.push(field.invalid(path, value, 'conflicting duplicate paths'));
    paths.add(p);
  };
  arr(src.sources).forEach((raw, i) => {
    const s = obj(raw);
    const sp = path.child('sources').index(i);
    let n = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      if (!isSet(s[kind])) continue;
      n++;
      const ref = obj(s[kind]);
      if (!str(ref.name)) errs.push(field.required(sp.child(kind).child('name')));
      errs.push(...validateItems(ref.items, sp.child(kind).child('items')));
      for (const it of arr(ref.items)) claim(str(obj(it).path), str(ref.name));
    }
    if (isSet(s.downwardAPI)) {
      n++;
      for (const f of arr(obj(s.downwardAPI).items)) {
        errs.push(...validateDownwardFile(obj(f), sp.child('downwardAPI')));
        claim(str(obj(f).path), str(obj(f).path));
      }
    }
    if (isSet(s.serviceAccountToken)) {
      n++;
      const t = obj(s.serviceAccountToken);
      const exp = typeof t.expirationSeconds === 'number' ? t.expirationSeconds : 0;
      const ep = sp.child('serviceAccountToken').child('expirationSeconds');
      if (exp < 600) errs.push(field.invalid(ep, exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(field.invalid(ep, exp, 'may not specify a duration larger than 2^32 seconds'));
      if (!str(t.path)) errs.push(field.required(path.child('path')));
      else errs.push(...validateLocalNonReservedPath(str(t.path), path.child('path')));
    }
    if (isSet(s.clusterTrustBundle)) {
      n++;
      const b = obj(s.clusterTrustBundle);
      const bp = sp.child('clusterTrustBundle');
      if (isSet(b.name) && isSet(b.signerName))
        errs.push(field.invalid(bp, b, 'only one of name and signerName may be used'));
      else if (!isSet(b.name) && !isSet(b.signerName))
        errs.push(field.required(bp, 'either name or signerName must be specified'));
      if (!str(b.path)) errs.push(field.required(bp.child('path')));
      errs.push(...validateLocalNonReservedPath(str(b.path), bp.child('path')));
      claim(str(b.path), str(b.path));
    }
    if (n > 1) errs.push(field.forbidden(sp, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}
