/**
 * A stand-in for a Go slice header over shared storage, for the one place
 * where upstream's strategic merge result depends on Go's in-place slice
 * edits (see `SliceMerge.liveView`).
 */
/**
 * Just enough of a Go slice to reproduce upstream's in-place edits: deletion
 * shifts items left inside the shared storage, and appends reuse the freed
 * capacity before moving to new storage.
 */
export class GoSlice {
  #backing: unknown[];
  readonly #cap: number;
  #len: number;
  /** Length once deletions are done; appends come after. */
  #lenBeforeAppend: number;
  #shared = true;
  #own: unknown[] = [];

  constructor(items: unknown[]) {
    this.#backing = [...items];
    this.#cap = items.length;
    this.#len = items.length;
    this.#lenBeforeAppend = items.length;
  }
  items(): unknown[] {
    return this.#shared ? this.#backing.slice(0, this.#len) : [...this.#own];
  }
  itemsBeforeAppend(): unknown[] {
    return this.items().slice(0, this.#lenBeforeAppend);
  }
  backingView(): unknown[] {
    return this.#backing.slice(0, this.#cap);
  }
  get(i: number): unknown {
    return this.#shared ? this.#backing[i] : this.#own[i];
  }
  set(i: number, v: unknown): void {
    if (this.#shared) this.#backing[i] = v;
    else this.#own[i] = v;
  }
  get length(): number {
    return this.#shared ? this.#len : this.#own.length;
  }
  removeAt(i: number): void {
    this.#backing.copyWithin(i, i + 1, this.#len);
    this.#len--;
    this.#lenBeforeAppend = this.#len;
  }
  push(v: unknown): void {
    if (this.#shared && this.#len < this.#cap) {
      this.#backing[this.#len++] = v;
      return;
    }
    if (this.#shared) {
      this.#own = this.#backing.slice(0, this.#len);
      this.#shared = false;
    }
    this.#own.push(v);
  }
}
