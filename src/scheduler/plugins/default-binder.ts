/** DefaultBinder: writes the pod's binding (POST pods/binding), which sets spec.nodeName. */
import { resources, type Client } from '../../client/types.ts';
import type { PodInfo } from '../cache/pod-info.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import type { BindPlugin } from '../framework/interfaces.ts';
import { errorStatus, ok, type Status } from '../framework/status.ts';

export class DefaultBinder implements BindPlugin {
  readonly name = 'DefaultBinder';
  private readonly client: Client;

  constructor(client: Client) {
    this.client = client;
  }

  async bind(_s: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    try {
      await this.client.createSubresource(resources.pods, pod.namespace, pod.name, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      });
      return ok;
    } catch (e) {
      return errorStatus(e);
    }
  }
}
