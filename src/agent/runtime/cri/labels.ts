/**
 * The labels the agent puts on every CRI sandbox and container, with the
 * kubelet's key names, so a restarted agent (or crictl) can tell whose
 * pod and which container each one is without any state of its own.
 */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Ours: the container is an init container (the kubelet keeps that in its own records). */
export const LABEL_INIT = 'bramble.io/init-container';
/**
 * Ours, as a sandbox annotation: the CRI config the sandbox was run with.
 * containerd reads the sandbox's log directory and cgroup parent from the
 * copy sent with each CreateContainer, so an agent that restarted must be
 * able to send the same one again.
 */
export const ANNOTATION_SANDBOX_CONFIG = 'bramble.io/sandbox-config';
