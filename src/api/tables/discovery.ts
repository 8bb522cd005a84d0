/**
 * The endpointslices printer (discovery.k8s.io/v1).
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ageColumn, column, nameColumn } from './columns.ts';
import { listWithMore } from './format.ts';
import { age } from './time.ts';
import type { Printer } from './types.ts';

/** Ports by number, else by name, else `*` (all ports); the first three, then ` + N more...`. */
export function slicePorts(slice: EndpointSlice): string {
  return listWithMore((slice.ports ?? []).map((p) => (p.port != null ? String(p.port) : (p.name ?? '*'))));
}

/** Every address of every endpoint, the first three, then ` + N more...`; `<unset>` if none. */
export function sliceEndpoints(slice: EndpointSlice): string {
  return listWithMore((slice.endpoints ?? []).flatMap((e) => e.addresses ?? []));
}

/** discovery.k8s.io/v1 endpointslices. */
export const endpointSlicePrinter: Printer = {
  columns: [
    nameColumn(),
    column('AddressType', 'string', 'IPv4, IPv6 or FQDN.'),
    column('Ports', 'string', 'The ports of the slice.'),
    column('Endpoints', 'string', 'The endpoint addresses, the first few of them.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const slice = obj as EndpointSlice;
    return [slice.metadata?.name ?? '', slice.addressType ?? '', slicePorts(slice), sliceEndpoints(slice), age(obj, now)];
  },
};
