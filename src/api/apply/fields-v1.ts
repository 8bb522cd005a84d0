/**
 * The `FieldsV1` encoding of a field set, as stored in
 * `metadata.managedFields[].fieldsV1`: a JSON object whose keys are
 * serialized path elements (`f:spec`, `k:{"name":"web"}`, `v:"x"`, `i:0`)
 * in sorted order; `{}` marks a member with nothing below it and `".": {}`
 * marks a node that is a member and also has children.
 */
import { isObject, type JsonObject } from '../patch/json-value.ts';
import { comparePathElements, FieldPathError, parsePathElement, serializePathElement, type PathElement } from './field-path.ts';
import { FieldSet, type Child } from './field-set.ts';

/** Encodes a set as a FieldsV1 object. */
export function fieldSetToFieldsV1(set: FieldSet): JsonObject {
  return emit(set, false);
}

function emit(set: FieldSet, includeSelf: boolean): JsonObject {
  const out: JsonObject = {};
  if (includeSelf && (set.members.length > 0 || set.children.length > 0)) out['.'] = {};
  let mi = 0;
  let ci = 0;
  const { members, children } = set;
  while (mi < members.length || ci < children.length) {
    const c =
      mi >= members.length ? 1 : ci >= children.length ? -1 : comparePathElements(members[mi], children[ci].pe);
    if (c < 0) {
      out[serializePathElement(members[mi++])] = {};
    } else if (c > 0) {
      const child = children[ci++];
      out[serializePathElement(child.pe)] = emit(child.set, false);
    } else {
      const child = children[ci++];
      mi++;
      out[serializePathElement(child.pe)] = emit(child.set, true);
    }
  }
  return out;
}

/**
 * Decodes a FieldsV1 object. Unknown element kinds are skipped, as
 * upstream does; malformed keys throw `FieldPathError`.
 */
export function fieldSetFromFieldsV1(fields: unknown): FieldSet {
  if (!isObject(fields)) throw new FieldPathError('FieldsV1 must be a JSON object');
  return read(fields).set ?? new FieldSet();
}

/** Returns the subset below a node and whether the node itself is a member. */
function read(obj: JsonObject): { set?: FieldSet; isMember: boolean } {
  let isMember = false;
  const members: PathElement[] = [];
  const children: Child[] = [];
  let any = false;
  for (const [key, value] of Object.entries(obj)) {
    if (key === '.') {
      isMember = true;
      continue;
    }
    const pe = parsePathElement(key);
    if (!pe) continue;
    const sub = isObject(value) ? read(value) : { isMember: true };
    if (sub.isMember) {
      members.push(pe);
      any = true;
    }
    if (sub.set) {
      children.push({ pe, set: sub.set });
      any = true;
    }
  }
  if (!any) return { isMember: true };
  members.sort(comparePathElements);
  children.sort((a, b) => comparePathElements(a.pe, b.pe));
  return { set: new FieldSet(dedupe(members), children), isMember };
}

function dedupe(sorted: PathElement[]): PathElement[] {
  return sorted.filter((pe, i) => i === 0 || comparePathElements(sorted[i - 1], pe) !== 0);
}
