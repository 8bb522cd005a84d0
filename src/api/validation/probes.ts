/**
 * Probes and lifecycle hooks: exactly one handler, valid ports, and the
 * timing rules upstream applies to liveness, readiness and startup probes.
 */
import { field, type FieldError, type Path } from '../field-errors.ts';
import { isHTTPHeaderName, isValidPortName, isValidPortNum } from './names.ts';
import { arr, isObj, isSet, nonNegative, obj, str, type Obj } from './util.ts';

/** ValidatePortNumOrName for an IntOrString port. */
export function validatePortNumOrName(port: unknown, path: Path): FieldError[] {
  if (typeof port === 'string') return isValidPortName(port).map((m) => field.invalid(path, port, m));
  const n = typeof port === 'number' ? port : 0;
  return isValidPortNum(n).map((m) => field.invalid(path, n, m));
}

type HandlerKind = 'exec' | 'httpGet' | 'tcpSocket' | 'grpc' | 'sleep';

function validateHandler(h: Obj, kinds: HandlerKind[], grace: number | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of kinds) {
    if (!isSet(h[kind])) continue;
    if (n > 0) {
      errs.push(field.forbidden(path.child(kind), 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    const a = obj(h[kind]);
    const p = path.child(kind);
    switch (kind) {
      case 'exec':
        if (arr(a.command).length === 0) errs.push(field.required(p.child('command')));
        break;
      case 'httpGet':
        if (!str(a.path)) errs.push(field.required(p.child('path')));
        errs.push(...validatePortNumOrName(a.port, p.child('port')));
        if (a.scheme !== 'HTTP' && a.scheme !== 'HTTPS')
          errs.push(field.notSupported(p.child('scheme'), str(a.scheme), ['HTTP', 'HTTPS']));
        for (const hdr of arr(a.httpHeaders))
          errs.push(...isHTTPHeaderName(str(obj(hdr).name)).map((m) => field.invalid(p.child('httpHeaders'), str(obj(hdr).name), m)));
        break;
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(a.port, p.child('port')));
        break;
      case 'grpc': {
        const port = typeof a.port === 'number' ? a.port : 0;
        errs.push(...isValidPortNum(port).map((m) => field.invalid(p.child('port'), port, m)));
        break;
      }
      case 'sleep': {
        const s = typeof a.seconds === 'number' ? a.seconds : 0;
        if (grace !== undefined && (s <= 0 || s > grace))
          errs.push(
            field.invalid(
              p,
              s,
              `must be greater than 0 and less than terminationGracePeriodSeconds (${grace}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
            ),
          );
        break;
      }
    }
  }
  if (n === 0) errs.push(field.required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: Obj, grace: number | undefined, path: Path): FieldError[] {
  const errs = validateHandler(probe, ['exec', 'httpGet', 'tcpSocket', 'grpc'], grace, path);
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'])
    errs.push(...nonNegative(probe[k], path.child(k)));
  const tgps = probe.terminationGracePeriodSeconds;
  if (typeof tgps === 'number' && tgps <= 0)
    errs.push(field.invalid(path.child('terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  return errs;
}

export type ProbeKind = 'livenessProbe' | 'readinessProbe' | 'startupProbe';

/** A container's probe of the given kind, if set. */
export function validateContainerProbe(kind: ProbeKind, probeIn: unknown, grace: number | undefined, path: Path): FieldError[] {
  if (!isObj(probeIn)) return [];
  const errs = validateProbe(probeIn, grace, path);
  const st = typeof probeIn.successThreshold === 'number' ? probeIn.successThreshold : 0;
  if (kind !== 'readinessProbe' && st !== 1) errs.push(field.invalid(path.child('successThreshold'), st, 'must be 1'));
  if (kind === 'readinessProbe' && isSet(probeIn.terminationGracePeriodSeconds))
    errs.push(
      field.invalid(path.child('terminationGracePeriodSeconds'), probeIn.terminationGracePeriodSeconds, 'must not be set for readinessProbes'),
    );
  return errs;
}

export function validateLifecycle(lcIn: unknown, grace: number | undefined, path: Path): FieldError[] {
  const lc = obj(lcIn);
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop'])
    if (isObj(lc[hook])) errs.push(...validateHandler(lc[hook], ['exec', 'httpGet', 'tcpSocket', 'sleep'], grace, path.child(hook)));
  return errs;
}
