/** Storage keys: `/registry/<group or core>/<resource>/[<namespace>/]<name>`. */
import type { ResourceInfo } from '../api/resources.ts';

export function resourcePrefix(info: ResourceInfo): string {
  const src = info.storedAs ?? info;
  return `/registry/${src.group || 'core'}/${src.resource}/`;
}

export function listPrefix(info: ResourceInfo, namespace: string): string {
  return resourcePrefix(info) + (info.namespaced && namespace ? `${namespace}/` : '');
}

export function objectKey(info: ResourceInfo, namespace: string, name: string): string {
  return resourcePrefix(info) + (info.namespaced ? `${namespace}/${name}` : name);
}
