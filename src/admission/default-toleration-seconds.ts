/**
 * DefaultTolerationSeconds admission (upstream
 * plugin/pkg/admission/defaulttolerationseconds): every pod that does not
 * already tolerate the `not-ready` / `unreachable` NoExecute taints gets a
 * toleration for each with tolerationSeconds from the server's flags
 * (--default-not-ready-toleration-seconds, 300). So a pod on a board that
 * dies is evicted — and replaced elsewhere — five minutes later instead of
 * at once, which rides out reboots and short network blips.
 */
import type { AdmissionPlugin, AdmissionRequest } from '../registry/admission.ts';
import type { ControllerConfig } from '../controllers/manager.ts';

const notReady = 'node.kubernetes.io/not-ready';
const unreachable = 'node.kubernetes.io/unreachable';

interface Toleration {
  key?: string;
  effect?: string;
}

/** Whether some toleration covers `key` with effect NoExecute (an empty key or effect is a wildcard). */
function covers(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
}

export function defaultTolerationSeconds(config: Pick<ControllerConfig, 'defaultNotReadyTolerationSeconds' | 'defaultUnreachableTolerationSeconds'>): AdmissionPlugin {
  return {
    name: 'DefaultTolerationSeconds',
    mutate(req: AdmissionRequest) {
      if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return;
      if (req.resource.group !== '' || req.resource.resource !== 'pods' || req.subresource !== '') return;
      const spec = req.object['spec'];
      if (!spec || typeof spec !== 'object') return;
      const tolerations: Toleration[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
      const add: object[] = [];
      if (!covers(tolerations, notReady)) add.push({ key: notReady, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: config.defaultNotReadyTolerationSeconds });
      if (!covers(tolerations, unreachable)) add.push({ key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: config.defaultUnreachableTolerationSeconds });
      if (add.length) spec.tolerations = [...tolerations, ...add];
    },
  };
}
