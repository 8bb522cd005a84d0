import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdmissionRequest } from '../registry/admission.ts';
import type { Obj } from '../registry/types.ts';
import { isApiError } from '../api/errors.ts';
import { newServiceAccountPlugin } from './service-account.ts';

const accounts: Record<string, Obj> = {
  'ns/default': { metadata: { name: 'default' } },
  'ns/builder': { metadata: { name: 'builder' }, imagePullSecrets: [{ name: 'regcred' }] },
};
const plugin = newServiceAccountPlugin(async (ns, name) => accounts[`${ns}/${name}`]);

function req(pod: Obj, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    operation: 'CREATE',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', resource: 'pods' },
    subresource: '',
    namespace: 'ns',
    name: pod['metadata'].name,
    object: pod,
    user: { name: 'u', groups: [], via: 'x509' } as never,
    dryRun: false,
    ...extra,
  };
}

const pod = (spec: Obj = {}, meta: Obj = {}): Obj => ({ metadata: { name: 'p', ...meta }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } });

async function outcome(p: Obj, extra: Partial<AdmissionRequest> = {}): Promise<Obj | string> {
  try {
    await plugin.mutate!(req(p, extra));
    return p['spec'];
  } catch (e) {
    if (isApiError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
}

test('ServiceAccount admission', async () => {
  const cases: { what: string; pod: Obj; extra?: Partial<AdmissionRequest>; want: (r: Obj | string) => void }[] = [
    { what: 'defaults to default, both fields', pod: pod(), want: (r) => assert.deepEqual([(r as Obj).serviceAccountName, (r as Obj).serviceAccount], ['default', 'default']) },
    { what: 'the deprecated field alone is honoured', pod: pod({ serviceAccount: 'builder' }), want: (r) => assert.equal((r as Obj).serviceAccountName, 'builder') },
    { what: 'pull secrets come from the account', pod: pod({ serviceAccountName: 'builder' }), want: (r) => assert.deepEqual((r as Obj).imagePullSecrets, [{ name: 'regcred' }]) },
    {
      what: 'the pod\'s own pull secrets win',
      pod: pod({ serviceAccountName: 'builder', imagePullSecrets: [{ name: 'mine' }] }),
      want: (r) => assert.deepEqual((r as Obj).imagePullSecrets, [{ name: 'mine' }]),
    },
    {
      what: 'a missing named account is refused as upstream',
      pod: pod({ serviceAccountName: 'ghost' }),
      want: (r) => assert.equal(r, '403 pods "p" is forbidden: error looking up service account ns/ghost: serviceaccount "ghost" not found'),
    },
    { what: 'a missing default account is tolerated', pod: pod(), extra: { namespace: 'fresh' }, want: (r) => assert.equal((r as Obj).serviceAccountName, 'default') },
    {
      what: 'mirror pods are not defaulted',
      pod: pod({}, { annotations: { 'kubernetes.io/config.mirror': 'x' } }),
      want: (r) => assert.equal((r as Obj).serviceAccountName, undefined),
    },
    {
      what: 'mirror pods may not name accounts',
      pod: pod({ serviceAccountName: 'default' }, { annotations: { 'kubernetes.io/config.mirror': 'x' } }),
      want: (r) => assert.equal(r, '403 pods "p" is forbidden: a mirror pod may not reference service accounts'),
    },
    {
      what: 'mirror pods may not use secrets',
      pod: pod({ volumes: [{ name: 'v', secret: { secretName: 's' } }] }, { annotations: { 'kubernetes.io/config.mirror': 'x' } }),
      want: (r) => assert.equal(r, '403 pods "p" is forbidden: a mirror pod may not reference secrets'),
    },
    { what: 'updates are left alone', pod: pod(), extra: { operation: 'UPDATE' }, want: (r) => assert.equal((r as Obj).serviceAccountName, undefined) },
  ];
  for (const c of cases) c.want(await outcome(c.pod, c.extra));
});
