/**
 * Creating and deleting a controller's pods, with the events upstream's
 * RealPodControl records on the controller (SuccessfulCreate, FailedCreate,
 * SuccessfulDelete, FailedDelete).
 */
import { isApiError } from '../../api/errors.ts';
import type { EventRecorder } from '../../client/events.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import type { OwnerReference } from './controller-ref.ts';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * `<name>-`, or the bare name when that prefix could not start a valid pod
 * name (upstream's getPodsPrefix); the registry appends 5 random characters.
 */
export function podNamePrefix(controllerName: string): string {
  const prefix = `${controllerName}-`;
  const probe = prefix.length > 253 ? '' : `${prefix}abcde`;
  return probe && probe.split('.').every((part) => dns1123Label.test(part)) ? prefix : controllerName;
}

/**
 * The pod a controller creates from its template (upstream's
 * GetPodFromTemplate): the template's labels, annotations and finalizers, a
 * generated name from the controller's, the controller reference, and a copy
 * of the template's spec.
 */
export function podFromTemplate(template: Obj, controller: Obj, ref: OwnerReference | undefined): Obj {
  const tm = template['metadata'] ?? {};
  const metadata: Obj = { generateName: podNamePrefix(controller['metadata'].name), namespace: controller['metadata'].namespace };
  if (tm.labels) metadata['labels'] = { ...tm.labels };
  if (tm.annotations) metadata['annotations'] = { ...tm.annotations };
  if (tm.finalizers) metadata['finalizers'] = [...tm.finalizers];
  if (ref) metadata['ownerReferences'] = [{ ...ref }];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template['spec'] ?? {}) };
}

/** Did a create fail only because the namespace is going away (nothing to retry)? */
export function isNamespaceTerminating(e: unknown): boolean {
  if (!isApiError(e, 'Forbidden')) return false;
  return /because it is being terminated/.test(e.message);
}

export class PodControl {
  private readonly client: Client;
  private readonly recorder: EventRecorder;

  constructor(client: Client, recorder: EventRecorder) {
    this.client = client;
    this.recorder = recorder;
  }

  /** Creates one pod from the template for `controller`; records the event either way. */
  async createPod(template: Obj, controller: Obj, ref: OwnerReference): Promise<Obj> {
    const pod = podFromTemplate(template, controller, ref);
    if (!pod['metadata'].labels || Object.keys(pod['metadata'].labels).length === 0) {
      throw new Error('unable to create pods, no labels');
    }
    try {
      const created = await this.client.create(resources.pods, controller['metadata'].namespace, pod);
      this.recorder.event(controller, 'Normal', 'SuccessfulCreate', `Created pod: ${created['metadata'].name}`);
      return created;
    } catch (e) {
      if (!isNamespaceTerminating(e)) this.recorder.event(controller, 'Warning', 'FailedCreate', `Error creating: ${errorText(e)}`);
      throw e;
    }
  }

  /** Deletes a pod of `controller`; NotFound is rethrown without an event. */
  async deletePod(namespace: string, name: string, controller: Obj): Promise<void> {
    try {
      await this.client.delete(resources.pods, namespace, name);
    } catch (e) {
      if (isApiError(e, 'NotFound')) throw e;
      this.recorder.event(controller, 'Warning', 'FailedDelete', `Error deleting: ${errorText(e)}`);
      throw new Error(`unable to delete pods: ${errorText(e)}`, { cause: e });
    }
    this.recorder.event(controller, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
