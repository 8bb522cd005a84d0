/**
 * Parses a resource URL the way upstream's RequestInfoFactory does:
 *   /api/v1/namespaces/{ns}/{resource}/{name}/{subresource}
 *   /apis/{group}/{version}/{resource}/{name}
 *   /api/v1/watch/...                        (legacy watch prefix)
 *   /api/v1/namespaces/{name}[/status|/finalize]
 */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';

export interface ResourceRequest {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  /** Path segments after the subresource (e.g. a proxy path). */
  rest: string[];
  verb: Verb;
}

const namespaceSubresources = new Set(['status', 'finalize']);

function isWatch(q: URLSearchParams): boolean {
  const w = q.get('watch');
  return w === 'true' || w === '1';
}

/** Returns undefined for paths that are not resource paths (discovery roots etc.). */
export function parseResourcePath(pathname: string, method: string, query: URLSearchParams): ResourceRequest | undefined {
  const segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let parts: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1]!;
    parts = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]!;
    version = segs[2]!;
    parts = segs.slice(3);
  } else return undefined;

  let watchPrefix = false;
  if (parts[0] === 'watch') {
    watchPrefix = true;
    parts = parts.slice(1);
    if (parts.length === 0) return undefined;
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    if (parts.length > 2 && !namespaceSubresources.has(parts[2]!)) parts = parts.slice(2);
  }
  const resource = parts[0]!;
  let name = parts[1] ?? '';
  const subresource = parts[2] ?? '';
  const rest = parts.slice(3);
  // `/namespaces/{name}` addresses the namespace object itself.
  if (resource === 'namespaces' && namespace && parts[1] === namespace) {
    name = namespace;
    namespace = '';
  }

  let verb: Verb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = watchPrefix || (isWatch(query) && !name) ? 'watch' : name ? 'get' : 'list';
      if (name && watchPrefix) verb = 'watch';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = 'connect';
  }
  return { group, version, namespace, resource, name, subresource, rest, verb };
}
