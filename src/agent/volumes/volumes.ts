/**
 * Setting up, refreshing and tearing down a pod's volumes (see types.ts for
 * the layout and the calls). prepareVolumes is idempotent and cheap when
 * nothing changed, so the sync loop may call it on every sync.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { parseQuantity } from '../../api/quantity.ts';
import type { Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { expand } from '../env/expand.ts';
import { writePayload } from './atomic-writer.ts';
import type { Payload } from './atomic-writer.ts';
import { checkHostPathType } from './host-path.ts';
import { isMountPoint, mountTmpfs, mountsUnder, unmountAll } from './mounts.ts';
import { configMapPayload, DEFAULT_MODE, downwardAPIPayload, PayloadError, projectedPayload, secretPayload } from './payload.ts';
import { setUpFailed, VolumeError } from './types.ts';
import type { Mount, PreparedVolume, PreparedVolumes, VolumeHost, VolumeKind } from './types.ts';

const log = logger('volumes');

const pluginDir: Record<string, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

const dataKinds = new Set(['configMap', 'secret', 'downwardAPI', 'projected']);

export function podDir(host: VolumeHost, podUid: string): string {
  return path.join(host.podsDir, podUid);
}

function volumeDir(host: VolumeHost, podUid: string, kind: string, name: string): string {
  return path.join(podDir(host, podUid), 'volumes', pluginDir[kind]!, name);
}

function kindOf(v: Obj): string {
  return Object.keys(v).find((k) => k !== 'name') ?? '';
}

async function allocatableOf(pod: Obj, host: VolumeHost): Promise<Record<string, string>> {
  if (host.allocatable) return host.allocatable;
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return {};
  try {
    return ((await host.lookup.node(nodeName))?.status?.allocatable ?? {}) as Record<string, string>;
  } catch {
    return {};
  }
}

function bytes(q: unknown): number | undefined {
  if (q === undefined || q === null) return undefined;
  const p = parseQuantity(q as string);
  return p.ok ? p.quantity.value() : undefined;
}

/**
 * tmpfs size for a memory emptyDir, as upstream since SizeMemoryBackedVolumes:
 * the smaller of sizeLimit and the pod's memory limit (the sum over its
 * containers when all set one, else the node's allocatable memory).
 */
export function memoryEmptyDirSize(pod: Obj, sizeLimit: unknown, allocatable: Record<string, string>): number | undefined {
  const containers = (pod.spec?.containers ?? []) as Obj[];
  const limits = containers.map((c) => bytes(c.resources?.limits?.memory));
  const podLimit = limits.length > 0 && limits.every((x) => x !== undefined) ? limits.reduce((a, b) => a! + b!, 0) : undefined;
  const base = podLimit ?? bytes(allocatable['memory']);
  const limit = bytes(sizeLimit);
  if (limit !== undefined && limit > 0) return base !== undefined ? Math.min(limit, base) : limit;
  return base;
}

async function ensureDir(dir: string, mode: number): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode });
}

async function setUpEmptyDir(pod: Obj, v: Obj, dir: string, host: VolumeHost): Promise<void> {
  await ensureDir(dir, 0o777);
  const medium = v.emptyDir?.medium ?? '';
  if (medium === 'Memory') {
    if (!(await isMountPoint(dir))) {
      const size = memoryEmptyDirSize(pod, v.emptyDir?.sizeLimit, await allocatableOf(pod, host));
      await mountTmpfs(dir, { sizeBytes: size });
      log.debug('mounted tmpfs', { dir, size });
    }
  } else if (medium !== '') {
    throw setUpFailed('Unsupported', v.name, `emptyDir medium ${medium} is not supported`);
  }
  // emptyDirs are world-writable, whatever the umask or tmpfs default was.
  await fsp.chmod(dir, 0o777);
}

async function pvcVolume(pod: Obj, v: Obj, host: VolumeHost): Promise<PreparedVolume> {
  const ns: string = pod.metadata?.namespace ?? 'default';
  const claim: string = v.persistentVolumeClaim.claimName;
  const fail = (code: VolumeError['code'], why: string) => new VolumeError(code, v.name, `error processing PVC ${ns}/${claim}: ${why}`);
  let pvc: Obj | undefined;
  let pv: Obj | undefined;
  try {
    pvc = await host.lookup.persistentVolumeClaim(ns, claim);
  } catch (e) {
    throw fail('Lookup', `failed to fetch PVC from API server: ${(e as Error).message}`);
  }
  if (!pvc) throw fail('NotFound', `failed to fetch PVC from API server: persistentvolumeclaims "${claim}" not found`);
  if (pvc.metadata?.deletionTimestamp) throw new VolumeError('PVC', v.name, `can't start pod because PVC ${ns}/${claim} is being deleted`);
  const pvName: string | undefined = pvc.spec?.volumeName;
  if (pvc.status?.phase !== 'Bound' || !pvName) throw fail('PVC', 'PVC is not bound');
  try {
    pv = await host.lookup.persistentVolume(pvName);
  } catch (e) {
    throw fail('Lookup', `failed to fetch PV ${pvName} from API server: ${(e as Error).message}`);
  }
  if (!pv) throw fail('NotFound', `failed to fetch PV ${pvName} from API server: persistentvolumes "${pvName}" not found`);
  const ref = pv.spec?.claimRef;
  if (ref && ref.uid && pvc.metadata?.uid && ref.uid !== pvc.metadata.uid) {
    throw fail('PVC', `PV ${pvName} is bound to another claim (claimRef uid ${ref.uid}, claim uid ${pvc.metadata.uid})`);
  }
  const readOnly = v.persistentVolumeClaim.readOnly === true;
  if (pv.spec?.hostPath) {
    const p: string = pv.spec.hostPath.path;
    const bad = await checkHostPathType(p, pv.spec.hostPath.type);
    if (bad) throw setUpFailed('HostPathType', pvName, bad);
    return { name: v.name, kind: 'persistentVolumeClaim', hostPath: p, readOnly };
  }
  if (pv.spec?.local) {
    const p: string = pv.spec.local.path;
    if (!fs.existsSync(p)) throw new VolumeError('PVC', v.name, `MountVolume.NewMounter initialization failed for volume "${pvName}" : path "${p}" does not exist`);
    return { name: v.name, kind: 'persistentVolumeClaim', hostPath: p, readOnly };
  }
  throw setUpFailed('Unsupported', pvName, 'only hostPath and local persistent volumes are supported on this node');
}

async function dataPayload(pod: Obj, v: Obj, kind: string, host: VolumeHost): Promise<Payload> {
  const ns: string = pod.metadata?.namespace ?? 'default';
  try {
    switch (kind) {
      case 'configMap':
        return await configMapPayload(v.configMap, ns, host.lookup);
      case 'secret':
        return await secretPayload(v.secret, ns, host.lookup);
      case 'downwardAPI':
        return downwardAPIPayload(v.downwardAPI.items, v.downwardAPI.defaultMode ?? DEFAULT_MODE, pod, await allocatableOf(pod, host));
      default:
        return await projectedPayload(v.projected, pod, host.lookup, await allocatableOf(pod, host));
    }
  } catch (e) {
    if (e instanceof PayloadError) throw setUpFailed(e.code, v.name, e.message);
    throw e;
  }
}

/** Sets up (or re-checks) one volume; `changed` when API data files were (re)written. */
async function setUpVolume(pod: Obj, v: Obj, host: VolumeHost): Promise<{ prepared: PreparedVolume; changed: boolean }> {
  const uid: string = pod.metadata.uid;
  const kind = kindOf(v);
  try {
    if (kind === 'hostPath') {
      const bad = await checkHostPathType(v.hostPath.path, v.hostPath.type);
      if (bad) throw setUpFailed('HostPathType', v.name, bad);
      return { prepared: { name: v.name, kind: 'hostPath', hostPath: v.hostPath.path, readOnly: false }, changed: false };
    }
    if (kind === 'persistentVolumeClaim') return { prepared: await pvcVolume(pod, v, host), changed: false };
    if (kind === 'emptyDir') {
      const dir = volumeDir(host, uid, kind, v.name);
      await setUpEmptyDir(pod, v, dir, host);
      return { prepared: { name: v.name, kind: 'emptyDir', hostPath: dir, readOnly: false }, changed: false };
    }
    if (dataKinds.has(kind)) {
      const payload = await dataPayload(pod, v, kind, host);
      const dir = volumeDir(host, uid, kind, v.name);
      await ensureDir(dir, 0o755);
      // Secrets (and projected tokens) live on tmpfs, never on the SD card, as upstream.
      if ((kind === 'secret' || kind === 'projected') && !(await isMountPoint(dir))) await mountTmpfs(dir, { secure: true, mode: 0o755 });
      const changed = await writePayload(dir, payload);
      if (changed) log.debug('wrote volume data', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, volume: v.name });
      return { prepared: { name: v.name, kind: kind as VolumeKind, hostPath: dir, readOnly: true }, changed };
    }
  } catch (e) {
    if (e instanceof VolumeError) throw e;
    throw setUpFailed('Mount', v.name, e instanceof Error ? e.message : String(e), e);
  }
  throw setUpFailed('Unsupported', v.name, `volume type ${kind || '(none)'} is not supported on this node`);
}

/**
 * Makes every volume of the pod ready. Throws the first VolumeError (its
 * message is the FailedMount event text); volumes set up before it stay.
 */
export async function prepareVolumes(pod: Obj, host: VolumeHost): Promise<PreparedVolumes> {
  const out: PreparedVolumes = { podUid: pod.metadata.uid, volumes: {} };
  for (const v of (pod.spec?.volumes ?? []) as Obj[]) {
    out.volumes[v.name] = (await setUpVolume(pod, v, host)).prepared;
  }
  return out;
}

/**
 * Rewrites configMap/secret/downwardAPI/projected volumes whose content
 * changed (atomically; no disk write otherwise). Returns the names of the
 * volumes rewritten. Errors as prepareVolumes.
 */
export async function refreshVolumes(pod: Obj, host: VolumeHost): Promise<string[]> {
  const changed: string[] = [];
  for (const v of (pod.spec?.volumes ?? []) as Obj[]) {
    if (!dataKinds.has(kindOf(v))) continue;
    if ((await setUpVolume(pod, v, host)).changed) changed.push(v.name);
  }
  return changed;
}

function badSubPath(sub: string): string | undefined {
  if (path.isAbsolute(sub)) return 'must be a relative path';
  if (sub.split('/').includes('..')) return "must not contain '..'";
  return undefined;
}

/**
 * The bind mounts of one container. subPath / subPathExpr (expanded with
 * `env`, the container's resolved variables) must stay inside the volume,
 * symlinks included; a missing subPath directory is created, as upstream.
 */
export function mountsFor(container: Obj, prepared: PreparedVolumes, opts: { env?: { name: string; value: string }[] } = {}): Mount[] {
  const env = new Map((opts.env ?? []).map((e) => [e.name, e.value]));
  const out: Mount[] = [];
  for (const vm of (container.volumeMounts ?? []) as Obj[]) {
    const vol = prepared.volumes[vm.name];
    if (!vol) throw new VolumeError('NotFound', vm.name, `cannot find volume "${vm.name}" to mount into container "${container.name}"`);
    let sub: string = vm.subPath ?? '';
    if (vm.subPathExpr) sub = expand(vm.subPathExpr, (n) => env.get(n));
    let hostPath = vol.hostPath;
    if (sub !== '') {
      const bad = badSubPath(sub);
      if (bad) throw new VolumeError('SubPath', vm.name, `failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}": subPath "${sub}" ${bad}`);
      const root = fs.realpathSync(vol.hostPath);
      const wanted = path.join(vol.hostPath, sub);
      if (!fs.existsSync(wanted)) fs.mkdirSync(wanted, { recursive: true, mode: fs.statSync(root).mode & 0o7777 });
      const real = fs.realpathSync(wanted);
      if (real !== root && !real.startsWith(root + '/')) {
        throw new VolumeError('SubPath', vm.name, `failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}": subPath "${sub}" is outside the volume`);
      }
      hostPath = real;
    }
    out.push({ containerPath: vm.mountPath, hostPath, readOnly: vm.readOnly === true || vol.readOnly });
  }
  return out;
}

/**
 * Unmounts and removes the pod's volume directories (call once its
 * containers are gone). hostPath and PV content is never touched. The pod
 * directory itself goes too when nothing else is left in it.
 */
export async function cleanupVolumes(podUid: string, host: VolumeHost): Promise<void> {
  if (!podUid || podUid.includes('/') || podUid.startsWith('.')) throw new VolumeError('Mount', '', `invalid pod uid ${JSON.stringify(podUid)}`);
  const dir = podDir(host, podUid);
  try {
    await unmountAll(dir);
  } catch (e) {
    throw new VolumeError('Mount', '', `UnmountVolume.TearDown failed for pod "${podUid}" : ${(e as Error).message}`, { cause: e });
  }
  // Never delete through a mount that is still there.
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new VolumeError('Mount', '', `UnmountVolume.TearDown failed for pod "${podUid}" : still mounted: ${left.join(', ')}`);
  await fsp.rm(path.join(dir, 'volumes'), { recursive: true, force: true });
  try {
    await fsp.rmdir(dir);
  } catch {
    // Not empty (other agent files) or already gone: fine.
  }
}
