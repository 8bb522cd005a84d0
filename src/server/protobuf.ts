/** Protobuf request bodies, as kubectl's typed clients send them. */
import type { ProtobufDecoder } from '../apiserver/body.ts';
import { decodeProtobuf } from '../api/schema/protobuf.ts';

export const decodeProtobufBody: ProtobufDecoder = (body) => decodeProtobuf(body);
