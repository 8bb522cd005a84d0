/**
 * Request bodies: read with a size limit, then decode by Content-Type —
 * JSON (also when no type is sent, as `kubectl scale --current-replicas`
 * does), YAML, or the Kubernetes protobuf envelope that kubectl's typed
 * clients send. Malformed bodies are 400s; unknown types are 415s.
 */
import { yaml } from '../util/yaml.ts';
import { errors } from '../api/errors.ts';
import type { HttpRequest } from './http.ts';
import { parseMediaType } from './negotiate.ts';

/** Upstream's default limit for request bodies. */
export const maxBodyBytes = 3 * 1024 * 1024;

export async function readBody(req: HttpRequest, limit = maxBodyBytes): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw errors.tooLarge(`the request body is too large: limit is ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export type ProtobufDecoder = (body: Uint8Array) => { apiVersion: string; kind: string; object: Record<string, unknown> };

export const objectMediaTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

export function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

export function parseYAMLDoc(text: string): unknown {
  try {
    return yaml().parse(text, { prettyErrors: false, uniqueKeys: false, maxAliasCount: 100 });
  } catch (e) {
    throw errors.badRequest(`error converting YAML to JSON: yaml: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Decodes an object body (create/update/delete options). */
export function decodeObjectBody(buf: Buffer, contentType: string | undefined, protobuf?: ProtobufDecoder): unknown {
  const type = parseMediaType(contentType ?? 'application/json').type || 'application/json';
  switch (type) {
    case 'application/json':
      return parseJSON(buf.toString('utf8'));
    case 'application/yaml':
      return parseYAMLDoc(buf.toString('utf8'));
    case 'application/vnd.kubernetes.protobuf':
      if (!protobuf) throw errors.unsupportedMediaType(type, ['application/json', 'application/yaml']);
      return protobuf(buf).object;
    default:
      throw errors.unsupportedMediaType(type, objectMediaTypes);
  }
}

export type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

export const patchMediaTypes: Record<string, PatchKind> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function decodePatchBody(buf: Buffer, contentType: string | undefined): { kind: PatchKind; body: unknown } {
  const type = parseMediaType(contentType ?? '').type;
  const kind = patchMediaTypes[type];
  if (!kind) throw errors.unsupportedMediaType(type || '(none)', Object.keys(patchMediaTypes));
  const text = buf.toString('utf8');
  const body = kind === 'apply' ? parseYAMLDoc(text) : parseJSON(text);
  if (kind === 'json' ? !Array.isArray(body) : typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw errors.badRequest(
      kind === 'json' ? 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' : 'json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
  }
  return { kind, body };
}
