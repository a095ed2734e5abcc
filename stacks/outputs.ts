import * as pulumi from "@pulumi/pulumi";

/**
 * The stack outputs: a public contract read by other teams through `pulumi stack output` and
 * StackReference. Rename nothing here without a deprecation period (README, "Stack outputs").
 */
export interface StackOutputs {
    namespace: pulumi.Input<string>;
    publicUrl: pulumi.Input<string>;
    grafanaUrl: pulumi.Input<string>;
    /** Secret. The Grafana admin user is `nsip:observability.grafanaAdminUser` (default admin). */
    grafanaAdminPassword: pulumi.Output<string>;
    /** `host:port` inside the cluster. */
    apiEndpoint: string;
    analyzerEndpoint: string;
    postgresEndpoint: string;
    redisEndpoint: string;
    prometheusEndpoint: string;
    /** `repository@sha256:...` per application image. */
    imageDigests: pulumi.Output<Record<"api" | "frontend" | "analyzer", string>>;
    clusterName: pulumi.Input<string>;
    /** Secret. */
    kubeconfig: pulumi.Output<string>;
    /** EKS only. */
    vpcId?: pulumi.Input<string>;
    privateSubnetIds?: pulumi.Input<string[]>;
    publicSubnetIds?: pulumi.Input<string[]>;
    clusterEndpoint?: pulumi.Input<string>;
}
