/**
 * Container environment, the kubelet way. The integrator calls:
 *   const { env, warnings } = await resolveEnv(pod, container, lookup, { podIPs, hostIPs });
 * and `expand(text, mappingFor(envMap))` for command/args `$(VAR)` expansion.
 */
export { resolveEnv, EnvError, isEnvVarName } from './resolve.ts';
export type { EnvVar, EnvWarning, ResolvedEnv, EnvOptions, EnvErrorCode } from './resolve.ts';
export { expand, mappingFor } from './expand.ts';
export { podFieldValue, resourceFieldValue, formatMap, goQuote, FieldRefError } from './fields.ts';
export type { RuntimeFields } from './fields.ts';
export { serviceEnv, serviceVariables } from './service-env.ts';
export { clientLookup, mapLookup } from './lookup.ts';
export type { ObjectLookup } from './lookup.ts';
