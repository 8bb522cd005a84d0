/**
 * The query and path parameters of the Kubernetes REST operations, as the
 * OpenAPI documents list them (names and types are upstream's; the wording
 * is ours). kubectl looks for `fieldValidation` on PATCH operations to
 * decide that the server validates fields itself.
 */
import type { JsonSchema } from './schemas.ts';

type ParamType = 'string' | 'integer' | 'boolean';

const q = (type: ParamType, description: string) => ({ type, description });

/** Query parameters by name. */
export const queryParams = {
  pretty: q('string', "If 'true', the output is indented. Browsers and command-line HTTP tools get indented output by default."),
  dryRun: q('string', 'When present, the request is processed in full but nothing is persisted. The only valid value is All.'),
  fieldManager: q(
    'string',
    'The name of the actor making the change, recorded in managedFields. At most 128 printable characters. Required for apply patches.',
  ),
  fieldValidation: q(
    'string',
    'What to do with unknown or duplicate fields in the request object: Ignore drops them silently, Warn drops them and returns a warning header for each, Strict fails the request with a BadRequest listing them.',
  ),
  force: q('boolean', 'Apply patches only: take ownership of fields that other managers own instead of failing with a conflict. Must be unset for other patch types.'),
  allowWatchBookmarks: q('boolean', 'Ask for BOOKMARK watch events, which carry only a resourceVersion. Servers may ignore this.'),
  continue: q('string', 'The continue token of a previous paginated list call, to fetch the next page.'),
  fieldSelector: q('string', 'Restrict the returned objects by their fields, e.g. metadata.name=web. Defaults to everything.'),
  labelSelector: q('string', 'Restrict the returned objects by their labels, e.g. app=web,tier!=db. Defaults to everything.'),
  limit: q('integer', 'The most objects a list call returns; if more exist, the reply carries a continue token.'),
  resourceVersion: q('string', 'Which version of the data a list or watch starts from. See resourceVersionMatch.'),
  resourceVersionMatch: q('string', 'How resourceVersion is applied to a list: Exact or NotOlderThan.'),
  sendInitialEvents: q('boolean', 'Watch only: start with synthetic ADDED events for every existing object, followed by a bookmark marking the end of them.'),
  timeoutSeconds: q('integer', 'Close the list or watch call after this many seconds.'),
  watch: q('boolean', 'Watch for changes to the described objects instead of listing them.'),
  gracePeriodSeconds: q('integer', 'Seconds the object gets before it is deleted; 0 deletes immediately. Defaults to a value that depends on the kind.'),
  ignoreStoreReadErrorWithClusterBreakingPotential: q(
    'boolean',
    'Delete an object the server cannot read back (for example one that fails to decode), skipping finalizers and preconditions. Unsafe; defaults to false.',
  ),
  orphanDependents: q('boolean', 'Deprecated: use propagationPolicy. Whether dependents are orphaned.'),
  propagationPolicy: q('string', 'How dependents are garbage collected: Orphan, Background or Foreground.'),
  container: q('string', 'The container to use. Defaults to the only container, if there is just one.'),
  follow: q('boolean', 'Keep streaming the log as it grows.'),
  insecureSkipTLSVerifyBackend: q('boolean', "Do not verify the serving certificate of the node's kubelet when fetching logs."),
  limitBytes: q('integer', 'Stop after this many bytes of log.'),
  previous: q('boolean', 'Return the log of the previous, terminated instance of the container.'),
  sinceSeconds: q('integer', 'Only return log lines newer than this many seconds.'),
  stream: q('string', 'Which stream to return: All (default), Stdout or Stderr.'),
  tailLines: q('integer', 'Return only this many lines from the end of the log.'),
  timestamps: q('boolean', 'Prefix every log line with an RFC 3339 timestamp.'),
  command: q('string', 'The command to run, one parameter per argument.'),
  stderr: q('boolean', 'Attach the standard error of the command.'),
  stdin: q('boolean', 'Attach the standard input of the command.'),
  stdout: q('boolean', 'Attach the standard output of the command.'),
  tty: q('boolean', 'Allocate a terminal for the command.'),
  ports: q('integer', 'The container ports to forward.'),
};

export type QueryParam = keyof typeof queryParams;

/** A parameter object as it appears in an operation or a path item. */
export function queryParam(name: QueryParam): JsonSchema {
  const p = queryParams[name];
  return { description: p.description, in: 'query', name, schema: { type: p.type, uniqueItems: true } };
}

export function pathParam(name: 'name' | 'namespace', kind: string): JsonSchema {
  const description = name === 'name' ? `name of the ${kind}` : 'the namespace, a scope for names';
  return { description, in: 'path', name, required: true, schema: { type: 'string', uniqueItems: true } };
}

/** Parameters of each kind of operation, besides the path parameters and `pretty`. */
export const operationParams: Record<string, QueryParam[]> = {
  list: [
    'allowWatchBookmarks',
    'continue',
    'fieldSelector',
    'labelSelector',
    'limit',
    'resourceVersion',
    'resourceVersionMatch',
    'sendInitialEvents',
    'timeoutSeconds',
    'watch',
  ],
  create: ['dryRun', 'fieldManager', 'fieldValidation'],
  replace: ['dryRun', 'fieldManager', 'fieldValidation'],
  patch: ['dryRun', 'fieldManager', 'fieldValidation', 'force'],
  delete: ['dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'orphanDependents', 'propagationPolicy'],
  deletecollection: [
    'continue',
    'dryRun',
    'fieldSelector',
    'gracePeriodSeconds',
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'labelSelector',
    'limit',
    'orphanDependents',
    'propagationPolicy',
    'resourceVersion',
    'resourceVersionMatch',
    'sendInitialEvents',
    'timeoutSeconds',
  ],
  get: [],
  log: ['container', 'follow', 'insecureSkipTLSVerifyBackend', 'limitBytes', 'previous', 'sinceSeconds', 'stream', 'tailLines', 'timestamps'],
  exec: ['command', 'container', 'stderr', 'stdin', 'stdout', 'tty'],
  attach: ['container', 'stderr', 'stdin', 'stdout', 'tty'],
  portforward: ['ports'],
};
