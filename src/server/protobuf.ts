/** Protobuf request bodies (decoder provided by src/api/schema once it lands). */
import type { ProtobufDecoder } from '../apiserver/body.ts';

export const decodeProtobufBody: ProtobufDecoder | undefined = undefined;
