/**
 * One cluster CIDR cut into equal node blocks (upstream's cidrset): a
 * bitmap of which blocks are taken, allocation round robin from the block
 * after the last one handed out (so a released block is not reused at once
 * while its old routes may linger), and occupation of blocks found on
 * existing nodes, so a restarted server rebuilds the map from the Nodes.
 */
import { bitsOf, contains, formatCidr, lastAddress, parseCidr, type Cidr } from './cidr.ts';

/** At most 2^16 node blocks per cluster CIDR, as upstream. */
const maxBlockBits = 16;

export class CidrSet {
  readonly cluster: Cidr;
  readonly nodeMask: number;
  private readonly used: Uint8Array;
  private next = 0;
  private allocated = 0;

  constructor(clusterCidr: string, nodeMask: number) {
    this.cluster = parseCidr(clusterCidr);
    this.nodeMask = nodeMask;
    if (nodeMask < this.cluster.prefix) throw new Error(`node CIDR mask /${nodeMask} is larger than the cluster CIDR ${clusterCidr}`);
    if (nodeMask > bitsOf(this.cluster.family)) throw new Error(`node CIDR mask /${nodeMask} is invalid for ${clusterCidr}`);
    if (nodeMask - this.cluster.prefix > maxBlockBits) throw new Error(`node CIDR mask /${nodeMask} makes more than 2^${maxBlockBits} blocks of ${clusterCidr}`);
    this.used = new Uint8Array(2 ** (nodeMask - this.cluster.prefix));
  }

  get size(): number {
    return this.used.length;
  }

  get free(): number {
    return this.used.length - this.allocated;
  }

  private blockAt(i: number): Cidr {
    const shift = BigInt(bitsOf(this.cluster.family) - this.nodeMask);
    return { family: this.cluster.family, base: this.cluster.base + (BigInt(i) << shift), prefix: this.nodeMask };
  }

  /** The next free block, round robin; throws when none is left. */
  allocateNext(): string {
    for (let n = 0; n < this.used.length; n++) {
      const i = (this.next + n) % this.used.length;
      if (this.used[i]) continue;
      this.used[i] = 1;
      this.allocated++;
      this.next = (i + 1) % this.used.length;
      return formatCidr(this.blockAt(i));
    }
    throw new Error('CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range');
  }

  /** The block indexes a CIDR covers; throws if it is not inside the cluster CIDR. */
  private range(cidr: string): [number, number] {
    const c = parseCidr(cidr);
    if (!contains(this.cluster, c)) throw new Error(`cidr ${cidr} is out the range of cluster cidr ${formatCidr(this.cluster)}`);
    const shift = BigInt(bitsOf(c.family) - this.nodeMask);
    return [Number((c.base - this.cluster.base) >> shift), Number((lastAddress(c) - this.cluster.base) >> shift)];
  }

  /** Marks the blocks a CIDR covers as taken (a node's existing podCIDR). */
  occupy(cidr: string): void {
    const [from, to] = this.range(cidr);
    for (let i = from; i <= to; i++) {
      if (!this.used[i]) this.allocated++;
      this.used[i] = 1;
    }
  }

  /** Frees the blocks a CIDR covers. */
  release(cidr: string): void {
    const [from, to] = this.range(cidr);
    for (let i = from; i <= to; i++) {
      if (this.used[i]) this.allocated--;
      this.used[i] = 0;
    }
  }

  /** Whether this set carves the CIDR's family. */
  handles(cidr: string): boolean {
    try {
      return parseCidr(cidr).family === this.cluster.family;
    } catch {
      return false;
    }
  }
}
