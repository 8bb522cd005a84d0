/**
 * Learning the API servers from the cluster: the `default/kubernetes`
 * EndpointSlice, which every API server keeps listing its advertise address
 * and port in (src/controllers/kubernetes-service).
 *
 * A watch of that one object (namespace `default`, `metadata.name=kubernetes`)
 * rather than the service proxy's EndpointSlice informer: the proxy runs
 * only on containerd nodes and keeps its informer to itself, while every
 * agent with `--server` needs the list; one object's watch costs next to
 * nothing on either side.
 */
import { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { addressesFromSlice } from './address.ts';

/** Calls `onServers` with the slice's addresses on every change, until `signal`. */
export async function followKubernetesEndpoints(client: Client, onServers: (addresses: string[]) => void, signal: AbortSignal): Promise<void> {
  const slices = new Informer(client, resources.endpointslices, { namespace: 'default', fieldSelector: 'metadata.name=kubernetes' });
  const seen = (o: Obj) => {
    if (o['metadata']?.namespace === 'default' && o['metadata']?.name === 'kubernetes') onServers(addressesFromSlice(o));
  };
  // A deleted slice is recreated by the servers at once; meanwhile the list stays as it was.
  slices.addHandler({ add: seen, update: (_old, o) => seen(o) });
  await slices.run(signal);
}
