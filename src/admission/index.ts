/**
 * The admission plugins of `bramble server`, in the order they run
 * (upstream's order where it matters: defaults and tolerations before quota).
 */
import type { Registry } from '../registry/registry.ts';
import type { AdmissionPlugin } from '../registry/admission.ts';
import type { ControllerConfig } from '../controllers/manager.ts';
import { defaultTolerationSeconds } from './default-toleration-seconds.ts';
import { limitRangerAdmission } from './limit-ranger.ts';
import { nodeRestriction } from './node-restriction.ts';
import { resourceQuotaAdmission } from './resource-quota.ts';
import { serviceAccountAdmission } from './service-account.ts';
import { serviceIPAdmission } from './service-ip/admission.ts';

export type AdmissionFactory = (registry: Registry, config: ControllerConfig) => AdmissionPlugin;

export const admissionFactories: AdmissionFactory[] = [
  // LimitRange defaults first, as upstream: quota must see the defaulted requests.
  limitRangerAdmission,
  serviceAccountAdmission,
  () => nodeRestriction(),
  // Before quota, as upstream: quota must see the pod as it will be stored.
  (_registry, config) => defaultTolerationSeconds(config),
  // Upstream allocates Service IPs and node ports in storage, after all
  // mutating admission: so it runs last of the mutating plugins here.
  serviceIPAdmission,
  // Validating only, and last, as upstream: it charges the object as every
  // other plugin has left it.
  resourceQuotaAdmission,
];
