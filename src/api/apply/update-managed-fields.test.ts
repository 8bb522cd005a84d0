import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../patch/json-value.ts';
import { fixtureSchema, fixtureType } from '../patch/testing/fixture-schema.ts';
import { schema as realSchema } from '../schema/index.ts';
import type { MessageType, Schema } from '../schema/types.ts';
import { updateManagedFields } from './update-managed-fields.ts';
import { entries, entry, manifest, owners, spec, stored, withLastApplied } from './testing/objects.ts';

const t0 = '2024-05-01T10:00:00Z';
const t1 = '2024-05-01T11:00:00Z';
const t2 = '2024-05-01T12:00:00Z';

function suite(schema: Schema, type: MessageType) {
  const base = { apiVersion: 'apps/v1', type, schema };
  const create = (m: JsonObject, manager = 'kubectl-create') =>
    updateManagedFields({ ...base, manager, time: t0, updated: stored(m) });
  const update = (live: JsonObject, change: (o: JsonObject) => void, manager: string, time = t1, extra: object = {}) => {
    const updated = structuredClone(live);
    change(updated);
    return updateManagedFields({ ...base, manager, time, live, updated, ...extra });
  };
  const setImage = (image: string) => (o: JsonObject) => {
    ((((o.spec as JsonObject).template as JsonObject).spec as JsonObject).containers as JsonObject[])[0].image = image;
  };

  it('records a create: the creator owns every field it set, with "." where a node was absent', () => {
    // Compared with the empty Go object: struct fields (strategy, template) exist there, so they get no ".".
    const m = manifest({ replicas: 2, containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] });
    spec(m).strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } };
    const out = create(m);
    assert.deepEqual(entries(out), [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: t0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} }, 'f:type': {} },
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"web"}': {
                    '.': {},
                    'f:image': {},
                    'f:name': {},
                    'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                    // Go's Container always carries resources, so the creator owns the empty struct.
                    'f:resources': {},
                  },
                },
              },
            },
          },
        },
      },
    ]);
  });

  it('moves ownership of changed fields to the writer', () => {
    const live = create(manifest({ replicas: 2 }));
    const out = update(live, setImage('nginx:1.27'), 'kubectl-set');
    assert.deepEqual(owners(out), ['kubectl-create/Update', 'kubectl-set/Update']);
    const set = entry(out, 'kubectl-set')!;
    assert.equal(set.time, t1);
    assert.deepEqual(set.fieldsV1, { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } } } });
    const creator = entry(out, 'kubectl-create')!;
    assert.equal(creator.time, t0, 'the previous owner keeps its time');
    const container = (((creator.fieldsV1!['f:spec'] as JsonObject)['f:template'] as JsonObject)['f:spec'] as JsonObject)['f:containers'] as JsonObject;
    assert.deepEqual(container['k:{"name":"web"}'], { '.': {}, 'f:name': {}, 'f:resources': {} });
  });

  it('merges repeated writes by one manager into one entry and moves its time', () => {
    const live = create(manifest({ replicas: 2 }));
    const once = update(live, setImage('a'), 'kubectl-set', t1);
    const twice = update(once, (o) => void (spec(o).replicas = 5), 'kubectl-set', t2);
    assert.deepEqual(owners(twice), ['kubectl-create/Update', 'kubectl-set/Update']);
    const set = entry(twice, 'kubectl-set')!;
    assert.equal(set.time, t2);
    assert.ok((set.fieldsV1!['f:spec'] as JsonObject)['f:replicas'], 'owns replicas');
    assert.ok((set.fieldsV1!['f:spec'] as JsonObject)['f:template'], 'still owns the image');
  });

  it('leaves entries alone when a write changes nothing', () => {
    const live = create(manifest({ replicas: 2 }));
    const out = update(live, () => {}, 'someone-else', t2);
    assert.deepEqual(entries(out), entries(live));
  });

  it('drops a manager whose fields were all taken or removed', () => {
    const live = create(manifest({ replicas: 2 }));
    const labelled = update(live, (o) => void ((o.metadata as JsonObject).labels = { team: 'a' }), 'kubectl-label', t1);
    const unlabelled = update(labelled, (o) => void delete (o.metadata as JsonObject).labels, 'kubectl-label-2', t2);
    assert.deepEqual(owners(unlabelled), ['kubectl-create/Update'], 'removing the label removes it from its owner, leaving nothing');
  });

  it('does not start tracking an existing object that has no managedFields', () => {
    const live = stored(manifest({ replicas: 2 }));
    const out = update(live, setImage('x'), 'kubectl-set');
    assert.equal((out.metadata as JsonObject).managedFields, undefined);
  });

  it('clears managedFields when a write sends an empty list', () => {
    const live = create(manifest({ replicas: 2 }));
    const out = update(live, (o) => void ((o.metadata as JsonObject).managedFields = []), 'kubectl-edit');
    assert.equal((out.metadata as JsonObject).managedFields, undefined);
  });

  it('uses managedFields the write supplies', () => {
    const live = create(manifest({ replicas: 2 }));
    const mine = [{ manager: 'me', operation: 'Update', apiVersion: 'apps/v1', time: t0, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
    const out = update(live, (o) => void ((o.metadata as JsonObject).managedFields = mine), 'kubectl-replace');
    assert.deepEqual(entries(out), mine);
  });

  it('keeps the stored managedFields when the write is a subresource write that tries to set them', () => {
    const live = create(manifest({ replicas: 2 }));
    const out = update(live, (o) => {
      (o.metadata as JsonObject).managedFields = [];
      o.status = { replicas: 2 };
    }, 'kube-controller-manager', t1, { subresource: 'status' });
    assert.deepEqual(owners(out), ['kubectl-create/Update', 'kube-controller-manager/Update/status']);
    assert.deepEqual(entry(out, 'kube-controller-manager')!.fieldsV1, { 'f:status': { 'f:replicas': {} } });
  });

  it('gives no ownership of ignored fields (the reset fields of a resource)', () => {
    const live = create(manifest({ replicas: 2 }));
    const out = update(live, (o) => {
      o.status = { replicas: 2 };
      spec(o).paused = true;
    }, 'writer', t1, { ignoredFields: [[{ field: 'status' }]] });
    assert.deepEqual(entry(out, 'writer')!.fieldsV1, { 'f:spec': { 'f:paused': {} } });
  });

  it('keeps at most ten Update entries, folding the oldest into ancient-changes', () => {
    let obj = create(manifest({ replicas: 2 }));
    for (let i = 1; i <= 10; i++) {
      const time = `2024-05-01T11:${String(i).padStart(2, '0')}:00Z`;
      obj = update(obj, (o) => void ((o.metadata as JsonObject).labels = { ...((o.metadata as JsonObject).labels as object), [`l${i}`]: 'x' }), `writer-${i}`, time);
    }
    const names = entries(obj).map((e) => e.manager);
    assert.equal(names.length, 10);
    assert.equal(names[0], 'ancient-changes', 'the oldest two (kubectl-create, writer-1) were folded');
    assert.ok(!names.includes('kubectl-create') && !names.includes('writer-1'));
    const ancient = entry(obj, 'ancient-changes')!;
    assert.equal(ancient.time, '2024-05-01T11:01:00Z');
    assert.ok((ancient.fieldsV1!['f:spec'] as JsonObject)['f:replicas'], 'kept the creator fields');
  });

  it('keeps the stored entries when the new object cannot be read', () => {
    const live = create(manifest({ replicas: 2 }));
    const out = update(live, (o) => void ((((o.spec as JsonObject).template as JsonObject).spec as JsonObject).containers = ['not-an-object']), 'broken');
    assert.deepEqual(entries(out), entries(live));
  });

  it('scale takes the replica count from its owner (kubectl scale after kubectl apply)', () => {
    const live = create(withLastApplied(manifest({ replicas: 2 })), 'kubectl-client-side-apply');
    const out = update(live, (o) => void (spec(o).replicas = 5), 'kubectl', t1, { subresource: 'scale' });
    assert.deepEqual(owners(out), ['kubectl/Update/scale', 'kubectl-client-side-apply/Update']);
    const scale = entry(out, 'kubectl', 'Update', 'scale')!;
    // Upstream writes the parent entry from the Scale's without a time.
    assert.deepEqual(scale, { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale' });
    assert.equal((entry(out, 'kubectl-client-side-apply')!.fieldsV1!['f:spec'] as JsonObject)['f:replicas'], undefined);
  });

  it('scale of an object whose replica count nobody owns records nothing', () => {
    const live = create(manifest({}));
    const out = update(live, (o) => void (spec(o).replicas = 3), 'kubectl', t1, { subresource: 'scale' });
    assert.deepEqual(entries(out), entries(live));
  });
}

describe('updateManagedFields (fixture schema)', () => suite(fixtureSchema, fixtureType('apps.Deployment')));
describe('updateManagedFields (real schema)', () => suite(realSchema, realSchema.typeForKind('apps', 'v1', 'Deployment')!));
