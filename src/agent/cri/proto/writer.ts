/**
 * The byte sink of the protobuf encoder: a buffer that doubles as it
 * fills, with the few primitive writes the wire format needs.
 */
export class Writer {
  buf = new Uint8Array(128);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }

  /** A non-negative integer up to 2^53, or a bigint holding a 64-bit pattern. */
  varint(v: number | bigint): void {
    if (typeof v === 'bigint') {
      let x = BigInt.asUintN(64, v);
      while (x >= 0x80n) {
        this.byte(Number(x & 0x7fn) | 0x80);
        x >>= 7n;
      }
      this.byte(Number(x));
      return;
    }
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }

  tag(no: number, wire: number): void {
    this.varint(no * 8 + wire);
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  double(v: number): void {
    this.room(8);
    new DataView(this.buf.buffer, this.len, 8).setFloat64(0, v, true);
    this.len += 8;
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
