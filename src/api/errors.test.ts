import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, errors, reasonCodes, type StatusReason } from './errors.ts';

describe('error catalogue', () => {
  it('maps every reason to its upstream HTTP code and a Status body', () => {
    const expected: Record<StatusReason, number> = {
      BadRequest: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, MethodNotAllowed: 405, NotAcceptable: 406,
      AlreadyExists: 409, Conflict: 409, Gone: 410, Expired: 410, RequestEntityTooLarge: 413, UnsupportedMediaType: 415,
      Invalid: 422, TooManyRequests: 429, InternalError: 500, ServerTimeout: 500, ServiceUnavailable: 503, Timeout: 504,
    };
    assert.deepEqual(reasonCodes, expected);
    for (const [reason, code] of Object.entries(reasonCodes)) {
      const s = new ApiError(reason as StatusReason, 'm').toStatus();
      assert.deepEqual(s, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'm', reason, code });
    }
  });

  it('words messages as upstream does', () => {
    const deploys = { group: 'apps', resource: 'deployments' };
    assert.equal(errors.notFound(deploys, 'web').message, 'deployments.apps "web" not found');
    assert.equal(errors.notFound({ group: '', resource: 'pods' }, 'p').message, 'pods "p" not found');
    assert.equal(errors.alreadyExists(deploys, 'web').message, 'deployments.apps "web" already exists');
    assert.equal(
      errors.staleObject({ group: '', resource: 'configmaps' }, 'c').message,
      'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again',
    );
    const inv = errors.invalid('apps', 'Deployment', 'web', [
      { type: 'FieldValueRequired', field: 'spec.template.spec.containers[0].image', message: 'Required value' },
    ]);
    assert.equal(inv.message, 'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value');
    assert.deepEqual(inv.details, {
      name: 'web',
      group: 'apps',
      kind: 'Deployment',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers[0].image' }],
    });
    const two = errors.invalid('', 'Pod', 'p', [
      { type: 'FieldValueRequired', field: 'a', message: 'Required value' },
      { type: 'FieldValueInvalid', field: 'b', message: 'Invalid value: 1' },
    ]);
    assert.equal(two.message, 'Pod "p" is invalid: [a: Required value, b: Invalid value: 1]');
    assert.equal(errors.forbidden({ group: '', resource: 'namespaces' }, 'default', 'this namespace may not be deleted').message, 'namespaces "default" is forbidden: this namespace may not be deleted');
    assert.equal(errors.internal(new Error('boom')).message, 'Internal error occurred: boom');
  });
});
