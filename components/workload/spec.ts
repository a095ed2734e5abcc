import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../stacks/schema";

type Probe = k8s.types.input.core.v1.Probe;

/** A path the process writes to; the root filesystem is read-only, so each becomes an emptyDir. */
export interface WritablePath {
    path: string;
    /** "Memory" for tmpfs (fast scratch, counted against the memory limit). */
    medium?: "Memory";
    sizeLimit: string;
}

export interface ContainerSpec {
    name: string;
    image: pulumi.Input<string>;
    command?: string[];
    args?: pulumi.Input<string>[];
    ports: { name: string; containerPort: number }[];
    env?: pulumi.Input<k8s.types.input.core.v1.EnvVar>[];
    envFrom?: pulumi.Input<k8s.types.input.core.v1.EnvFromSource>[];
    resources: Resources;
    /** Readiness and liveness must differ: liveness only asks "is the process stuck?". */
    probes: { readiness: Probe; liveness: Probe; startup?: Probe };
    writablePaths: WritablePath[];
    /**
     * Config files and secrets: read-only mounts of the workload's `volumes`. `writable` only for a volume a Job's
     * containers hand files through (an init container's download for the main container).
     */
    mounts?: { volume: string; mountPath: string; subPath?: string; writable?: true }[];
    /** Mount point of the StatefulSet's persistent volume, if this container uses it. */
    dataMountPath?: string;
    /** A Job's container whose failure must reach the Job's reader: the tail of its log becomes the termination message. */
    terminationMessagePolicy?: "FallbackToLogsOnError";
}

export interface ServicePort {
    /** Name is the contract with Prometheus: the port named `metrics` is scraped. */
    name: string;
    port: number;
    targetPort: number;
}

export interface WorkloadSpec {
    name: string;
    component: string;
    version: string;
    kind: "Deployment" | "StatefulSet";
    /** Stateless workloads get replicas, PDBs, spreading and zero-downtime rollouts from the profile. */
    stateless: boolean;
    replicas: number;
    autoscaling?: { minReplicas: number; maxReplicas: number; targetCpuUtilization: number };
    /** uid = gid of every container; never 0. */
    runAsUser: number;
    /** fsGroup for volumes; defaults to runAsUser. */
    fsGroup?: number;
    containers: ContainerSpec[];
    volumes?: pulumi.Input<k8s.types.input.core.v1.Volume>[];
    persistentVolume?: { size: string; storageClassName?: pulumi.Input<string> };
    servicePorts: ServicePort[];
    /** Annotations that roll the pods when rendered config changes (a checksum of it). */
    podAnnotations?: Record<string, pulumi.Input<string>>;
    /** Only prometheus: it reads the Kubernetes API for service discovery. */
    serviceAccountToken?: boolean;
    /** Resources the workload must wait for (e.g. the migration Job before the api). */
    dependsOn?: pulumi.Resource[];
}
