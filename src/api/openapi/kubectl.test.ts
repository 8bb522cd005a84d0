/**
 * Stock kubectl against a stub server serving our OpenAPI v3: `explain`
 * renders it, and client-side apply computes its strategic merge patch
 * from it (merge keys, `$setElementOrder`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startKubectlStub } from '../schema/testing/kubectl-stub.ts';
import type { KubectlStub } from '../schema/testing/kubectl-stub.ts';
import { openapiV3ForPath, openapiV3Root } from './index.ts';

function startWithOpenAPI(): Promise<KubectlStub> {
  return startKubectlStub((req, res) => {
    if (req.path === '/openapi/v3') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(openapiV3Root()));
      return true;
    }
    const doc = req.path.startsWith('/openapi/v3/') && openapiV3ForPath(req.path.slice('/openapi/v3/'.length));
    if (!doc) return false;
    res.writeHead(200, { 'Content-Type': 'application/json', ETag: doc.etag });
    res.end(doc.json);
    return true;
  });
}

test('kubectl explain renders our documents', async () => {
  const stub = await startWithOpenAPI();
  try {
    let r = await stub.kubectl(['explain', 'deployment.spec.strategy']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /GROUP:\s+apps/);
    assert.match(r.stdout, /FIELD: strategy <DeploymentStrategy>/);
    assert.match(r.stdout, /rollingUpdate\t<RollingUpdateDeployment>/);
    assert.match(r.stdout, /type\t<string>\n\s+enum: Recreate, RollingUpdate/);

    r = await stub.kubectl(['explain', 'pod.spec.containers.ports']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FIELD: ports <\[\]ContainerPort>/);
    assert.match(r.stdout, /containerPort\t<integer> -required-/);
    assert.match(r.stdout, /protocol\t<string>\n\s+enum: SCTP, TCP, UDP/);

    r = await stub.kubectl(['explain', 'svc.spec']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /KIND:\s+Service/);
    assert.match(r.stdout, /FIELD: spec <ServiceSpec>/);
    assert.match(r.stdout, /ports\t<\[\]ServicePort>/);
    assert.match(r.stdout, /type\t<string>\n\s+enum: ClusterIP, ExternalName, LoadBalancer, NodePort/);

    r = await stub.kubectl(['explain', 'deployment.spec.strategy.rollingUpdate.maxSurge']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FIELD: maxSurge <IntOrString>/);
    assert.ok(stub.log.some((l) => l.path === '/openapi/v3/apis/apps/v1'));
  } finally {
    await stub.close();
  }
});

const manifest = (image: string, ports: number[], sidecar: boolean) =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web}',
    'spec:',
    '  replicas: 2',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers:',
    '      - name: web',
    `        image: ${image}`,
    '        ports:',
    ...ports.map((p) => `        - containerPort: ${p}`),
    ...(sidecar ? ['      - name: sidecar', '        image: busybox'] : []),
    '',
  ].join('\n');

test('kubectl apply validates on the server and patches with merge keys from our OpenAPI', async () => {
  const stub = await startWithOpenAPI();
  try {
    let r = await stub.kubectl(['apply', '-f', '-'], manifest('nginx:1.26', [80], false));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment.apps\/web created/);
    const post = stub.log.find((l) => l.method === 'POST');
    assert.equal(post?.query.get('fieldValidation'), 'Strict', 'kubectl found fieldValidation in our document');

    r = await stub.kubectl(['apply', '-f', '-'], manifest('nginx:1.27', [80, 443], true));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment.apps\/web configured/);
    const patch = stub.log.find((l) => l.method === 'PATCH');
    assert.ok(patch);
    assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
    assert.equal(patch.query.get('fieldValidation'), 'Strict');
    const body = JSON.parse(patch.body.toString());
    const spec = body.spec.template.spec;
    assert.deepEqual(spec['$setElementOrder/containers'], [{ name: 'web' }, { name: 'sidecar' }]);
    const web = spec.containers.find((c: { name: string }) => c.name === 'web');
    assert.equal(web.image, 'nginx:1.27');
    assert.deepEqual(web['$setElementOrder/ports'], [{ containerPort: 80 }, { containerPort: 443 }]);
    assert.deepEqual(web.ports, [{ containerPort: 443 }]);
    assert.match(body.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], /nginx:1.27/);
    assert.ok(stub.log.filter((l) => l.path === '/openapi/v3/apis/apps/v1').length >= 1);
  } finally {
    await stub.close();
  }
});
