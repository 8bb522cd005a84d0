import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldPathError, keyElement, pathToString } from './field-path.ts';
import { FieldSet } from './field-set.ts';
import { fieldSetFromFieldsV1, fieldSetToFieldsV1 } from './fields-v1.ts';

describe('FieldsV1', () => {
  // The shape of a real `kubectl create deployment` entry (keys in upstream's order).
  const encoded = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:spec': {
          'f:containers': {
            'k:{"name":"nginx"}': {
              '.': {},
              'f:image': {},
              'f:name': {},
              'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            },
          },
        },
      },
    },
  };

  it('decodes members, children and "."', () => {
    const set = fieldSetFromFieldsV1(encoded);
    const paths = set.paths().map(pathToString);
    assert.ok(paths.includes('.metadata.labels'), 'a "." makes the node a member');
    assert.ok(paths.includes('.metadata.labels.app'));
    assert.ok(!paths.includes('.metadata'), 'a node without "." is not a member');
    assert.ok(paths.includes('.spec.template.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"].containerPort'));
    assert.equal(set.size(), 10);
  });

  it('encodes back to the same JSON text', () => {
    assert.equal(JSON.stringify(fieldSetToFieldsV1(fieldSetFromFieldsV1(encoded))), JSON.stringify(encoded));
  });

  it('sorts what it writes: fields by name, then keys, values, indices', () => {
    const set = FieldSet.of(
      [{ field: 'z' }],
      [{ field: 'a' }, { index: 1 }],
      [{ field: 'a' }, { value: 'x' }],
      [{ field: 'a' }, keyElement([['k', 1]])],
      [{ field: 'a' }, { field: 'b' }],
    );
    assert.equal(JSON.stringify(fieldSetToFieldsV1(set)), '{"f:a":{"f:b":{},"k:{\\"k\\":1}":{},"v:\\"x\\"":{},"i:1":{}},"f:z":{}}');
  });

  it('round-trips an empty set', () => {
    assert.deepEqual(fieldSetToFieldsV1(new FieldSet()), {});
    assert.ok(fieldSetFromFieldsV1({}).empty());
  });

  it('rejects malformed input', () => {
    assert.throws(() => fieldSetFromFieldsV1([]), FieldPathError);
    assert.throws(() => fieldSetFromFieldsV1({ 'k:{bad': {} }), FieldPathError);
  });
});
