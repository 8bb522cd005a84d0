/**
 * The controllers `bramble server` runs, by name (the names `--disable`
 * takes). Each entry builds one controller on the shared context.
 */
import type { ControllerFactory } from './manager.ts';
import { daemonSetControllerFactory } from './daemonset/controller.ts';
import { kubernetesServiceControllerFactory } from './kubernetes-service/kubernetes-service.ts';
import { replicaSetControllerFactory } from './replicaset/controller.ts';

export const controllerFactories: Record<string, ControllerFactory> = {
  replicaset: replicaSetControllerFactory,
  daemonset: daemonSetControllerFactory,
  'kubernetes-service': kubernetesServiceControllerFactory,
};
