import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelSelector, fromLabelSelector, formatLabelSelector, SelectorError } from './label.ts';
import { parseFieldSelector } from './field.ts';

describe('label selector strings', () => {
  const labels = { app: 'nginx', tier: 'web', n: '5' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=nginx', true],
    ['app==nginx', true],
    ['app=other', false],
    ['app!=other', true],
    ['missing!=x', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app in (nginx, apache)', true],
    ['app notin (nginx)', false],
    ['missing notin (a)', true],
    ['app=nginx,tier=db', false],
    ['app=nginx , tier=web', true],
    ['n>4', true],
    ['n<5', false],
    ['example.com/role', false],
  ];
  for (const [sel, want] of cases) {
    it(`${JSON.stringify(sel)} → ${want}`, () => assert.equal(parseLabelSelector(sel).matches(labels), want));
  }
  it('prints the canonical form sorted by key', () => {
    assert.equal(parseLabelSelector('tier in (b,a),app=x,!z').toString(), 'app=x,tier in (a,b),!z');
  });
  for (const bad of ['app=', 'app in nginx', '=x', 'app=n ginx', 'a b', '-bad!=x', 'n>x', 'app in (a', 'x/=y']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      // 'app=' is valid upstream (empty value), so it must parse; the rest must not.
      if (bad === 'app=') assert.equal(parseLabelSelector(bad).matches({ app: '' }), true);
      else assert.throws(() => parseLabelSelector(bad), SelectorError);
    });
  }
});

describe('structured label selectors', () => {
  it('combines matchLabels and matchExpressions', () => {
    const s = fromLabelSelector({
      matchLabels: { app: 'nginx' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'stage'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    assert.equal(s.matches({ app: 'nginx', env: 'prod' }), true);
    assert.equal(s.matches({ app: 'nginx', env: 'prod', canary: 'y' }), false);
    assert.equal(s.matches({ app: 'nginx', env: 'dev' }), false);
    assert.equal(s.toString(), 'app=nginx,!canary,env in (prod,stage)');
  });
  it('nil selects nothing, empty selects everything', () => {
    assert.equal(fromLabelSelector(undefined).matches({ a: 'b' }), false);
    assert.equal(fromLabelSelector({}).matches({ a: 'b' }), true);
  });
  it('rejects bad operators and empty In', () => {
    assert.throws(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), SelectorError);
    assert.throws(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), SelectorError);
  });
  it('formats like kubectl wide columns', () => {
    assert.equal(formatLabelSelector({ matchLabels: { app: 'nginx' } }), 'app=nginx');
    assert.equal(formatLabelSelector(undefined), '<none>');
    assert.equal(formatLabelSelector({}), '<none>');
  });
});

describe('field selectors', () => {
  const fields = { 'metadata.name': 'web', 'status.phase': 'Running', 'spec.nodeName': '' };
  it('matches = and != in any term order', () => {
    assert.equal(parseFieldSelector('status.phase!=Failed,metadata.name=web').matches(fields), true);
    assert.equal(parseFieldSelector('metadata.name==web').matches(fields), true);
    assert.equal(parseFieldSelector('status.phase!=Running').matches(fields), false);
    assert.equal(parseFieldSelector('spec.nodeName=').matches(fields), true);
    assert.equal(parseFieldSelector('').empty, true);
  });
  it('handles escapes', () => {
    const s = parseFieldSelector('metadata.name=a\\,b');
    assert.equal(s.matches({ 'metadata.name': 'a,b' }), true);
    assert.equal(s.exact('metadata.name'), 'a,b');
  });
  it('rejects malformed terms', () => {
    assert.throws(() => parseFieldSelector('metadata.name'), SelectorError);
    assert.throws(() => parseFieldSelector('=x'), SelectorError);
  });
});
