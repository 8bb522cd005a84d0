import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { containerConfigFor, parseResolvConf, podDns, portMappings, resourcesFor } from './pod-config.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpcfg-'));
const resolvConf = path.join(dir, 'resolv.conf');
fs.writeFileSync(resolvConf, '# host\nnameserver 192.0.2.53\nsearch lan example.org\noptions edns0\n');
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const dns = { clusterDNS: ['10.43.0.10'], clusterDomain: 'cluster.local', resolvConf };

describe('pod runtime configs', () => {
  it('ClusterFirst DNS: cluster nameserver, namespace search path then the host\'s, ndots:5', () => {
    const pod = { metadata: { namespace: 'shop' }, spec: {} };
    assert.deepEqual(podDns(pod, dns), { servers: ['10.43.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lan', 'example.org'], options: ['ndots:5'] });
  });

  it('host network and Default use the host resolv.conf; ClusterFirstWithHostNet the cluster; None only dnsConfig', () => {
    const host = { servers: ['192.0.2.53'], searches: ['lan', 'example.org'], options: ['edns0'] };
    assert.deepEqual(podDns({ metadata: { namespace: 'a' }, spec: { hostNetwork: true } }, dns), host);
    assert.deepEqual(podDns({ metadata: { namespace: 'a' }, spec: { dnsPolicy: 'Default' } }, dns), host);
    assert.equal(podDns({ metadata: { namespace: 'a' }, spec: { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } }, dns).servers[0], '10.43.0.10');
    assert.deepEqual(podDns({ metadata: { namespace: 'a' }, spec: { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['x'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] } } }, dns), { servers: ['1.1.1.1'], searches: ['x'], options: ['ndots:2', 'rotate'] });
    assert.deepEqual(parseResolvConf('nameserver 1.2.3.4 # c\nsearch a b\n'), { servers: ['1.2.3.4'], searches: ['a', 'b'], options: [] });
  });

  it('cgroup resources as the kubelet computes them', () => {
    assert.deepEqual(resourcesFor({ resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } } }), { cpuShares: 256, cpuPeriod: 100000, cpuQuota: 50000, memoryLimitBytes: 134217728 });
    assert.deepEqual(resourcesFor({}), { cpuShares: 2 });
    assert.deepEqual(resourcesFor({ resources: { limits: { cpu: '1m' } } }), { cpuShares: 2, cpuPeriod: 100000, cpuQuota: 1000 });
  });

  it('container config: command, env, log path, security context with pod defaults; hostPorts', () => {
    const pod = { metadata: { name: 'p', namespace: 'n', uid: 'u' }, spec: { securityContext: { runAsUser: 1000, runAsGroup: 3000 }, containers: [{ name: 'web', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] }] } };
    const c = { name: 'web', image: 'busybox', command: ['sh', '-c'], args: ['echo $(GREETING)'], workingDir: '/w', securityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] }, readOnlyRootFilesystem: true } };
    const cfg = containerConfigFor(pod, c, false, 3, { env: [{ name: 'GREETING', value: 'hi' }], expand: (s) => s.replace('$(GREETING)', 'hi') });
    assert.deepEqual(cfg.args, ['echo hi']);
    assert.equal(cfg.logPath, 'web/3.log');
    assert.deepEqual(cfg.securityContext, { runAsUser: 0, runAsGroup: 3000, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: [] } });
    assert.deepEqual(portMappings(pod), [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIP: undefined }]);
  });
});
