/**
 * gRPC's message framing on an HTTP/2 stream: each message is prefixed by
 * a compressed-flag byte and a 4-byte big-endian length. We never
 * advertise compression, so a compressed message is a protocol error.
 */

/** Prefixes one encoded message for the wire. */
export function frameMessage(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/** Framing faults the caller reports as INTERNAL / RESOURCE_EXHAUSTED. */
export class FrameError extends Error {
  readonly code: 'COMPRESSED' | 'TOO_LARGE';
  constructor(code: 'COMPRESSED' | 'TOO_LARGE', message: string) {
    super(message);
    this.name = 'FrameError';
    this.code = code;
  }
}

/**
 * Splits the DATA chunks of a response into messages as they arrive (a
 * message may span chunks, a chunk may hold several). Incremental so a
 * server-streaming call can hand out each message when it completes.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxMessageBytes: number;

  constructor(maxMessageBytes: number) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Adds a chunk; returns the messages it completed. */
  push(chunk: Buffer): Uint8Array[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Uint8Array[] = [];
    while (this.buffered >= 5) {
      const head = this.peek(5);
      if (head[0] !== 0) throw new FrameError('COMPRESSED', 'received a compressed message, but no compression was negotiated');
      const len = head.readUInt32BE(1);
      if (len > this.maxMessageBytes) throw new FrameError('TOO_LARGE', `received message larger than max (${len} vs. ${this.maxMessageBytes})`);
      if (this.buffered < 5 + len) break;
      const all = this.take(5 + len);
      out.push(all.subarray(5));
    }
    return out;
  }

  /** Bytes of an incomplete message left over (non-zero at stream end is a truncated message). */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0];
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
