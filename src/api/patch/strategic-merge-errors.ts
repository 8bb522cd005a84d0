/**
 * Failures of strategic merge patch application and how the apiserver
 * answers each (`interpretStrategicMergePatchError` in `handlers/patch.go`):
 * malformed directives are 400 BadRequest with the error text; lists of
 * lists and retainKeys mismatches are a 422 with the generic Invalid text;
 * anything else reaches the client as a 500 carrying the raw error text.
 */
import { ApiError, errors } from '../errors.ts';
import { goTypeName, goValue } from './go-format.ts';

export type SmpErrorClass = 'badRequest' | 'invalid' | 'internal';

/** An error raised while merging; `toApiError` maps it to the upstream answer. */
export class SmpError extends Error {
  readonly errorClass: SmpErrorClass;
  constructor(errorClass: SmpErrorClass, message: string) {
    super(message);
    this.name = 'SmpError';
    this.errorClass = errorClass;
  }

  toApiError(): ApiError {
    switch (this.errorClass) {
      case 'badRequest':
        return errors.badRequest(this.message);
      case 'invalid':
        return new ApiError('Invalid', 'the server rejected our request due to an error in our request', {}, { cause: this });
      default:
        // Upstream's reason is empty here (not a StatusError); InternalError is the nearest reason we can carry.
        return new ApiError('InternalError', this.message, undefined, { cause: this });
    }
  }
}

/** The sentinel errors of `k8s.io/apimachinery/pkg/util/mergepatch`, worded identically. */
export const smpErrors = {
  badJSONDoc: () => new SmpError('badRequest', 'invalid JSON document'),
  noListOfLists: () => new SmpError('invalid', 'lists of lists are not supported'),
  badPatchFormatForPrimitiveList: () => new SmpError('badRequest', 'invalid patch format of primitive list'),
  badPatchFormatForRetainKeys: () => new SmpError('badRequest', 'invalid patch format of retainKeys'),
  badPatchFormatForSetElementOrderList: () => new SmpError('badRequest', 'invalid patch format of setElementOrder list'),
  unsupportedFormat: () => new SmpError('badRequest', 'strategic merge patch format is not supported'),
  noMergeKey: (m: unknown, key: string) =>
    new SmpError('internal', `map: ${goValue(m)} does not contain declared merge key: ${key}`),
  badArgType: (expected: 'map' | 'slice', actual: unknown) =>
    new SmpError(
      'internal',
      `expected a ${expected === 'map' ? 'map[string]interface {}' : '[]interface {}'}, but received a ${goTypeName(actual)}`,
    ),
  badPatchType: (directive: unknown, m: unknown) =>
    new SmpError('internal', `unknown patch type: ${goValue(directive)} in map: ${goValue(m)}`),
  internal: (message: string) => new SmpError('internal', message),
};
