import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Where the program pushes the images it builds, and how to log in there. */
export interface ImageRegistry {
    /** Full repository URL for an image name, e.g. `123.dkr.ecr.eu-west-1.amazonaws.com/nsip/api` or `localhost:5001/nsip/api`. */
    repositoryUrl(imageName: string): pulumi.Output<string>;
    /** Push credentials; undefined for an unauthenticated registry (the local one). */
    credentials?: pulumi.Output<{ server: string; username: string; password: string }>;
    /**
     * Resources a push must wait for (ECR repositories, the local registry container).
     * Never the cluster itself: image builds overlap cluster creation.
     */
    pushDependsOn: pulumi.Resource[];
}

/** What every cluster implementation (eks, local, existing) hands to the rest of the program. */
export interface Cluster {
    readonly clusterName: pulumi.Output<string>;
    /** Secret output. */
    readonly kubeconfig: pulumi.Output<string>;
    /** The one provider every Kubernetes resource uses (server-side apply on); usable once the API lets us in. */
    readonly provider: k8s.Provider;
    /**
     * What a workload must wait for beyond the API, so nothing waits on more than it needs: `pods` (nodes, the
     * CNI, DNS) for anything that runs pods, `volumes` (the CSI driver) only for workloads with a volume claim.
     * Empty where the cluster is usable as soon as its API answers.
     */
    readonly readiness: ClusterReadiness;
    /** Undefined only for an existing cluster that deploys prebuilt images. */
    readonly registry: ImageRegistry | undefined;
    /** StorageClass for PVCs; undefined means the cluster default. */
    readonly storageClassName: pulumi.Output<string> | undefined;
    /** How the edge LoadBalancer Service is exposed on this kind of cluster. */
    readonly edge: EdgeExposure;
    /** Prod/EKS extras for stack outputs; undefined elsewhere. */
    readonly network?: { vpcId: pulumi.Output<string>; privateSubnetIds: pulumi.Output<string[]>; publicSubnetIds: pulumi.Output<string[]> };
    readonly endpoint?: pulumi.Output<string>;
}

export interface ClusterReadiness {
    pods: pulumi.Resource[];
    volumes: pulumi.Resource[];
}

export type EdgeExposure =
    /** AWS NLB via the in-tree/AWS LB controller annotations on the Service. */
    | { kind: "aws-nlb" }
    /** k3s ServiceLB on the local container, published on 127.0.0.1:<hostPort> of the laptop. */
    | { kind: "local"; hostPort: number }
    /** Any other cluster: plain LoadBalancer Service. */
    | { kind: "generic" };
