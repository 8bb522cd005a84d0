/**
 * Fluent builders for validation tests: objects are built as a user would
 * write them, then defaulted exactly as the apiserver does before validating.
 */
import { applyDefaults } from '../defaults/index.ts';
import type { FieldError } from '../field-errors.ts';
import { validate, type GVK } from './index.ts';

export type Obj = Record<string, any>;

export const gvk = {
  pod: { group: '', version: 'v1', kind: 'Pod' },
  service: { group: '', version: 'v1', kind: 'Service' },
  deployment: { group: 'apps', version: 'v1', kind: 'Deployment' },
} as const;

/** Defaults a copy of `obj` as the apiserver would, then validates it. */
export function check(kind: GVK, obj: Obj, old?: Obj, opts?: { subresource?: string }): FieldError[] {
  const o = structuredClone(obj);
  applyDefaults(kind, o);
  let prev: Obj | undefined;
  if (old) {
    prev = structuredClone(old);
    applyDefaults(kind, prev);
  }
  return validate(kind, o, prev, opts);
}

/** `field: message` lines, as kubectl prints them. */
export const lines = (errs: FieldError[]): string[] => errs.map((e) => `${e.field}: ${e.message}`);

export class DeploymentBuilder {
  readonly o: Obj;
  constructor(name = 'nginx-deployment') {
    this.o = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'nginx' } },
        template: {
          metadata: { labels: { app: 'nginx' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }] }] },
        },
      },
    };
  }
  get podSpec(): Obj {
    return this.o.spec.template.spec;
  }
  container(i = 0): Obj {
    return this.podSpec.containers[i];
  }
  with(fn: (o: Obj) => void): this {
    fn(this.o);
    return this;
  }
  antiAffinity(): this {
    this.podSpec.affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['nginx'] }] },
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      },
    };
    return this;
  }
  rollingUpdate(maxSurge: number | string, maxUnavailable: number | string): this {
    this.o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } };
    return this;
  }
  obj(): Obj {
    return structuredClone(this.o);
  }
}

export const deployment = (name?: string) => new DeploymentBuilder(name);

export function pod(spec: Obj, name = 'web'): Obj {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec };
}
