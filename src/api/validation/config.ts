/**
 * ConfigMaps, Secrets and ServiceAccounts: key formats, size limits,
 * type-specific Secret keys and the `immutable` flag.
 */
import { field, root, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { byteLength, isConfigMapKey } from './names.ts';
import { deepEqual, immutable, obj, str, type Obj } from './util.ts';

/** Upstream's MaxSecretSize, also the ConfigMap limit. */
const MAX_SIZE = 1024 * 1024;

const decodedLength = (b64: unknown): number => Buffer.from(str(b64), 'base64').length;

function immutableFlag(n: Obj, o: Obj, keys: string[]): FieldError[] {
  if (o.immutable !== true) return [];
  const errs: FieldError[] = [];
  const msg = 'field is immutable when `immutable` is set';
  if (n.immutable !== true) errs.push(field.forbidden(root('immutable'), msg));
  for (const k of keys) if (!deepEqual(n[k], o[k])) errs.push(field.forbidden(root(k), msg));
  return errs;
}

export function validateConfigMap(cm: Obj): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  const data = obj(cm.data);
  const binary = obj(cm.binaryData);
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...isConfigMapKey(k).map((m) => field.invalid(root('data').key(k), k, m)));
    if (k in binary) errs.push(field.invalid(root('data').key(k), k, 'duplicate of key present in binaryData'));
    total += byteLength(str(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    errs.push(...isConfigMapKey(k).map((m) => field.invalid(root('binaryData').key(k), k, m)));
    total += decodedLength(v);
  }
  if (total > MAX_SIZE) errs.push(field.tooLong('', MAX_SIZE));
  return errs;
}

export function validateConfigMapUpdate(cm: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(cm.metadata, old.metadata),
    ...immutableFlag(cm, old, ['data', 'binaryData']),
    ...validateConfigMap(cm),
  ];
}

/** Go's encoding/json error for the first problem in a docker config, approximately. */
function jsonError(text: string): string | undefined {
  const t = text.trim();
  if (t === '') return 'unexpected end of JSON input';
  try {
    const v = JSON.parse(t);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      const kind = Array.isArray(v) ? 'array' : v === null ? undefined : typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : 'bool';
      return kind ? `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}` : undefined;
    }
    return undefined;
  } catch {
    const first = t[0]!;
    if (!'{["tfn-0123456789'.includes(first)) return `invalid character '${first}' looking for beginning of value`;
    return 'unexpected end of JSON input';
  }
}

export function validateSecret(secret: Obj): FieldError[] {
  const meta = obj(secret.metadata);
  const errs = validateObjectMeta(meta, true, nameIsDNSSubdomain);
  const dataPath = root('data');
  // stringData is merged into data before upstream validates; accept either here.
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(obj(secret.data))) data[k] = Buffer.from(str(v), 'base64');
  for (const [k, v] of Object.entries(obj(secret.stringData))) data[k] = Buffer.from(str(v), 'utf8');
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...isConfigMapKey(k).map((m) => field.invalid(dataPath.key(k), k, m)));
    total += v.length;
  }
  if (total > MAX_SIZE) errs.push(field.tooLong(dataPath, MAX_SIZE));
  const has = (k: string) => k in data;
  switch (str(secret.type)) {
    case 'kubernetes.io/service-account-token':
      if (!str(obj(meta.annotations)['kubernetes.io/service-account.name']))
        errs.push(field.required(root('metadata', 'annotations').key('kubernetes.io/service-account.name')));
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) {
        errs.push(field.required(dataPath.key(key)));
        break;
      }
      const problem = jsonError(data[key]!.toString('utf8'));
      if (problem) errs.push(field.invalid(dataPath.key(key), '<secret contents redacted>', problem));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(field.required(dataPath.key('username')), field.required(dataPath.key('password')));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']?.length) errs.push(field.required(dataPath.key('ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(field.required(dataPath.key('tls.crt')));
      if (!has('tls.key')) errs.push(field.required(dataPath.key('tls.key')));
      break;
  }
  return errs;
}

export function validateSecretUpdate(secret: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(secret.metadata, old.metadata),
    ...immutable(str(secret.type), str(old.type), root('type')),
    ...immutableFlag(secret, old, ['data']),
    ...validateSecret(secret),
  ];
}

export function validateServiceAccount(sa: Obj): FieldError[] {
  return validateObjectMeta(sa.metadata, true, nameIsDNSSubdomain);
}

export function validateServiceAccountUpdate(sa: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(sa.metadata, old.metadata), ...validateServiceAccount(sa)];
}
