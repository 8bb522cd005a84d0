import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isApiError } from '../errors.ts';
import { keyElement } from './field-path.ts';
import { applyConflictError, conflictMessage, describeConflicts, printManager } from './conflicts.ts';
import { managerIdentifier } from './managed-fields.ts';

describe('apply conflicts', () => {
  const managers: { name: string; c: Parameters<typeof printManager>[0]; text: string }[] = [
    { name: 'an applier', c: { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1' }, text: '"kubectl"' },
    { name: 'an updater', c: { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1' }, text: '"kubectl-client-side-apply" using apps/v1' },
    { name: 'a subresource updater', c: { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', subresource: 'scale' }, text: '"kube-controller-manager" with subresource "scale" using apps/v1' },
    { name: 'a subresource applier', c: { manager: 'hpa', operation: 'Apply', apiVersion: 'apps/v1', subresource: 'scale' }, text: '"hpa" with subresource "scale"' },
  ];
  for (const m of managers) {
    it(`names ${m.name} as upstream does`, () => assert.equal(printManager(m.c), m.text));
  }

  const update = managerIdentifier({ manager: 'b-updater', operation: 'Update', apiVersion: 'apps/v1' });
  const apply = managerIdentifier({ manager: 'a-applier', operation: 'Apply' });
  const conflicts = describeConflicts(
    [
      { managerId: update, path: [{ field: 'spec' }, { field: 'replicas' }] },
      { managerId: apply, path: [{ field: 'spec' }, { field: 'template' }, { field: 'spec' }, { field: 'containers' }, keyElement([['name', 'web']]), { field: 'image' }] },
      { managerId: update, path: [{ field: 'metadata' }, { field: 'labels' }, { field: 'app' }] },
    ],
    new Map([[apply, 'apps/v1']]),
  );

  it('groups several conflicts by manager identifier', () => {
    assert.equal(
      conflictMessage(conflicts),
      'Apply failed with 3 conflicts: conflicts with "a-applier":\n- .spec.template.spec.containers[name="web"].image\nconflicts with "b-updater" using apps/v1:\n- .spec.replicas\n- .metadata.labels.app',
    );
  });

  it('builds the 409 with one FieldManagerConflict cause per field', () => {
    const e = applyConflictError(conflicts);
    assert.ok(isApiError(e, 'Conflict'));
    assert.equal(e.code, 409);
    assert.deepEqual(e.details, {
      causes: [
        { reason: 'FieldManagerConflict', message: 'conflict with "a-applier"', field: '.spec.template.spec.containers[name="web"].image' },
        { reason: 'FieldManagerConflict', message: 'conflict with "b-updater" using apps/v1', field: '.spec.replicas' },
        { reason: 'FieldManagerConflict', message: 'conflict with "b-updater" using apps/v1', field: '.metadata.labels.app' },
      ],
    });
  });
});
