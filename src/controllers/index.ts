/**
 * The controllers `bramble server` runs, by name (the names `--disable`
 * takes). Each entry builds one controller on the shared context.
 */
import type { ControllerFactory } from './manager.ts';
import { cronJobControllerFactory } from './cronjob/controller.ts';
import { daemonSetControllerFactory } from './daemonset/controller.ts';
import { DisruptionController } from './disruption/disruption.ts';
import { jobControllerFactory } from './job/controller.ts';
import { endpointsControllerFactory } from './endpoints/endpoints.ts';
import { endpointSliceControllerFactory } from './endpointslice/endpointslice.ts';
import { kubernetesServiceControllerFactory } from './kubernetes-service/kubernetes-service.ts';
import { clusterDnsControllerFactory } from './cluster-dns/cluster-dns.ts';
import { ingressControllerFactory } from './ingress/ingress.ts';
import { serviceLBControllerFactory } from './servicelb/servicelb.ts';
import { resourceQuotaControllerFactory } from './resourcequota/resourcequota.ts';
import { serviceAccountControllerFactory } from './serviceaccount/serviceaccount.ts';
import { serviceIPRepairFactory } from '../admission/service-ip/repair.ts';
import { NodeLifecycleController } from './node-lifecycle/node-lifecycle.ts';
import { NodeIpamController } from './nodeipam/nodeipam.ts';
import { EtcdMemberController } from './etcd-member/etcd-member.ts';
import { TaintEvictionController } from './node-lifecycle/taint-eviction.ts';
import { PodGCController } from './podgc/podgc.ts';
import { deploymentControllerFactory } from './deployment/controller.ts';
import { replicaSetControllerFactory } from './replicaset/controller.ts';
import { statefulSetControllerFactory } from './statefulset/controller.ts';
import { ttlAfterFinishedControllerFactory } from './ttl-after-finished/controller.ts';
import { Scheduler } from '../scheduler/scheduler.ts';

export const controllerFactories: Record<string, ControllerFactory> = {
  replicaset: replicaSetControllerFactory,
  deployment: deploymentControllerFactory,
  daemonset: daemonSetControllerFactory,
  statefulset: statefulSetControllerFactory,
  job: jobControllerFactory,
  cronjob: cronJobControllerFactory,
  'ttl-after-finished': ttlAfterFinishedControllerFactory,
  'kubernetes-service': kubernetesServiceControllerFactory,
  'cluster-dns': clusterDnsControllerFactory,
  ingress: ingressControllerFactory,
  servicelb: serviceLBControllerFactory,
  endpoints: endpointsControllerFactory,
  endpointslice: endpointSliceControllerFactory,
  resourcequota: resourceQuotaControllerFactory,
  serviceaccount: serviceAccountControllerFactory,
  'service-ip-repair': serviceIPRepairFactory,
  'node-lifecycle': (ctx) => new NodeLifecycleController(ctx),
  'taint-eviction-controller': (ctx) => new TaintEvictionController(ctx),
  'pod-garbage-collector': (ctx) => new PodGCController(ctx),
  disruption: (ctx) => new DisruptionController(ctx),
  nodeipam: (ctx) => new NodeIpamController(ctx),
  'etcd-member': (ctx) => new EtcdMemberController(ctx),
  scheduler: (ctx) => new Scheduler(ctx),
};
