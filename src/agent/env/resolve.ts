/**
 * resolveEnv: a container's environment as the kubelet 1.32 builds it
 * (makeEnvironmentVariables):
 *  1. `envFrom` in order: every ConfigMap `data` / Secret `data` key, with
 *     `prefix`; keys that are not valid variable names are skipped and
 *     reported as an `InvalidEnvironmentVariableNames` warning;
 *  2. `env` in order, later entries overriding earlier ones: `value` with
 *     `$(VAR)` expansion against the variables so far and the service
 *     links; or `valueFrom` (configMapKeyRef, secretKeyRef, fieldRef,
 *     resourceFieldRef);
 *  3. service link variables not already defined.
 * Missing objects or keys fail with an EnvError whose message is what the
 * kubelet shows in CreateContainerConfigError; `optional` ones are skipped.
 *
 * Order: upstream's order is a Go map's (random); ours is stable — first
 * definition position, then service links sorted by Service name.
 */
import type { Obj } from '../../client/types.ts';
import { expand, mappingFor } from './expand.ts';
import { FieldRefError, podFieldValue, resourceFieldValue } from './fields.ts';
import type { ObjectLookup } from './lookup.ts';
import { serviceEnv } from './service-env.ts';

export interface EnvVar {
  name: string;
  value: string;
}

export interface EnvWarning {
  /** Event reason, e.g. `InvalidEnvironmentVariableNames` (a Warning event on the pod). */
  reason: string;
  message: string;
}

export interface ResolvedEnv {
  env: EnvVar[];
  warnings: EnvWarning[];
}

export type EnvErrorCode = 'ConfigMapNotFound' | 'SecretNotFound' | 'KeyNotFound' | 'FieldRef' | 'Lookup';

/** Why a container's environment could not be built (CreateContainerConfigError). */
export class EnvError extends Error {
  readonly code: EnvErrorCode;
  constructor(code: EnvErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvError';
    this.code = code;
  }
}

export interface EnvOptions {
  /** The sandbox's IPs (first = primary); default the pod's status.podIPs. */
  podIPs?: string[];
  /** The node's IPs; default the pod's status.hostIPs. */
  hostIPs?: string[];
  /** The node's status.allocatable; default read through `lookup.node(spec.nodeName)` when needed. */
  allocatable?: Record<string, string>;
}

const envVarName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Upstream's IsEnvVarName: C-ish identifiers that may also hold `-` and `.`, never `.`/`..`-prefixed dirs. */
export function isEnvVarName(name: string): boolean {
  return envVarName.test(name) && name !== '.' && !name.startsWith('..');
}

function decodeSecret(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}

export async function resolveEnv(pod: Obj, container: Obj, lookup: ObjectLookup, opts: EnvOptions = {}): Promise<ResolvedEnv> {
  const ns: string = pod.metadata?.namespace ?? 'default';
  const warnings: EnvWarning[] = [];
  const configMaps = new Map<string, Obj | undefined>();
  const secrets = new Map<string, Obj | undefined>();

  const getConfigMap = async (name: string): Promise<Obj | undefined> => {
    if (!configMaps.has(name)) configMaps.set(name, await guarded(() => lookup.configMap(ns, name)));
    return configMaps.get(name);
  };
  const getSecret = async (name: string): Promise<Obj | undefined> => {
    if (!secrets.has(name)) secrets.set(name, await guarded(() => lookup.secret(ns, name)));
    return secrets.get(name);
  };

  const services = await guarded(() => serviceEnv(lookup, ns, pod.spec?.enableServiceLinks !== false));
  const vars = new Map<string, string>();

  for (const from of (container.envFrom ?? []) as Obj[]) {
    const prefix: string = from.prefix ?? '';
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const isCM = !!from.configMapRef;
    const obj = isCM ? await getConfigMap(ref.name) : await getSecret(ref.name);
    if (!obj) {
      if (ref.optional === true) continue;
      throw isCM
        ? new EnvError('ConfigMapNotFound', `configmap "${ref.name}" not found`)
        : new EnvError('SecretNotFound', `secret "${ref.name}" not found`);
    }
    const invalid: string[] = [];
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) {
      const name = prefix + k;
      if (!isEnvVarName(name)) {
        invalid.push(name);
        continue;
      }
      vars.set(name, isCM ? v : decodeSecret(v));
    }
    if (invalid.length > 0) {
      invalid.sort();
      warnings.push({
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalid.join(', ')}] from the EnvFrom ${isCM ? 'configMap' : 'secret'} ${ns}/${ref.name} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  const mapping = mappingFor(vars, services);
  let allocatable = opts.allocatable;
  const runtime = {
    podIPs: opts.podIPs ?? ((pod.status?.podIPs ?? []) as Obj[]).map((x) => x.ip).filter(Boolean),
    hostIPs: opts.hostIPs ?? ((pod.status?.hostIPs ?? []) as Obj[]).map((x) => x.ip).filter(Boolean),
  };
  if (runtime.podIPs.length === 0 && pod.status?.podIP) runtime.podIPs = [pod.status.podIP];
  if (runtime.hostIPs.length === 0 && pod.status?.hostIP) runtime.hostIPs = [pod.status.hostIP];

  for (const e of (container.env ?? []) as Obj[]) {
    let value: string = e.value ?? '';
    const from = e.valueFrom;
    if (value !== '') {
      value = expand(value, mapping);
    } else if (from?.fieldRef) {
      value = fieldRef(() => podFieldValue(pod, from.fieldRef, runtime));
    } else if (from?.resourceFieldRef) {
      if (!allocatable && pod.spec?.nodeName) {
        const node = await guarded(() => lookup.node(pod.spec.nodeName));
        allocatable = (node?.status?.allocatable ?? {}) as Record<string, string>;
      }
      value = fieldRef(() => resourceFieldValue(pod, container, from.resourceFieldRef, allocatable));
    } else if (from?.configMapKeyRef) {
      const { name, key, optional } = from.configMapKeyRef;
      const cm = await getConfigMap(name);
      if (!cm) {
        if (optional === true) continue;
        throw new EnvError('ConfigMapNotFound', `configmap "${name}" not found`);
      }
      const v = cm.data?.[key];
      if (v === undefined) {
        if (optional === true) continue;
        throw new EnvError('KeyNotFound', `couldn't find key ${key} in ConfigMap ${ns}/${name}`);
      }
      value = v;
    } else if (from?.secretKeyRef) {
      const { name, key, optional } = from.secretKeyRef;
      const s = await getSecret(name);
      if (!s) {
        if (optional === true) continue;
        throw new EnvError('SecretNotFound', `secret "${name}" not found`);
      }
      const v = s.data?.[key];
      if (v === undefined) {
        if (optional === true) continue;
        throw new EnvError('KeyNotFound', `couldn't find key ${key} in Secret ${ns}/${name}`);
      }
      value = decodeSecret(v);
    }
    vars.set(e.name, value);
  }

  const env: EnvVar[] = [...vars].map(([name, value]) => ({ name, value }));
  for (const [name, value] of services) if (!vars.has(name)) env.push({ name, value });
  return { env, warnings };
}

function fieldRef(f: () => string): string {
  try {
    return f();
  } catch (e) {
    if (e instanceof FieldRefError) throw new EnvError('FieldRef', e.message, { cause: e });
    throw e;
  }
}

/** Lookup failures other than not-found surface as EnvError('Lookup') with the cause's message. */
async function guarded<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new EnvError('Lookup', e instanceof Error ? e.message : String(e), { cause: e });
  }
}
