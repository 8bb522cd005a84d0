import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isApiError, type StatusReason } from '../errors.ts';
import type { JsonObject } from '../patch/json-value.ts';
import { fixtureSchema, fixtureType } from '../patch/testing/fixture-schema.ts';
import { schema as realSchema } from '../schema/index.ts';
import type { MessageType, Schema } from '../schema/types.ts';
import { applyConflictError } from './conflicts.ts';
import { serverSideApply, type ServerSideApplyResult } from './server-side-apply.ts';
import { updateManagedFields } from './update-managed-fields.ts';
import { containers, entry, lastAppliedKey, manifest, owners, spec, stored, withLastApplied } from './testing/objects.ts';

const t0 = '2024-05-01T10:00:00Z';
const t1 = '2024-05-01T11:00:00Z';
const t2 = '2024-05-01T12:00:00Z';

function ok(r: ServerSideApplyResult): JsonObject {
  if (!r.ok) assert.fail(`unexpected conflicts: ${applyConflictError(r.conflicts).message}`);
  return r.object;
}

function conflictText(r: ServerSideApplyResult): string {
  if (r.ok) assert.fail('expected conflicts');
  return applyConflictError(r.conflicts).message;
}

const owns = (obj: JsonObject, manager: string, operation: string, ...path: string[]) => {
  let node: unknown = entry(obj, manager, operation)?.fieldsV1;
  for (const p of path) node = (node as Record<string, unknown> | undefined)?.[p];
  return node !== undefined;
};

function workflows(schema: Schema, type: MessageType) {
  const base = { apiVersion: 'apps/v1', type, schema };
  const apply = (live: JsonObject | undefined, applied: JsonObject, manager = 'kubectl', force = false, time = t1) =>
    serverSideApply({ ...base, live, applied, manager, force, time });
  /** `kubectl apply` (client-side) of a manifest that did not exist. */
  const clientSideCreate = (m: JsonObject) =>
    updateManagedFields({ ...base, manager: 'kubectl-client-side-apply', time: t0, updated: stored(withLastApplied(m)) });
  const scale = (live: JsonObject, replicas: number, manager = 'kubectl') => {
    const updated = structuredClone(live);
    spec(updated).replicas = replicas;
    return updateManagedFields({ ...base, manager, time: t1, live, updated, subresource: 'scale' });
  };

  it('client-side apply, then server-side apply of the same manifest: no conflict, shared ownership', () => {
    const live = clientSideCreate(manifest({ replicas: 2 }));
    const out = ok(apply(live, manifest({ replicas: 2 })));
    assert.deepEqual(owners(out), ['kubectl/Apply', 'kubectl-client-side-apply/Update']);
    assert.ok(owns(out, 'kubectl', 'Apply', 'f:spec', 'f:replicas'));
    assert.ok(owns(out, 'kubectl-client-side-apply', 'Update', 'f:spec', 'f:replicas'), 'same value: both own it');
    assert.equal(entry(out, 'kubectl', 'Apply')!.time, undefined, 'nothing changed, so upstream sets no time');
    const annotation = ((out.metadata as JsonObject).annotations as JsonObject)[lastAppliedKey] as string;
    assert.deepEqual(JSON.parse(annotation), manifest({ replicas: 2 }), 'the annotation now holds the applied configuration');
    assert.ok(annotation.endsWith('}\n'));
  });

  it('client-side apply, then kubectl server-side apply of a changed replicas: upstream forgives the conflict', () => {
    const live = clientSideCreate(manifest({ replicas: 2 }));
    const out = ok(apply(live, manifest({ replicas: 3 })));
    assert.equal(spec(out).replicas, 3);
    assert.ok(!owns(out, 'kubectl-client-side-apply', 'Update', 'f:spec', 'f:replicas'), 'ownership moved to the applier');
    assert.equal(entry(out, 'kubectl', 'Apply')!.time, t1);
  });

  it('client-side apply, then another applier changing replicas: conflict (contract 5.4)', () => {
    const live = clientSideCreate(manifest({ replicas: 2 }));
    const r = apply(live, manifest({ replicas: 3 }), 'ci');
    assert.equal(conflictText(r), 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    assert.ok(!r.ok);
    assert.deepEqual(applyConflictError(r.conflicts).toStatus(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
      reason: 'Conflict',
      code: 409,
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }] },
    });
  });

  it('--force-conflicts takes the field over', () => {
    const live = clientSideCreate(manifest({ replicas: 2 }));
    const out = ok(apply(live, manifest({ replicas: 3 }), 'ci', true));
    assert.equal(spec(out).replicas, 3);
    assert.ok(owns(out, 'ci', 'Apply', 'f:spec', 'f:replicas'));
    assert.ok(!owns(out, 'kubectl-client-side-apply', 'Update', 'f:spec', 'f:replicas'));
    assert.ok(owns(out, 'kubectl-client-side-apply', 'Update', 'f:spec', 'f:selector'), 'other fields stay with their owner');
  });

  it('a scaled replica count conflicts with kubectl apply even with the annotation', () => {
    const live = scale(clientSideCreate(manifest({ replicas: 2 })), 5);
    assert.deepEqual(owners(live), ['kubectl/Update/scale', 'kubectl-client-side-apply/Update']);
    const r = apply(live, manifest({ replicas: 2 }));
    assert.equal(conflictText(r), 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
  });

  it('kubectl scale after server-side apply takes replicas from the applier', () => {
    const applied = ok(apply(undefined, manifest({ replicas: 2 }), 'kubectl', false, t0));
    const scaled = scale(applied, 4);
    assert.ok(!owns(scaled, 'kubectl', 'Apply', 'f:spec', 'f:replicas'));
    assert.ok(owns(scaled, 'kubectl', 'Update', 'f:spec', 'f:replicas'));
    // Re-applying the manifest (replicas 2) now conflicts with the scale.
    assert.match(conflictText(apply(scaled, manifest({ replicas: 2 }))), /conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas$/);
    // A manifest without replicas leaves the scaled count alone.
    const out = ok(apply(scaled, manifest({})));
    assert.equal(spec(out).replicas, 4);
  });

  it('creates the object when there is none', () => {
    const out = ok(apply(undefined, manifest({ replicas: 2 }), 'kubectl', false, t0));
    assert.equal(spec(out).replicas, 2);
    assert.deepEqual(containers(out), [{ name: 'web', image: 'nginx:1.26' }]);
    assert.deepEqual(owners(out), ['kubectl/Apply']);
    assert.equal(entry(out, 'kubectl')!.time, t0);
    assert.deepEqual(entry(out, 'kubectl')!.fieldsV1, {
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
  });

  it('two appliers share the containers list, each owning its own container', () => {
    const a = ok(apply(undefined, manifest({ containers: [{ name: 'a', image: 'x' }] }), 'alice'));
    const bobConfig = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { template: { spec: { containers: [{ name: 'b', image: 'y' }] } } } };
    const ab = ok(apply(a, bobConfig, 'bob'));
    assert.deepEqual(containers(ab).map((c) => c.name), ['a', 'b']);
    assert.ok(owns(ab, 'alice', 'Apply', 'f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"a"}'));
    assert.ok(!owns(ab, 'alice', 'Apply', 'f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"b"}'));
    assert.ok(owns(ab, 'bob', 'Apply', 'f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"b"}'));
    // Alice swaps her container for another: hers goes, Bob's stays.
    const swapped = ok(apply(ab, manifest({ containers: [{ name: 'c', image: 'z' }] }), 'alice'));
    assert.deepEqual(containers(swapped).map((c) => c.name), ['b', 'c']);
    assert.deepEqual(entry(swapped, 'bob')!.fieldsV1, entry(ab, 'bob')!.fieldsV1);
  });

  it('removing a container from the applied configuration removes it from the object', () => {
    const two = ok(apply(undefined, manifest({ containers: [{ name: 'web', image: 'nginx' }, { name: 'log', image: 'fluent' }] })));
    const one = ok(apply(two, manifest({ containers: [{ name: 'web', image: 'nginx' }] })));
    assert.deepEqual(containers(one).map((c) => [c.name, c.image]), [['web', 'nginx']]);
    assert.ok(!owns(one, 'kubectl', 'Apply', 'f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"log"}'));
  });

  it('a field another applier also owns survives when one applier drops it', () => {
    const a = ok(apply(undefined, manifest({ replicas: 2, labels: { team: 'a' } }), 'alice'));
    const ab = ok(apply(a, manifest({ replicas: 2 }), 'bob'));
    const dropped = ok(apply(ab, manifest({}), 'alice'));
    assert.equal(spec(dropped).replicas, 2, 'bob still owns replicas');
    assert.equal(((dropped.metadata as JsonObject).labels as JsonObject | undefined)?.team, undefined, 'only alice owned the label');
  });

  it('a field an updater took over is left alone when the applier drops it', () => {
    const a = ok(apply(undefined, manifest({ labels: { team: 'a' } }), 'alice'));
    const relabelled = structuredClone(a);
    ((relabelled.metadata as JsonObject).labels as JsonObject).team = 'b';
    const b = updateManagedFields({ ...base, manager: 'kubectl-label', time: t1, live: a, updated: relabelled });
    const out = ok(apply(b, manifest({}), 'alice', false, t2));
    assert.equal(((out.metadata as JsonObject).labels as JsonObject).team, 'b');
  });

  it('an atomic struct conflicts as a whole', () => {
    const a = ok(apply(undefined, manifest({}), 'alice'));
    const other = manifest({});
    spec(other).selector = { matchLabels: { app: 'other' } };
    assert.equal(conflictText(apply(a, other, 'bob')), 'Apply failed with 1 conflict: conflict with "alice": .spec.selector');
  });

  it('names every conflict, grouped by manager, when there are several', () => {
    const live = clientSideCreate(manifest({ replicas: 2 }));
    const changed = manifest({ replicas: 3, containers: [{ name: 'web', image: 'nginx:1.27' }] });
    assert.equal(
      conflictText(apply(live, changed, 'ci')),
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );
  });

  it('a no-op re-apply keeps the entry time', () => {
    const first = ok(apply(undefined, manifest({ replicas: 2 }), 'kubectl', false, t0));
    const again = ok(apply(first, manifest({ replicas: 2 }), 'kubectl', false, t2));
    assert.equal(entry(again, 'kubectl')!.time, t0);
  });

  it('an existing untracked object gives its fields to before-first-apply', () => {
    const live = stored(manifest({ replicas: 2 }));
    const out = ok(apply(live, manifest({ replicas: 2 }), 'ci'));
    assert.deepEqual(owners(out), ['ci/Apply', 'before-first-apply/Update']);
    assert.ok(owns(out, 'before-first-apply', 'Update', 'f:spec', 'f:replicas'));
  });
}

describe('serverSideApply (fixture schema)', () => workflows(fixtureSchema, fixtureType('apps.Deployment')));
describe('serverSideApply (real schema)', () => workflows(realSchema, realSchema.typeForKind('apps', 'v1', 'Deployment')!));

describe('serverSideApply request errors', () => {
  const base = { apiVersion: 'apps/v1', type: fixtureType('apps.Deployment'), schema: fixtureSchema, manager: 'kubectl', force: false, time: t0 };
  const cases: { name: string; applied: JsonObject; reason: StatusReason; message: string }[] = [
    { name: 'another version', applied: { ...manifest({}), apiVersion: 'apps/v1beta1' }, reason: 'BadRequest', message: 'invalid object type: apps/v1beta1, Kind=Deployment' },
    { name: 'another kind', applied: { ...manifest({}), kind: 'StatefulSet' }, reason: 'BadRequest', message: 'invalid object type: apps/v1, Kind=StatefulSet' },
    { name: 'no type at all', applied: { metadata: { name: 'web' } }, reason: 'BadRequest', message: 'invalid object type: /, Kind=' },
    {
      name: 'managedFields in the configuration',
      applied: { ...manifest({}), metadata: { name: 'web', managedFields: [] } },
      reason: 'BadRequest',
      message: 'metadata.managedFields must be nil',
    },
    {
      name: 'duplicate containers',
      applied: manifest({ containers: [{ name: 'web' }, { name: 'web' }] }),
      reason: 'InternalError',
      message: 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="web"]',
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => serverSideApply({ ...base, applied: c.applied }), (e: unknown) => isApiError(e, c.reason) && e.message === c.message);
    });
  }

  it('fails on stored managedFields it cannot read', () => {
    const live = stored(manifest({}));
    (live.metadata as JsonObject).managedFields = [{ manager: 'x', operation: 'Patch', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' }];
    assert.throws(
      () => serverSideApply({ ...base, live, applied: manifest({}) }),
      (e: unknown) => isApiError(e, 'InternalError') && e.message === 'failed to decode managed fields: operation must be `Apply` or `Update`',
    );
  });
});
