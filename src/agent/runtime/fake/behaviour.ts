/**
 * How a fake container behaves, chosen per pod with annotations (the fake
 * runtime reads them from the sandbox config, where the CRI carries the
 * pod's annotations):
 *
 * - `bramble.io/fake-run-seconds: "30"`: each regular container exits after
 *   running this many seconds (fractions allowed). Absent: it runs until
 *   stopped. The pod's restartPolicy then applies as for real containers:
 *   `Never` leaves it exited, `OnFailure` restarts it after a non-zero exit,
 *   `Always` restarts it (with the kubelet's crash-loop back-off). So a Job
 *   pod (`Never`/`OnFailure`) finishes as Succeeded or Failed.
 * - `bramble.io/fake-exit-code: "1"`: the exit code of that exit (default 0).
 *
 * Init containers always exit 0 as soon as they start. A container stopped
 * by the node (pod deletion) exits 0, as a process that handles SIGTERM
 * does, or 137 when stopped with no grace period.
 */
export const runSecondsAnnotation = 'bramble.io/fake-run-seconds';
export const exitCodeAnnotation = 'bramble.io/fake-exit-code';

export interface FakeBehaviour {
  /** Milliseconds a regular container runs before exiting on its own; undefined: forever. */
  runMs?: number;
  exitCode: number;
}

/** Reads the behaviour annotations; malformed values are ignored (the container just runs). */
export function behaviourOf(annotations: Record<string, string> | undefined): FakeBehaviour {
  const run = Number(annotations?.[runSecondsAnnotation]);
  const code = Number(annotations?.[exitCodeAnnotation] ?? 0);
  return {
    runMs: annotations?.[runSecondsAnnotation] !== undefined && Number.isFinite(run) && run >= 0 ? Math.round(run * 1000) : undefined,
    exitCode: Number.isInteger(code) && code >= 0 && code <= 255 ? code : 0,
  };
}

/** What `containerd` would report as the reason of an exit. */
export function exitReason(code: number): string {
  return code === 0 ? 'Completed' : 'Error';
}
