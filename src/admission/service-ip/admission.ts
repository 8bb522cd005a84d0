/**
 * The Service IP and port admission plugin: upstream's Service REST storage
 * allocation (BeginCreate/BeginUpdate) as a mutating admission step, which
 * runs where upstream's does — after defaulting, before validation — so
 * validation sees the allocated clusterIP, nodePorts and families.
 */
import type { AdmissionPlugin, AdmissionRequest } from '../../registry/admission.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Obj } from '../../registry/types.ts';
import type { ControllerConfig } from '../../controllers/manager.ts';
import { allocateCreate, allocateUpdate, updateNeedsAllocation } from './allocate.ts';
import { ClaimContentionError, ServiceAllocator, type AllocatorOptions } from './allocator.ts';
import { backendClaims } from './claims.ts';
import { dropTypeDependentFields, initIPFamilies, normalizeClusterIPs, patchAllocatedValues } from './service-fields.ts';
import { errors } from '../../api/errors.ts';

export const serviceIPPluginName = 'ServiceIPAllocation';

/** Builds the plugin over any source of stored Services (the registry in the server). */
export function newServiceIPPlugin(opts: AllocatorOptions): AdmissionPlugin & { allocator: ServiceAllocator } {
  const allocator = new ServiceAllocator(opts);
  return {
    name: serviceIPPluginName,
    allocator,
    async mutate(req: AdmissionRequest) {
      if (req.resource.group !== '' || req.resource.resource !== 'services' || req.subresource !== '') return;
      if (req.operation === 'DELETE') return;
      const svc = req.object;
      const spec: Obj = (svc['spec'] ??= {});
      const oldSpec: Obj | undefined = req.operation === 'UPDATE' ? (req.oldObject?.['spec'] ?? {}) : undefined;
      if (oldSpec) {
        // The stored object holds its values: storage protects them now, so
        // reservations made when they were claimed can end.
        allocator.forget(`${req.namespace}/${req.name}`, req.oldObject!);
        patchAllocatedValues(spec, oldSpec);
        normalizeClusterIPs(spec, oldSpec);
        dropTypeDependentFields(spec, oldSpec);
      } else normalizeClusterIPs(spec);
      const familyErrs = initIPFamilies(spec, oldSpec);
      if (familyErrs.length) throw errors.invalid('', 'Service', req.name, familyErrs);
      if (oldSpec && !updateNeedsAllocation(spec, oldSpec)) return;
      const owner = { key: `${req.namespace}/${req.name}`, uid: svc['metadata']?.uid ?? '' };
      // The allocator may run this again (a value was claimed by another API server): each round starts from the spec as it is now.
      const input = structuredClone(spec);
      let round = 0;
      try {
        await allocator.run(owner, { dryRun: req.dryRun, excludeOwner: req.operation === 'UPDATE' }, (txn) => {
          if (round++ > 0) svc['spec'] = structuredClone(input);
          return oldSpec ? allocateUpdate(svc, req.oldObject!, txn) : allocateCreate(svc, txn);
        });
      } catch (e) {
        // 409: clients retry, as after any write conflict.
        if (e instanceof ClaimContentionError) throw errors.conflict({ group: '', resource: 'services' }, req.name, e.message);
        throw e;
      }
    },
    validate(req: AdmissionRequest) {
      if (req.resource.group !== '' || req.resource.resource !== 'services' || req.subresource !== '') return;
      if (req.operation === 'DELETE' && !req.dryRun && req.oldObject) allocator.forget(`${req.namespace}/${req.name}`, req.oldObject);
    },
  };
}

/** The factory `src/admission/index.ts` lists. */
export function serviceIPAdmission(registry: Registry, config: ControllerConfig): AdmissionPlugin {
  const store = registry.storeFor('', 'services');
  return newServiceIPPlugin({
    serviceCIDR: config.serviceCIDR,
    nodePortRange: config.nodePortRange,
    listServices: async () => (await store.list('')).items,
    claims: config.sharedDatastore ? backendClaims(registry.backend) : undefined,
  });
}
