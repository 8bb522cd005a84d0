/**
 * gRPC probes: one unary call to grpc.health.v1.Health/Check over
 * cleartext HTTP/2 (the kubelet probes without TLS). SERVING is success;
 * any other status, or a call that fails, is a failure with upstream's
 * texts. The two messages are tiny, so they are encoded by hand:
 * HealthCheckRequest{service=1:string}, HealthCheckResponse{status=1:enum}.
 */
import * as http2 from 'node:http2';
import { hostPort } from './run.ts';
import type { ProbeResult } from './types.ts';

const statuses = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function encodeRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  const msg = s.length ? Buffer.concat([Buffer.from([0x0a, ...varint(s.length)]), s]) : Buffer.alloc(0);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(msg.length, 1);
  return Buffer.concat([frame, msg]);
}

/** The status field of a framed HealthCheckResponse (0 when absent, as proto3). */
function decodeStatus(body: Buffer): number | undefined {
  if (body.length < 5) return undefined;
  const msg = body.subarray(5, 5 + body.readUInt32BE(1));
  let i = 0;
  while (i < msg.length) {
    const tag = msg[i++]!;
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = msg[i++]!;
      v |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (tag === 0x08) return v;
    if ((tag & 7) === 2) i += v; // skip unknown length-delimited fields
  }
  return 0;
}

export function grpcProbe(host: string, port: number, service: string, timeoutSeconds: number): Promise<ProbeResult> {
  const addr = hostPort(host, port);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(r);
    };
    const session = http2.connect(`http://${addr}`);
    const timer = setTimeout(
      () => finish({ result: 'failure', output: `timeout: health rpc did not complete within ${timeoutSeconds}s` }),
      timeoutSeconds * 1000,
    );
    session.once('error', (e) => finish({ result: 'failure', output: `timeout: failed to connect service "${addr}" within ${timeoutSeconds}s: ${e.message}` }));
    const req = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'kube-probe/1.32',
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let grpcMessage = '';
    req.on('response', (h) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
    });
    req.on('trailers', (h) => {
      grpcStatus = String(h['grpc-status'] ?? grpcStatus);
      grpcMessage = decodeURIComponent(String(h['grpc-message'] ?? ''));
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('error', (e) => finish({ result: 'failure', output: `rpc error: ${e.message}` }));
    req.once('end', () => {
      if (grpcStatus !== undefined && grpcStatus !== '0') {
        return finish({ result: 'failure', output: `rpc error: code = ${grpcStatus} desc = ${grpcMessage}` });
      }
      const st = decodeStatus(Buffer.concat(chunks));
      if (st === 1) return finish({ result: 'success', output: '' });
      finish({ result: 'failure', output: `service unhealthy (responded with "${statuses[st ?? 0] ?? String(st)}")` });
    });
    req.end(encodeRequest(service));
  });
}
