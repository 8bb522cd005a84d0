/**
 * NodeRestriction, as upstream's admission plugin: a node credential may
 * write only its own Node and Lease, and only pods bound to itself (status
 * updates, and deleting them once stopped); it may not create pods or give
 * its Node labels under `node-restriction.kubernetes.io/`. Messages follow
 * upstream's wording.
 */
import { errors } from '../api/errors.ts';
import { nodeNameOf } from '../apiserver/node-authorizer.ts';
import type { AdmissionPlugin, AdmissionRequest } from '../registry/admission.ts';

const restrictedLabel = 'node-restriction.kubernetes.io/';

function refuse(req: AdmissionRequest, why: string): never {
  throw errors.forbidden(req.resource, req.name, why);
}

export function nodeRestriction(): AdmissionPlugin {
  return {
    name: 'NodeRestriction',
    validate(req) {
      const node = nodeNameOf(req.user);
      if (!node) return;
      const r = `${req.resource.group}/${req.resource.resource}`;
      switch (r) {
        case '/pods': {
          if (req.operation === 'CREATE') refuse(req, `node "${node}" can not create pods (mirror pods are not supported)`);
          const bound = (req.oldObject ?? req.object)['spec']?.nodeName;
          if (req.operation === 'UPDATE' && bound !== node) refuse(req, `node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
          if (req.operation === 'DELETE' && bound !== node) refuse(req, `node "${node}" can only delete pods with spec.nodeName set to itself`);
          return;
        }
        case '/nodes': {
          if (req.name !== node) refuse(req, `node "${node}" is not allowed to modify node "${req.name}"`);
          const labels: Record<string, string> = req.object['metadata']?.labels ?? {};
          const old: Record<string, string> = req.oldObject?.['metadata']?.labels ?? {};
          for (const k of new Set([...Object.keys(labels), ...Object.keys(old)])) {
            if (k.startsWith(restrictedLabel) && labels[k] !== old[k]) {
              refuse(req, `node "${node}" is not allowed to modify labels: ${k}`);
            }
          }
          return;
        }
        case 'coordination.k8s.io/leases':
          if (req.namespace !== 'kube-node-lease' || req.name !== node) refuse(req, `can only access node lease with the same name as the requesting node`);
          return;
      }
    },
  };
}
