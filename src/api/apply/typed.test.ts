import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureSchema, fixtureType } from '../patch/testing/fixture-schema.ts';
import { schema as realSchema } from '../schema/index.ts';
import { pathToString } from './field-path.ts';
import type { FieldSet } from './field-set.ts';
import { ensureNamedFieldsAreMembers, merge, removeItems } from './typed-merge.ts';
import { TypedSchema } from './typed-schema.ts';
import { compare, toFieldSet, TypedError, validateApplied } from './typed-value.ts';
import { zeroObject } from './zero-object.ts';

const ts = new TypedSchema(fixtureSchema);
const node = ts.root(fixtureType('apps.Deployment'));
const strings = (s: FieldSet) => s.paths().map(pathToString).sort();

const podSpec = (spec: object) => ({ spec: { template: { spec } } });

describe('toFieldSet', () => {
  const cases: { name: string; value: object; want: string[] }[] = [
    { name: 'scalars and maps of scalars', value: { spec: { replicas: 1 }, metadata: { labels: { app: 'x' } } }, want: ['.metadata.labels.app', '.spec.replicas'] },
    { name: 'an atomic struct is one leaf', value: { spec: { selector: { matchLabels: { a: 'b' } } } }, want: ['.spec.selector'] },
    { name: 'an atomic list is one leaf', value: podSpec({ tolerations: [{ key: 'a' }] }), want: ['.spec.template.spec.tolerations'] },
    { name: 'an atomic map is one leaf', value: podSpec({ nodeSelector: { a: 'b' } }), want: ['.spec.template.spec.nodeSelector'] },
    {
      name: 'a keyed list names items by key, with key defaults',
      value: podSpec({ containers: [{ name: 'web', ports: [{ containerPort: 80 }] }] }),
      want: [
        '.spec.template.spec.containers[name="web"]',
        '.spec.template.spec.containers[name="web"].name',
        '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]',
        '.spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].containerPort',
      ],
    },
    { name: 'a set names items by value', value: { metadata: { finalizers: ['a', 'b'] } }, want: ['.metadata.finalizers[="a"]', '.metadata.finalizers[="b"]'] },
    { name: 'empty and null members are members', value: { spec: { strategy: {}, paused: null } }, want: ['.spec.paused', '.spec.strategy'] },
    { name: 'unknown fields are members and deduced', value: { spec: { extra: { a: [1, 2] } } }, want: ['.spec.extra', '.spec.extra.a'] },
    { name: 'duplicated keys become one member', value: podSpec({ containers: [{ name: 'a' }, { name: 'a', image: 'x' }] }), want: ['.spec.template.spec.containers[name="a"]'] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(strings(toFieldSet(ts, c.value, node)), c.want.sort()));
  }
});

describe('compare', () => {
  it('sorts changes into added, modified and removed', () => {
    const a = { spec: { replicas: 1, paused: true, template: { metadata: { labels: { a: '1' } } } } };
    const b = { spec: { replicas: 2, minReadySeconds: 5, template: { metadata: { labels: { a: '1', b: '2' } } } } };
    const c = compare(ts, a, b, node);
    assert.deepEqual(strings(c.modified), ['.spec.replicas']);
    assert.deepEqual(strings(c.added), ['.spec.minReadySeconds', '.spec.template.metadata.labels.b']);
    assert.deepEqual(strings(c.removed), ['.spec.paused']);
  });

  it('marks a node added only when it was absent, not when it was null or empty', () => {
    const c = compare(ts, { spec: { strategy: {}, selector: null } }, { spec: { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }, selector: { matchLabels: {} } } }, node);
    assert.deepEqual(strings(c.added), ['.spec.strategy.rollingUpdate', '.spec.strategy.rollingUpdate.maxSurge', '.spec.strategy.type']);
    assert.deepEqual(strings(c.modified), ['.spec.selector']);
  });

  it('compares an atomic list as a whole', () => {
    const c = compare(ts, podSpec({ tolerations: [{ key: 'a' }] }), podSpec({ tolerations: [{ key: 'a' }, { key: 'b' }] }), node);
    assert.deepEqual(strings(c.modified), ['.spec.template.spec.tolerations']);
  });
});

describe('merge', () => {
  it('merges keyed lists item by item and keeps live order', () => {
    const live = podSpec({ containers: [{ name: 'a', image: '1', env: [{ name: 'X', value: '1' }] }, { name: 'b', image: '1' }] });
    const cfg = podSpec({ containers: [{ name: 'b', image: '2' }, { name: 'c', image: '3' }] });
    const out = merge(ts, live, cfg, node) as ReturnType<typeof podSpec>;
    assert.deepEqual((out.spec.template.spec as { containers: unknown }).containers, [
      { name: 'a', image: '1', env: [{ name: 'X', value: '1' }] },
      { name: 'b', image: '2' },
      { name: 'c', image: '3' },
    ]);
  });

  // Orders upstream's typed merge tests pin down (live, config, result), by container name.
  const orders: [string[], string[], string[]][] = [
    [['b'], ['a', 'b', 'c'], ['a', 'b', 'c']],
    [['a', 'b', 'c'], ['c', 'b'], ['a', 'c', 'b']],
    [['a', 'b', 'c'], ['c', 'a'], ['b', 'c', 'a']],
    [['a', 'x'], ['a', 'y'], ['a', 'x', 'y']],
  ];
  for (const [live, cfg, want] of orders) {
    it(`orders [${live}] + [${cfg}] as [${want}]`, () => {
      const list = (names: string[]) => podSpec({ containers: names.map((name) => ({ name })) });
      const out = merge(ts, list(live), list(cfg), node) as ReturnType<typeof podSpec>;
      assert.deepEqual((out.spec.template.spec as { containers: { name: string }[] }).containers.map((c) => c.name), want);
    });
  }

  it('places a new item after the shared item that precedes it in the config', () => {
    const live = { metadata: { finalizers: ['a', 'b', 'c'] } };
    const out = merge(ts, live, { metadata: { finalizers: ['b', 'x', 'c'] } }, node) as typeof live;
    assert.deepEqual(out.metadata.finalizers, ['a', 'b', 'x', 'c']);
  });

  it('replaces atomic values and maps whole', () => {
    const live = { spec: { selector: { matchLabels: { a: '1', b: '2' } } }, metadata: { labels: { a: '1' } } };
    const out = merge(ts, live, { spec: { selector: { matchLabels: { c: '3' } } }, metadata: { labels: { b: '2' } } }, node);
    assert.deepEqual(out, { spec: { selector: { matchLabels: { c: '3' } } }, metadata: { labels: { a: '1', b: '2' } } });
  });
});

describe('removeItems and named fields', () => {
  it('removes list items, map entries and whole named fields', () => {
    const obj = { metadata: { labels: { a: '1', b: '2' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } } };
    const set = toFieldSet(ts, { metadata: { labels: { a: 'x' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'a' }] } } } }, node);
    const out = removeItems(ts, obj, set, node);
    assert.deepEqual(out, { metadata: { labels: { b: '2' } }, spec: { template: { spec: { containers: [{ name: 'b' }] } } } });
    const named = ensureNamedFieldsAreMembers(ts, set, node);
    assert.ok(named.has([{ field: 'metadata' }, { field: 'labels' }]), 'labels is a declared field of ObjectMeta');
    assert.ok(named.has([{ field: 'spec' }, { field: 'template' }]));
    assert.ok(!named.has([{ field: 'metadata' }, { field: 'labels' }, { field: 'a' }]) || set.has([{ field: 'metadata' }, { field: 'labels' }, { field: 'a' }]));
    // The top-level fields become members too, so removing the set removes everything.
    assert.equal(removeItems(ts, obj, named, node), null);
  });
});

describe('validateApplied', () => {
  const bad: { name: string; value: object; message: string }[] = [
    { name: 'duplicate keys', value: podSpec({ containers: [{ name: 'a' }, { name: 'a' }] }), message: '.spec.template.spec.containers: duplicate entries for key [name="a"]' },
    {
      name: 'an item without key fields (and no default for them)',
      value: podSpec({ imagePullSecrets: [{}] }),
      message: `.spec.template.spec.imagePullSecrets: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn't have default values for any key fields)`,
    },
    { name: 'a map in a set', value: { metadata: { finalizers: [{}] } }, message: ".metadata.finalizers: element 0: associative list without keys has an element that's a map type" },
    { name: 'duplicate set members', value: { metadata: { finalizers: ['a', 'a'] } }, message: '.metadata.finalizers: duplicate entries for key [="a"]' },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => validateApplied(ts, c.value, node), (e: unknown) => e instanceof TypedError && e.message === c.message);
    });
  }
  it('uses the key default for an item without its key', () => {
    // Container.name defaults to "" in the OpenAPI upstream publishes.
    const set = toFieldSet(ts, podSpec({ containers: [{ image: 'x' }] }), node);
    assert.ok(strings(set).includes('.spec.template.spec.containers[name=""]'));
  });
  it('accepts duplicates in atomic lists', () => validateApplied(ts, podSpec({ tolerations: [{ key: 'a' }, { key: 'a' }] }), node));
});

describe('zeroObject', () => {
  it('renders an empty Deployment as Go would', () => {
    assert.deepEqual(zeroObject(fixtureType('apps.Deployment'), fixtureSchema), {
      metadata: { creationTimestamp: null },
      spec: { selector: null, template: { metadata: { creationTimestamp: null }, spec: { containers: null } }, strategy: {} },
      status: {},
    });
  });

  it('renders an empty Deployment from the real schema the same way', () => {
    const type = realSchema.typeForKind('apps', 'v1', 'Deployment')!;
    assert.deepEqual(zeroObject(type, realSchema), {
      metadata: { creationTimestamp: null },
      spec: { selector: null, template: { metadata: { creationTimestamp: null }, spec: { containers: null } }, strategy: {} },
      status: {},
    });
  });
});
