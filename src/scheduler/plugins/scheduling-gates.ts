/** SchedulingGates: a pod with `spec.schedulingGates` is not scheduled until they are all removed. */
import type { PodInfo } from '../cache/pod-info.ts';
import type { PreEnqueuePlugin } from '../framework/interfaces.ts';
import { ok, unresolvable, type Status } from '../framework/status.ts';

export class SchedulingGates implements PreEnqueuePlugin {
  readonly name = 'SchedulingGates';

  preEnqueue(pod: PodInfo): Status {
    const gates: { name: string }[] = pod.pod['spec']?.schedulingGates ?? [];
    if (gates.length === 0) return ok;
    return unresolvable(`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`);
  }
}
