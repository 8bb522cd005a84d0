/**
 * The ServiceAccount admission plugin (mutating), after upstream's
 * plugin/pkg/admission/serviceaccount, for pods being created:
 * - a pod without `spec.serviceAccountName` runs as `default` (and the
 *   deprecated `spec.serviceAccount` says the same, as the v1 API shows it);
 * - the ServiceAccount's imagePullSecrets are copied to a pod that has none;
 * - a pod naming a ServiceAccount that does not exist is refused, as
 *   upstream (`error looking up service account …`), except `default`: the
 *   serviceaccount controller creates that one moments after its namespace,
 *   and nothing depends on it yet;
 * - mirror pods (static pods of a node agent) are not changed, and may not
 *   reference service accounts or secrets.
 *
 * TODO(node agent): mounting the ServiceAccount token (the projected
 * `kube-api-access-*` volume and its volumeMounts) comes with the node
 * agent, which must serve the TokenRequest it depends on.
 */
import { errors, isApiError } from '../api/errors.ts';
import { InProcessClient } from '../client/in-process.ts';
import { resources } from '../client/types.ts';
import type { AdmissionPlugin, AdmissionRequest } from '../registry/admission.ts';
import type { Registry } from '../registry/registry.ts';
import type { Obj } from '../registry/types.ts';
import type { ControllerConfig } from '../controllers/manager.ts';
import { nameForMessage } from './resource-quota.ts';

export const defaultServiceAccountName = 'default';
const mirrorPodAnnotation = 'kubernetes.io/config.mirror';

const isPodCreate = (req: AdmissionRequest) =>
  req.operation === 'CREATE' && req.subresource === '' && req.resource.group === '' && req.resource.resource === 'pods';

/** Whether the pod names any Secret (the common places upstream's VisitPodSecretNames looks). */
function referencesSecrets(spec: Obj): boolean {
  if ((spec.imagePullSecrets ?? []).length) return true;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])] as Obj[]) {
    if ((c?.envFrom ?? []).some((e: Obj) => e?.secretRef)) return true;
    if ((c?.env ?? []).some((e: Obj) => e?.valueFrom?.secretKeyRef)) return true;
  }
  return ((spec.volumes ?? []) as Obj[]).some((v) => v?.secret || (v?.projected?.sources ?? []).some((s: Obj) => s?.secret));
}

/** Why a mirror pod is refused, if it is (upstream's wording). */
function mirrorPodProblem(pod: Obj): string | undefined {
  const spec = pod['spec'] ?? {};
  if (spec.serviceAccountName) return 'a mirror pod may not reference service accounts';
  if (referencesSecrets(spec)) return 'a mirror pod may not reference secrets';
  if (((spec.volumes ?? []) as Obj[]).some((v) => (v?.projected?.sources ?? []).some((s: Obj) => s?.serviceAccountToken))) {
    return 'a mirror pod may not use ServiceAccountToken volume projections';
  }
  return undefined;
}

export function newServiceAccountPlugin(getServiceAccount: (namespace: string, name: string) => Promise<Obj | undefined>): AdmissionPlugin {
  return {
    name: 'ServiceAccount',
    async mutate(req) {
      if (!isPodCreate(req)) return;
      const pod = req.object;
      const spec: Obj = (pod['spec'] ??= {});
      const forbid = (why: string) => errors.forbidden(req.resource, nameForMessage(pod, req.name), why);
      if (pod['metadata']?.annotations?.[mirrorPodAnnotation] !== undefined) {
        const problem = mirrorPodProblem(pod);
        if (problem) throw forbid(problem);
        return;
      }
      // The deprecated field alone means the same (v1 conversion does this upstream).
      if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
      if (!spec.serviceAccountName) spec.serviceAccountName = defaultServiceAccountName;
      spec.serviceAccount = spec.serviceAccountName;
      const sa = await getServiceAccount(req.namespace, spec.serviceAccountName);
      if (!sa) {
        if (spec.serviceAccountName === defaultServiceAccountName) return;
        throw forbid(`error looking up service account ${req.namespace}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`);
      }
      const pullSecrets: Obj[] = sa['imagePullSecrets'] ?? [];
      if (!(spec.imagePullSecrets ?? []).length && pullSecrets.length) spec.imagePullSecrets = pullSecrets.map((s) => ({ name: s.name }));
    },
  };
}

const serviceAccountUser = { name: 'system:apiserver', groups: ['system:masters'], via: 'token' as const };

/** The factory `src/admission/index.ts` lists. */
export function serviceAccountAdmission(registry: Registry, _config: ControllerConfig): AdmissionPlugin {
  const client = new InProcessClient(registry, serviceAccountUser);
  return newServiceAccountPlugin(async (namespace, name) => {
    try {
      return await client.get(resources.serviceaccounts, namespace, name);
    } catch (e) {
      if (isApiError(e, 'NotFound')) return undefined;
      throw e;
    }
  });
}
