import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Registry } from '../registry/registry.ts';
import type { Obj } from '../registry/types.ts';
import type { Attributes } from './auth.ts';
import { nodeAuthorizer } from './node-authorizer.ts';

/** A registry holding just pods and ingresses (all the authorizer reads). */
function registry(objs: Record<string, Obj[]>): Registry {
  return {
    storeFor: (_group: string, resource: string) => ({
      list: async (namespace: string, opts: { fieldSelector?: string } = {}) => {
        let items = (objs[resource] ?? []).filter((o) => o['metadata'].namespace === namespace);
        const node = /^spec\.nodeName=(.*)$/.exec(opts.fieldSelector ?? '')?.[1];
        if (node) items = items.filter((o) => o['spec']?.nodeName === node);
        return { items, resourceVersion: '1' };
      },
    }),
  } as unknown as Registry;
}

const node = { name: 'system:node:board-2', groups: ['system:nodes', 'system:authenticated'], via: 'x509' as const };
const attrs = (a: Partial<Attributes>): Attributes => ({ verb: 'get', group: '', resource: 'secrets', subresource: '', namespace: 'default', name: '', ...a });
const ingress = (name: string, secret: string, cls?: string): Obj => ({ metadata: { namespace: 'default', name }, spec: { ingressClassName: cls, tls: [{ hosts: ['a.test'], secretName: secret }] } });

test('a node may get a TLS secret named by an Ingress of class bramble (or none), nothing more', async () => {
  const auth = nodeAuthorizer(
    registry({
      ingresses: [ingress('web', 'web-tls', 'bramble'), ingress('plain', 'plain-tls'), ingress('other', 'nginx-tls', 'nginx')],
      pods: [{ metadata: { namespace: 'default', name: 'p' }, spec: { nodeName: 'board-2', volumes: [{ secret: { secretName: 'mounted' } }] } }],
    }),
  );
  const can = async (a: Partial<Attributes>) => (await auth.authorize(node, attrs(a))).allowed;
  assert.equal(await can({ name: 'web-tls' }), true);
  assert.equal(await can({ name: 'plain-tls' }), true, 'no class: bramble is the default class');
  assert.equal(await can({ name: 'nginx-tls' }), false, 'another controller\'s Ingress');
  assert.equal(await can({ name: 'web-tls', namespace: 'kube-system' }), false, 'only in the Ingress\'s namespace');
  assert.equal(await can({ name: 'unrelated' }), false);
  assert.equal(await can({ name: 'mounted' }), true, 'secrets its pods use, as before');
  assert.equal(await can({ verb: 'list', name: '', fieldSelector: 'metadata.name=web-tls' }), false, 'get only');
  assert.equal(await can({ verb: 'update', name: 'web-tls' }), false);
  assert.equal(await can({ resource: 'configmaps', name: 'web-tls' }), false);
});

test('a node may read Ingresses and IngressClasses but not write them', async () => {
  const auth = nodeAuthorizer(registry({}));
  const can = async (a: Partial<Attributes>) => (await auth.authorize(node, attrs(a))).allowed;
  assert.equal(await can({ group: 'networking.k8s.io', resource: 'ingresses', verb: 'watch' }), true);
  assert.equal(await can({ group: 'networking.k8s.io', resource: 'ingressclasses', verb: 'list', namespace: '' }), true);
  assert.equal(await can({ group: 'networking.k8s.io', resource: 'ingresses', verb: 'update', name: 'web' }), false);
  assert.equal(await can({ group: 'networking.k8s.io', resource: 'ingresses', verb: 'patch', subresource: 'status', name: 'web' }), false);
});

test('a node may read exactly the TCP routes ConfigMap kube-system/bramble-tcp-services, by name', async () => {
  const auth = nodeAuthorizer(registry({}));
  const cm = (a: Partial<Attributes>) => attrs({ resource: 'configmaps', namespace: 'kube-system', ...a });
  const can = async (a: Partial<Attributes>) => (await auth.authorize(node, cm(a))).allowed;
  assert.equal(await can({ verb: 'get', name: 'bramble-tcp-services' }), true);
  assert.equal(await can({ verb: 'list', fieldSelector: 'metadata.name=bramble-tcp-services' }), true);
  assert.equal(await can({ verb: 'watch', fieldSelector: 'metadata.name=bramble-tcp-services' }), true);
  assert.equal(await can({ verb: 'list' }), false, 'not every ConfigMap in kube-system');
  assert.equal(await can({ verb: 'watch', fieldSelector: 'metadata.name=coredns' }), false);
  assert.equal(await can({ verb: 'get', name: 'kube-root-ca.crt' }), false, 'no other ConfigMap in kube-system');
  assert.equal(await can({ verb: 'get', name: 'bramble-tcp-services', namespace: 'default' }), false, 'only in kube-system');
  assert.equal(await can({ verb: 'update', name: 'bramble-tcp-services' }), false);
  assert.equal(await can({ verb: 'patch', name: 'bramble-tcp-services' }), false);
  assert.equal(await can({ verb: 'delete', name: 'bramble-tcp-services' }), false);
  assert.equal(await can({ resource: 'secrets', verb: 'get', name: 'bramble-tcp-services' }), false, 'a Secret of that name is not covered');
});
