/**
 * Field-level validation errors, worded as upstream's
 * k8s.io/apimachinery/pkg/util/validation/field so kubectl's
 * `* spec.x: Required value` lines read exactly as users expect.
 *
 * Validators return FieldError[] (an expected outcome, not an exception);
 * the registry turns a non-empty list into a 422 `errors.invalid(...)`.
 */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueNotFound'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  /** Path in upstream notation: `spec.template.spec.containers[0].image`, `metadata.labels[app]`. */
  field: string;
  /** The full message kubectl prints after `field: `. */
  message: string;
}

/** Renders a bad value the way Go's validation does: strings quoted, others as JSON. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function withDetail(head: string, detail?: string): string {
  return detail ? `${head}: ${detail}` : head;
}

/**
 * Immutable path builder: `root('spec').child('containers').index(0).child('image')`
 * prints `spec.containers[0].image`; `.key('app')` prints `[app]`.
 */
export class Path {
  private readonly segments: readonly string[];
  constructor(segments: readonly string[] = []) {
    this.segments = segments;
  }
  child(...names: string[]): Path {
    return new Path([...this.segments, ...names]);
  }
  index(i: number): Path {
    return new Path([...this.segments, `[${i}]`]);
  }
  key(k: string): Path {
    return new Path([...this.segments, `[${k}]`]);
  }
  toString(): string {
    let out = '';
    for (const s of this.segments) out += s.startsWith('[') || out === '' ? s : `.${s}`;
    return out;
  }
}

export function root(...names: string[]): Path {
  return new Path(names);
}

type P = Path | string;
const str = (p: P) => (typeof p === 'string' ? p : p.toString());

export const field = {
  required(path: P, detail?: string): FieldError {
    return { type: 'FieldValueRequired', field: str(path), message: withDetail('Required value', detail) };
  },
  invalid(path: P, value: unknown, detail?: string): FieldError {
    return { type: 'FieldValueInvalid', field: str(path), message: withDetail(`Invalid value: ${show(value)}`, detail) };
  },
  notSupported(path: P, value: unknown, supported: readonly string[]): FieldError {
    const list = supported.length ? `: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : '';
    return { type: 'FieldValueNotSupported', field: str(path), message: `Unsupported value: ${show(value)}${list}` };
  },
  duplicate(path: P, value: unknown): FieldError {
    return { type: 'FieldValueDuplicate', field: str(path), message: `Duplicate value: ${show(value)}` };
  },
  notFound(path: P, value: unknown): FieldError {
    return { type: 'FieldValueNotFound', field: str(path), message: `Not found: ${show(value)}` };
  },
  forbidden(path: P, detail: string): FieldError {
    return { type: 'FieldValueForbidden', field: str(path), message: withDetail('Forbidden', detail) };
  },
  tooLong(path: P, max: number): FieldError {
    return { type: 'FieldValueTooLong', field: str(path), message: `Too long: may not be more than ${max} bytes` };
  },
  tooMany(path: P, actual: number, max: number): FieldError {
    return { type: 'FieldValueTooMany', field: str(path), message: `Too many: ${actual}: must have at most ${max} items` };
  },
  typeInvalid(path: P, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueTypeInvalid', field: str(path), message: `Invalid value: ${show(value)}: ${detail}` };
  },
  internal(path: P, err: unknown): FieldError {
    return { type: 'InternalError', field: str(path), message: `Internal error: ${err instanceof Error ? err.message : String(err)}` };
  },
};
