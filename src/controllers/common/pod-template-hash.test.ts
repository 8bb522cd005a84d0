import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpPodTemplateSpec } from './go-dump.ts';
import { computeHash, fnv32a, safeEncodeString } from './pod-template-hash.ts';

/** `kubectl create deployment nginx --image=nginx`, as the API server stores its template (defaulted). */
const nginx = {
  metadata: { creationTimestamp: null, labels: { app: 'nginx' } },
  spec: {
    containers: [{ name: 'nginx', image: 'nginx', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'Always' }],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    securityContext: {},
    schedulerName: 'default-scheduler',
  },
};

test('the hash of a known template equals upstream (ReplicaSet nginx-5869d7778c on a 1.32-era cluster)', () => {
  assert.equal(computeHash(nginx), '5869d7778c');
});

test('the collision count changes the hash; hashes use the safe alphabet', () => {
  const h0 = computeHash(nginx);
  const h1 = computeHash(nginx, 1);
  assert.notEqual(h0, h1);
  assert.notEqual(computeHash(nginx, 0), h0, 'a zero count still salts (upstream writes it when set)');
  assert.match(h1, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});

test('FNV-1a 32 and the safe encoding', () => {
  assert.equal(fnv32a(new Uint8Array()), 0x811c9dc5);
  assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
  assert.equal(fnv32a(new TextEncoder().encode('foobar')), 0xbf9cf968);
  assert.equal(safeEncodeString('0123456789'), '456789bcdf', "'0' is byte 48, and 48 % 27 picks '4'");
});

test('the dump prints Go types, field names, nil values and Quantities as go-spew does', () => {
  const d = dumpPodTemplateSpec({
    metadata: { labels: { b: '2', a: '1' } },
    spec: {
      containers: [
        {
          name: 'c',
          ports: [{ containerPort: 80 }],
          resources: { limits: { memory: '170Mi', cpu: '100m' } },
          livenessProbe: { httpGet: { path: '/', port: 'http' } },
          tty: true,
        },
      ],
      serviceAccount: 'sa',
    },
  });
  assert.match(d, /^\(v1\.PodTemplateSpec\)\{ObjectMeta:\(v1\.ObjectMeta\)\{Name:\(string\) GenerateName:\(string\)/);
  assert.match(d, /Labels:\(map\[string\]string\)map\[a:1 b:2\] Annotations:\(map\[string\]string\)<nil>/);
  assert.match(d, /Ports:\(\[\]v1\.ContainerPort\)\[\{Name:\(string\) HostPort:\(int32\)0 ContainerPort:\(int32\)80 Protocol:\(v1\.Protocol\) HostIP:\(string\)\}\]/);
  assert.match(d, /Limits:\(v1\.ResourceList\)map\[cpu:\{i:\(resource\.int64Amount\)\{value:\(int64\)100 scale:\(resource\.Scale\)-3\} d:\(resource\.infDecAmount\)\{Dec:\(\*inf\.Dec\)<nil>\} s:\(string\)100m Format:\(resource\.Format\)DecimalSI\} memory:\{i:\(resource\.int64Amount\)\{value:\(int64\)178257920 scale:\(resource\.Scale\)0\}/);
  assert.match(d, /LivenessProbe:\(\*v1\.Probe\)\{ProbeHandler:\(v1\.ProbeHandler\)\{Exec:\(\*v1\.ExecAction\)<nil> HTTPGet:\(\*v1\.HTTPGetAction\)\{Path:\(string\)\/ Port:\(intstr\.IntOrString\)\{Type:\(intstr\.Type\)1 IntVal:\(int32\)0 StrVal:\(string\)http\}/);
  assert.match(d, / TTY:\(bool\)true\}\]/);
  assert.match(d, / DeprecatedServiceAccount:\(string\)sa /);
});
