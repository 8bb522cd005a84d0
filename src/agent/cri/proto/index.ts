/**
 * The runtime.v1 (CRI) message schema and codec entry points. The schema
 * is parsed on first use (a few hundred lines of text, ~1 ms).
 */
import { decode, encode } from './codec.ts';
import { commonSchema } from './messages-common.ts';
import { containerSchema } from './messages-container.ts';
import { execSchema } from './messages-exec.ts';
import { imageSchema } from './messages-image.ts';
import { linuxSchema } from './messages-linux.ts';
import { runtimeSchema } from './messages-runtime.ts';
import { sandboxSchema } from './messages-sandbox.ts';
import { statsSchema } from './messages-stats.ts';
import { parseSchema, type Schema } from './schema.ts';

export type * from './messages-common.ts';
export type * from './messages-container.ts';
export type * from './messages-exec.ts';
export type * from './messages-image.ts';
export type * from './messages-linux.ts';
export type * from './messages-runtime.ts';
export type * from './messages-sandbox.ts';
export type * from './messages-stats.ts';
export { ProtoError, type ProtoErrorCode } from './codec.ts';

let cached: Schema | undefined;

/** The parsed runtime.v1 schema (shared; nobody mutates it). */
export function criSchema(): Schema {
  return (cached ??= parseSchema(commonSchema, runtimeSchema, sandboxSchema, linuxSchema, containerSchema, execSchema, imageSchema, statsSchema));
}

/** Encodes a runtime.v1 message by its schema name. */
export function encodeCri(type: string, value: object): Uint8Array {
  return encode(criSchema(), type, value);
}

/** Decodes a runtime.v1 message by its schema name. */
export function decodeCri<T>(type: string, bytes: Uint8Array): T {
  return decode<T>(criSchema(), type, bytes);
}
