/** OpenAPI v3 documents for `/openapi/v3` (explain, client-side apply, field validation discovery). */
import type { OpenAPIProvider } from '../apiserver/handler.ts';
import { openapiV3Document, openapiV3Root } from '../api/openapi/index.ts';

export function createOpenAPIProvider(): OpenAPIProvider {
  return { root: openapiV3Root, document: openapiV3Document };
}
