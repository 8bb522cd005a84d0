/**
 * The built-in ingress controller (src/agent/ingress) end to end in
 * `bramble lab` as root, the seed-002 shape: two boards, `my-server`
 * (hello-node, httpd on 8080) exposed on port 80, an Ingress for host
 * `my-server.<board-1 IP>.example` (no class: bramble is the default).
 * From the host (on the LAN bridge): board-1's port 80 with that Host gets
 * the page, an unknown Host gets 404, and board-2 answers the same (its
 * proxy reaches the pod on another board by pod IP). The server made the
 * default IngressClass and set the Ingress's status to both boards' IPs.
 * TLS: a kubernetes.io/tls Secret from our own CA named in the Ingress is
 * served by SNI on port 443 of both boards (the node authorizer lets the
 * nodes read it); another name gets the default certificate. With no
 * IngressClass of our controller (as `--disable ingress` leaves the cluster)
 * the boards release ports 80/443, and take them again when one returns.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import https from 'node:https';
import path from 'node:path';
import type tls from 'node:tls';
import { createCA, issueCertificate } from '../../src/cluster/pki/x509.ts';
import { until, useLab } from '../harness/lab.ts';
import type { LabRecord } from '../../src/lab/state.ts';

let lab: LabRecord;
let ips: { name: string; ip: string }[] = [];

const { dir, k } = useLab('labing', ['--nodes', '2', '--timeout', '240'], { onUp: (l) => void (lab = l) });

interface Reply {
  status: number;
  body: string;
  cert?: tls.PeerCertificate;
}
/** One GET from the host to a board's ingress port with a Host header (curl -H 'Host: …' http://ip/). */
function get(ip: string, host: string, o: { tls?: boolean; ca?: string; port?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const opts = { host: ip, port: o.port ?? (o.tls ? 443 : 80), path: '/', headers: { host }, agent: false, timeout: 3000 };
    const onRes = (res: http.IncomingMessage) => {
      const cert = o.tls ? (res.socket as tls.TLSSocket).getPeerCertificate() : undefined;
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, cert }));
    };
    const req = o.tls ? https.get({ ...opts, servername: host, ca: o.ca, rejectUnauthorized: !!o.ca }, onRes) : http.get(opts, onRes);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('ingress across boards', () => {
  let host = '';

  it('serves my-server by Host on board-1 port 80; unknown host 404', async () => {
    await k(['create', 'deployment', 'my-server', '--image=bramble.local/hello-node:1.0']);
    await k(['expose', 'deployment', 'my-server', '--port=80', '--target-port=8080']);
    const nodes = JSON.parse(await k(['get', 'nodes', '-o', 'json'])) as { items: any[] };
    ips = nodes.items.map((n) => ({ name: n.metadata.name, ip: n.status.addresses.find((a: any) => a.type === 'InternalIP').address })).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(
      ips.map((i) => i.name),
      lab.boards.map((b) => b.name),
    );
    const board1 = ips[0]!.ip;
    host = `my-server.${board1}.example`;
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'my-server', namespace: 'default' },
      spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'my-server', port: { number: 80 } } } }] } }] },
    };
    await k(['apply', '-f', '-'], JSON.stringify(ingress));
    const t0 = Date.now();
    const r = await until('the page through board-1', 180_000, async () => {
      const x = await get(board1, host);
      return x.status === 200 ? x : undefined;
    });
    process.stdout.write(`# first 200 through the ingress after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    assert.ok(r.body.length > 0);
    const pods = JSON.parse(await k(['get', 'pods', '-l', 'app=my-server', '-o', 'json'])) as { items: any[] };
    const pod = pods.items[0];
    process.stdout.write(`# pod ${pod.metadata.name} on ${pod.spec.nodeName} (${pod.status.podIP}); page: ${JSON.stringify(r.body.slice(0, 80))}\n`);
    const miss = await get(board1, 'nobody.example');
    assert.equal(miss.status, 404);
  });

  it('seed 002: a second pod, on the other board, gets the page with `wget -qO- my-server`', async () => {
    const pods = JSON.parse(await k(['get', 'pods', '-l', 'app=my-server', '-o', 'json'])) as { items: any[] };
    const other = ips.find((i) => i.name !== pods.items[0].spec.nodeName)!.name;
    await k(['run', 'second', '--image=bramble.local/busybox:latest', '--image-pull-policy=IfNotPresent', '--restart=Never', `--overrides=${JSON.stringify({ spec: { nodeName: other } })}`, '--', 'wget', '-qO-', 'my-server']);
    const phase = await until('the second pod finished', 120_000, async () => {
      const p = JSON.parse(await k(['get', 'pod', 'second', '-o', 'json']));
      return ['Succeeded', 'Failed'].includes(p.status?.phase) ? (p.status.phase as string) : undefined;
    });
    const out = await k(['logs', 'second']);
    process.stdout.write(`# pod "second" on ${other}: ${phase}, wget -qO- my-server printed ${JSON.stringify(out.slice(0, 60))}\n`);
    assert.equal(phase, 'Succeeded', out);
    assert.equal(out, (await get(ips[0]!.ip, host)).body);
    await k(['delete', 'pod', 'second', '--wait=false']);
  });

  it('board-2 serves the same Ingress (pod on whichever board)', async () => {
    const board2 = ips[1]!.ip;
    const r = await until('the page through board-2', 30_000, async () => {
      const x = await get(board2, host);
      return x.status === 200 ? x : undefined;
    });
    assert.equal(r.body, (await get(ips[0]!.ip, host)).body);
    assert.equal((await get(board2, 'nobody.example')).status, 404);
  });

  it('the server made the default IngressClass and set the Ingress status to the boards', async () => {
    const cls = JSON.parse(await k(['get', 'ingressclass', 'bramble', '-o', 'json']));
    assert.equal(cls.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
    await until('status.loadBalancer.ingress', 30_000, async () => {
      const ing = JSON.parse(await k(['get', 'ingress', 'my-server', '-o', 'json']));
      const got = (ing.status?.loadBalancer?.ingress ?? []).map((x: any) => x.ip).sort();
      return JSON.stringify(got) === JSON.stringify(ips.map((i) => i.ip).sort()) ? true : undefined;
    });
  });

  it('TLS by SNI from an Ingress Secret on both boards; default certificate otherwise', async () => {
    const ca = createCA({ commonName: 'lab ingress test CA', validityDays: 1 });
    const cert = issueCertificate(ca, { commonName: host, dnsNames: [host], usage: 'server', validityDays: 1 });
    fs.writeFileSync(path.join(dir, 'tls.crt'), cert.certPem);
    fs.writeFileSync(path.join(dir, 'tls.key'), cert.keyPem);
    await k(['create', 'secret', 'tls', 'my-server-tls', `--cert=${path.join(dir, 'tls.crt')}`, `--key=${path.join(dir, 'tls.key')}`]);
    await k(['patch', 'ingress', 'my-server', '--type=merge', '-p', JSON.stringify({ spec: { tls: [{ hosts: [host], secretName: 'my-server-tls' }] } })]);
    for (const { name, ip } of ips) {
      const r = await until(`TLS with the Secret's certificate on ${name}`, 30_000, async () => {
        const x = await get(ip, host, { tls: true, ca: ca.certPem }).catch(() => undefined);
        return x?.status === 200 ? x : undefined;
      });
      assert.equal(r.cert?.subject.CN, host);
      const other = await get(ip, 'nobody.example', { tls: true });
      assert.equal(other.cert?.subject.CN, 'Bramble Ingress Default Certificate');
      assert.equal(other.status, 404);
    }
  });
  it('no IngressClass of ours (what --disable ingress leaves): ports 80/443 are released on every board, and taken again when one returns', async () => {
    const refused = (ip: string) => new Promise<boolean>((resolve) => {
      const sock = net.connect({ host: ip, port: 80, timeout: 1000 });
      sock.on('connect', () => (sock.destroy(), resolve(false)));
      sock.on('timeout', () => (sock.destroy(), resolve(false)));
      sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    });
    await k(['delete', 'ingressclass', 'bramble']);
    for (const { name, ip } of ips) await until(`${name} port 80 refused`, 30_000, async () => ((await refused(ip)) ? true : undefined));
    await k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'bramble' }, spec: { controller: 'bramble.io/ingress' } }));
    for (const { name, ip } of ips) {
      const r = await until(`${name} serves again`, 30_000, async () => {
        const x = await get(ip, host).catch(() => undefined);
        return x?.status === 200 ? x : undefined;
      });
      assert.equal(r.status, 200);
    }
  });
});
