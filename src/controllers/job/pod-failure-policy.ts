/**
 * `spec.podFailurePolicy` (upstream pod_failure_policy.go): the first rule
 * matching a failed pod decides what its failure means. `FailJob` fails the
 * whole Job at once, `Ignore` does not count it against backoffLimit,
 * `Count` counts it as usual. Rules match a non-zero exit code of a
 * (named) container, or a pod condition such as `DisruptionTarget`.
 * (`FailIndex` belongs to backoffLimitPerIndex, which bramble does not
 * implement; such rules count the failure.)
 */
import type { Obj } from '../../client/types.ts';

export interface PolicyMatch {
  /** Set when the Job must fail now (a FailJob rule matched). */
  failJobMessage?: string;
  /** Does the failure count against backoffLimit? */
  countFailed: boolean;
  action?: string;
}

function exitCodeMatch(pod: Obj, req: Obj): Obj | undefined {
  const statuses: Obj[] = [...(pod['status']?.initContainerStatuses ?? []), ...(pod['status']?.containerStatuses ?? [])];
  for (const cs of statuses) {
    const t = cs['state']?.terminated;
    if (!t || (req['containerName'] && req['containerName'] !== cs['name'])) continue;
    const code: number = t.exitCode ?? 0;
    if (code === 0) continue;
    const values: number[] = req['values'] ?? [];
    const hit = req['operator'] === 'In' ? values.includes(code) : req['operator'] === 'NotIn' ? !values.includes(code) : false;
    if (hit) return cs;
  }
  return undefined;
}

function conditionMatch(pod: Obj, reqs: Obj[]): Obj | undefined {
  for (const c of (pod['status']?.conditions ?? []) as Obj[]) for (const r of reqs) if (c['type'] === r['type'] && c['status'] === (r['status'] ?? 'True')) return c;
  return undefined;
}

export function matchPodFailurePolicy(policy: Obj | undefined, pod: Obj): PolicyMatch {
  if (!policy) return { countFailed: true };
  const m = pod['metadata'];
  const rules: Obj[] = policy['rules'] ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const action: string = rule['action'];
    let what: string | undefined;
    if (rule['onExitCodes']) {
      const cs = exitCodeMatch(pod, rule['onExitCodes']);
      if (cs) what = `Container ${cs['name']} for pod ${m.namespace}/${m.name} failed with exit code ${cs['state'].terminated.exitCode} matching ${action} rule at index ${i}`;
    } else if (rule['onPodConditions']) {
      const c = conditionMatch(pod, rule['onPodConditions']);
      if (c) what = `Pod ${m.namespace}/${m.name} has condition ${c['type']} matching ${action} rule at index ${i}`;
    }
    if (what === undefined) continue;
    switch (action) {
      case 'Ignore':
        return { countFailed: false, action };
      case 'FailJob':
        return { failJobMessage: what, countFailed: true, action };
      case 'Count':
      case 'FailIndex':
        return { countFailed: true, action };
    }
  }
  return { countFailed: true };
}
