/**
 * Media types: what the client sent (Content-Type) and what it accepts
 * (Accept). kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io`
 * for human output; typed clients accept protobuf but take JSON replies.
 */
export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaType(value: string): MediaType {
  const [head, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  return { type: (head ?? '').trim().toLowerCase(), params };
}

export function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header.split(',').map((s) => parseMediaType(s)).filter((m) => m.type !== '');
}

export type ResponseShape = 'object' | 'table' | 'metadata';

export interface Negotiated {
  shape: ResponseShape;
  /** YAML output was asked for explicitly. */
  yaml: boolean;
}

/**
 * Picks the first acceptable representation in the client's order: a Table,
 * PartialObjectMetadata(List), or the plain object as JSON (also the answer
 * to protobuf-preferring clients, which accept JSON).
 */
export function negotiate(accept: MediaType[]): Negotiated {
  for (const m of accept) {
    const as = m.params['as'];
    if (as) {
      if (m.params['g'] !== 'meta.k8s.io' || !['v1', 'v1beta1'].includes(m.params['v'] ?? '')) continue;
      if (m.type !== 'application/json' && m.type !== '*/*') continue;
      if (as === 'Table') return { shape: 'table', yaml: false };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { shape: 'metadata', yaml: false };
      continue;
    }
    if (m.type === 'application/yaml') return { shape: 'object', yaml: true };
    if (m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*' || m.type === 'application/vnd.kubernetes.protobuf') {
      return { shape: 'object', yaml: false };
    }
  }
  return { shape: 'object', yaml: false };
}

/** Aggregated discovery is chosen only when the Accept names it with exact parameters. */
export function wantsAggregatedDiscovery(accept: MediaType[]): 'v2' | 'v2beta1' | undefined {
  for (const m of accept) {
    if (m.type !== 'application/json') continue;
    if (m.params['g'] === 'apidiscovery.k8s.io' && m.params['as'] === 'APIGroupDiscoveryList') {
      if (m.params['v'] === 'v2') return 'v2';
      if (m.params['v'] === 'v2beta1') return 'v2beta1';
      continue;
    }
    // Plain JSON listed before any aggregated type: the client prefers legacy.
    if (!m.params['as']) return undefined;
  }
  return undefined;
}
