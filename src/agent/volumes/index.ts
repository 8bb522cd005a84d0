/** Pod volumes: see types.ts for the calls and the on-disk layout. */
export { prepareVolumes, refreshVolumes, mountsFor, cleanupVolumes, memoryEmptyDirSize, podDir } from './volumes.ts';
export { VolumeError } from './types.ts';
export type { VolumeHost, PreparedVolume, PreparedVolumes, Mount, VolumeKind, VolumeErrorCode } from './types.ts';
export { writePayload } from './atomic-writer.ts';
export type { Payload, FileProjection } from './atomic-writer.ts';
