/** OpenAPI v3 documents for the apiserver (provided by src/api/openapi once it lands). */
import type { OpenAPIProvider } from '../apiserver/handler.ts';

export function createOpenAPIProvider(): OpenAPIProvider | undefined {
  return undefined;
}
