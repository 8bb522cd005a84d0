import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../patch/json-value.ts';
import { fixtureSchema, fixtureType } from '../patch/testing/fixture-schema.ts';
import { applyConflictError } from './conflicts.ts';
import { buildLastApplied, lastAppliedAnnotation } from './last-applied.ts';
import { serverSideApply } from './server-side-apply.ts';
import { updateManagedFields } from './update-managed-fields.ts';

/**
 * The object is created by a client-side applier ("test_client_side_apply")
 * with `lastApplied` in the annotation, then applied server-side. These are
 * the cases of upstream's lastappliedmanager tests.
 */
function applyOver(kind: 'apps.Deployment' | 'core.Service', apiVersion: string, lastApplied: JsonObject, original: JsonObject, applied: JsonObject, manager: string) {
  const type = fixtureType(kind);
  const withAnnotation = structuredClone(original);
  (withAnnotation.metadata as JsonObject).annotations = { [lastAppliedAnnotation]: JSON.stringify(lastApplied) };
  const base = { apiVersion, type, schema: fixtureSchema };
  const live = updateManagedFields({ ...base, manager: 'test_client_side_apply', time: '2024-01-01T00:00:00Z', updated: withAnnotation });
  const run = (force: boolean) => serverSideApply({ ...base, manager, force, time: '2024-01-02T00:00:00Z', live, applied });
  return { result: run(false), forced: run(true) };
}

function deployment(o: { replicas: number; image?: string; labels?: Record<string, string>; selector?: string; podLabel?: string; containers?: JsonObject[] }): JsonObject {
  const metadata: JsonObject = { name: 'my-deployment' };
  if (o.labels) metadata.labels = o.labels;
  const spec: JsonObject = {
    replicas: o.replicas,
    template: { metadata: { labels: { app: o.podLabel ?? 'my-app' } }, spec: { containers: o.containers ?? [{ name: 'my-c', image: o.image ?? 'my-image' }] } },
  };
  if (o.selector !== '') spec.selector = { matchLabels: { app: o.selector ?? 'my-app' } };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec };
}

describe('kubectl server-side apply over client-side apply', () => {
  const cases: { name: string; lastApplied: JsonObject; original: JsonObject; applied: JsonObject; conflicts?: string }[] = [
    {
      name: 'fields that drifted from the annotation still conflict; unchanged ones do not',
      lastApplied: deployment({ replicas: 3, containers: [{ name: 'my-c', image: 'my-image-v1' }, { name: 'my-c2', image: 'my-image2' }] }),
      original: deployment({ replicas: 100, image: 'my-image-v2', labels: { app: 'my-app' } }),
      applied: deployment({ replicas: 333, image: 'my-image-new', labels: { app: 'my-new-label' }, selector: 'my-new-label', podLabel: 'my-new-label' }),
      conflicts:
        'Apply failed with 3 conflicts: conflicts with "test_client_side_apply" using apps/v1:\n- .metadata.labels.app\n- .spec.replicas\n- .spec.template.spec.containers[name="my-c"].image',
    },
    {
      name: 'a value that differs from the annotation conflicts',
      lastApplied: deployment({ replicas: 3, labels: { app: 'my-app' } }),
      original: deployment({ replicas: 100, labels: { app: 'my-app' } }),
      applied: deployment({ replicas: 3, labels: { app: 'my-new-label' }, selector: '' }),
      conflicts: 'Apply failed with 1 conflict: conflict with "test_client_side_apply" using apps/v1: .spec.replicas',
    },
    {
      name: 'applying what is there is fine',
      lastApplied: deployment({ replicas: 100, labels: { app: 'my-app' } }),
      original: deployment({ replicas: 100, labels: { app: 'my-app' } }),
      applied: deployment({ replicas: 100, labels: { app: 'my-app' } }),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { result, forced } = applyOver('apps.Deployment', 'apps/v1', c.lastApplied, c.original, c.applied, 'kubectl');
      if (c.conflicts === undefined) assert.ok(result.ok);
      else {
        assert.ok(!result.ok);
        assert.equal(applyConflictError(result.conflicts).message, c.conflicts);
      }
      assert.ok(forced.ok, 'force resolves every conflict');
      assert.equal((forced.object.spec as JsonObject).replicas, (c.applied.spec as JsonObject).replicas);
    });
  }

  const service = (targetPort: number, selector: Record<string, string>): JsonObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'test' },
    spec: { ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort }], selector },
  });

  it('kubectl may change what it applied before', () => {
    const { result } = applyOver('core.Service', 'v1', service(8443, { old: 'test' }), service(8443, { old: 'test' }), service(8444, { new: 'test' }), 'kubectl');
    assert.ok(result.ok);
  });

  it('another manager gets the conflicts, the atomic selector as one field', () => {
    const { result } = applyOver('core.Service', 'v1', service(8443, { old: 'test' }), service(8443, { old: 'test' }), service(8444, { new: 'test' }), 'not_kubectl');
    assert.ok(!result.ok);
    assert.deepEqual(
      result.conflicts.map((c) => c.field),
      ['.spec.selector', '.spec.ports[port=443,protocol="TCP"].targetPort'],
    );
  });
});

describe('buildLastApplied', () => {
  it('writes the configuration as Go does, without the annotation itself', () => {
    const applied = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x', annotations: { [lastAppliedAnnotation]: 'old', b: 'a<b' } }, data: { z: '1', a: '2' } };
    assert.equal(buildLastApplied(applied), '{"apiVersion":"v1","data":{"a":"2","z":"1"},"kind":"ConfigMap","metadata":{"annotations":{"b":"a\\u003cb"},"name":"x"}}\n');
    assert.equal(applied.metadata.annotations[lastAppliedAnnotation], 'old', 'the input is not modified');
  });
});
