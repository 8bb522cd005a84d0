/** Probes: runProbe for one attempt, ProbeManager for the per-container schedule (see manager.ts). */
export { runProbe, resolvePort, ProbeError, MAX_OUTPUT } from './run.ts';
export { ProbeManager, probeKillMessage } from './manager.ts';
export type { ProbeManagerOptions } from './manager.ts';
export type { ProbeKind, ProbeOutcome, ProbeResult, ExecResult, ProbeTarget, ContainerProbeState, ProbeResultHandler } from './types.ts';
