/**
 * A WebSocket's binary messages as one continuous byte stream, for
 * protocols tunnelled through it (kubectl's `SPDY/3.1+portforward.k8s.io`
 * splits single SPDY frames over many messages, so message boundaries
 * mean nothing).
 */
import { Duplex } from 'node:stream';
import type { WebSocket } from './websocket.ts';

export function webSocketDuplex(ws: WebSocket): Duplex {
  const d = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      ws.send(chunk, true);
      ws.drained().then(() => cb(), cb);
    },
    final(cb) {
      ws.close(1000);
      cb();
    },
    destroy(err, cb) {
      ws.destroy();
      cb(err);
    },
  });
  ws.on('message', (data) => d.push(data));
  ws.on('close', () => {
    d.push(null);
    d.destroy();
  });
  ws.on('error', () => d.destroy());
  return d;
}
