/**
 * A set of field paths stored as a tree, as structured-merge-diff's
 * `fieldpath.Set`: at each level, `members` are the elements whose path is
 * in the set and `children` hold the subsets below an element. A node can
 * be both (FieldsV1 writes that as `".": {}`). Sets are immutable; every
 * operation returns a new set.
 */
import { comparePathElements, pathElementId, type FieldPath, type PathElement } from './field-path.ts';

export interface Child {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

/** Binary search in a list sorted by `comparePathElements`. */
function find<T>(list: readonly T[], pe: PathElement, get: (t: T) => PathElement): { at: number; found: boolean } {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = comparePathElements(get(list[mid]), pe);
    if (c === 0) return { at: mid, found: true };
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return { at: lo, found: false };
}

const self = (pe: PathElement) => pe;
const childPe = (c: Child) => c.pe;

export class FieldSet {
  /** Sorted, unique. */
  readonly members: readonly PathElement[];
  /** Sorted by element, unique. Children may be empty sets. */
  readonly children: readonly Child[];

  constructor(members: readonly PathElement[] = [], children: readonly Child[] = []) {
    this.members = members;
    this.children = children;
  }

  static of(...paths: FieldPath[]): FieldSet {
    return FieldSet.fromPaths(paths);
  }

  /** Builds a set from many paths at once (one pass per level, no copying per insert). */
  static fromPaths(paths: readonly FieldPath[]): FieldSet {
    const members: PathElement[] = [];
    const groups: { pe: PathElement; rest: FieldPath[] }[] = [];
    const byKey = new Map<string, { pe: PathElement; rest: FieldPath[] }>();
    for (const p of paths) {
      if (p.length === 0) continue;
      if (p.length === 1) {
        members.push(p[0]);
        continue;
      }
      const key = pathElementId(p[0]);
      let g = byKey.get(key);
      if (!g) {
        g = { pe: p[0], rest: [] };
        byKey.set(key, g);
        groups.push(g);
      }
      g.rest.push(p.slice(1));
    }
    members.sort(comparePathElements);
    const unique = members.filter((m, i) => i === 0 || comparePathElements(members[i - 1], m) !== 0);
    groups.sort((a, b) => comparePathElements(a.pe, b.pe));
    return new FieldSet(
      unique,
      groups.map((g) => ({ pe: g.pe, set: FieldSet.fromPaths(g.rest) })),
    );
  }

  /** Adds a path (and nothing else: its ancestors are not members). */
  insert(path: FieldPath): FieldSet {
    if (path.length === 0) return this;
    const [head, ...rest] = path;
    if (rest.length === 0) {
      const { at, found } = find(this.members, head, self);
      if (found) return this;
      return new FieldSet([...this.members.slice(0, at), head, ...this.members.slice(at)], this.children);
    }
    const { at, found } = find(this.children, head, childPe);
    const children = [...this.children];
    if (found) children[at] = { pe: head, set: children[at].set.insert(rest) };
    else children.splice(at, 0, { pe: head, set: new FieldSet().insert(rest) });
    return new FieldSet(this.members, children);
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    let s: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) {
      const c = s.child(path[i]);
      if (!c) return false;
      s = c;
    }
    return find(s.members, path[path.length - 1], self).found;
  }

  /** The subset below `pe` (paths relative to it), or undefined. */
  child(pe: PathElement): FieldSet | undefined {
    const { at, found } = find(this.children, pe, childPe);
    return found ? this.children[at].set : undefined;
  }

  /** `WithPrefix`: the subset below `pe`, empty when there is none. */
  withPrefix(pe: PathElement): FieldSet {
    return this.child(pe) ?? new FieldSet();
  }

  isMember(pe: PathElement): boolean {
    return find(this.members, pe, self).found;
  }

  empty(): boolean {
    return this.members.length === 0 && this.children.every((c) => c.set.empty());
  }

  size(): number {
    return this.members.length + this.children.reduce((n, c) => n + c.set.size(), 0);
  }

  union(o: FieldSet): FieldSet {
    return new FieldSet(
      mergeSorted(this.members, o.members, self, (a) => a),
      mergeSorted(this.children, o.children, childPe, (a, b) => ({ pe: a.pe, set: a.set.union(b.set) })),
    );
  }

  intersection(o: FieldSet): FieldSet {
    const members = this.members.filter((m) => o.isMember(m));
    const children: Child[] = [];
    for (const c of this.children) {
      const oc = o.child(c.pe);
      if (!oc) continue;
      const set = c.set.intersection(oc);
      if (!set.empty()) children.push({ pe: c.pe, set });
    }
    return new FieldSet(members, children);
  }

  /** Removes the paths of `o`; a member of `o` does not remove the paths below it. */
  difference(o: FieldSet): FieldSet {
    const members = this.members.filter((m) => !o.isMember(m));
    const children: Child[] = [];
    for (const c of this.children) {
      const oc = o.child(c.pe);
      if (!oc) {
        children.push(c);
        continue;
      }
      const set = c.set.difference(oc);
      if (!set.empty()) children.push({ pe: c.pe, set });
    }
    return new FieldSet(members, children);
  }

  /** Removes the paths of `o` and everything below its members. */
  recursiveDifference(o: FieldSet): FieldSet {
    const members = this.members.filter((m) => !o.isMember(m));
    const children: Child[] = [];
    for (const c of this.children) {
      if (o.isMember(c.pe)) continue;
      const oc = o.child(c.pe);
      if (!oc) {
        children.push(c);
        continue;
      }
      const set = c.set.recursiveDifference(oc);
      if (!set.empty()) children.push({ pe: c.pe, set });
    }
    return new FieldSet(members, children);
  }

  equals(o: FieldSet): boolean {
    return this.difference(o).empty() && o.difference(this).empty();
  }

  /** Every path in the set, members of a level before the levels below it. */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    const walk = (s: FieldSet, prefix: PathElement[]) => {
      for (const m of s.members) out.push([...prefix, m]);
      for (const c of s.children) walk(c.set, [...prefix, c.pe]);
    };
    walk(this, []);
    return out;
  }
}

/** Merges two sorted unique lists; `both` combines entries present in both. */
function mergeSorted<T>(a: readonly T[], b: readonly T[], pe: (t: T) => PathElement, both: (x: T, y: T) => T): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c = comparePathElements(pe(a[i]), pe(b[j]));
    if (c < 0) out.push(a[i++]);
    else if (c > 0) out.push(b[j++]);
    else out.push(both(a[i++], b[j++]));
  }
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}
