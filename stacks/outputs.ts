import * as pulumi from "@pulumi/pulumi";

/**
 * The stack outputs: a public contract read by other teams through `pulumi stack output` and
 * StackReference (examples/consumer). This table is the one definition: index.ts must return exactly
 * this shape (StackOutputs is derived from it), and test/outputs-contract.test.ts pins every name, type,
 * presence per cluster kind and secretness against what the program really exports.
 *
 * Compatibility rule (README, "Stack outputs"): outputs are only ever added. Renaming, removing, changing
 * the type, making an output secret or present on fewer cluster kinds breaks consumers: add the new output
 * next to the old one, mark the old one deprecated here, and remove it only in a release that says so.
 */

export type ClusterKind = "local" | "eks" | "existing";
export const CLUSTER_KINDS: readonly ClusterKind[] = ["local", "eks", "existing"];

/** The value types outputs have; "imageDigests" is `{ api, frontend, analyzer }` of strings. */
export type OutputValueType = "string" | "string[]" | "imageDigests";

export interface OutputSpec {
    type: OutputValueType;
    /** Exported as a Pulumi secret: `pulumi stack output` hides it, a StackReference reads it as a secret. */
    secret: boolean;
    /** Cluster kinds (`nsip:cluster.provider`) whose stacks export it; every other stack lacks it. */
    clusters: readonly ClusterKind[];
    description: string;
}

const everywhere = CLUSTER_KINDS;

export const STACK_OUTPUTS = {
    namespace: { type: "string", secret: false, clusters: everywhere, description: "namespace of every workload" },
    publicUrl: { type: "string", secret: false, clusters: everywhere, description: "the edge: https://<edge.hostname> (http://127.0.0.1:<edgePort> on a laptop)" },
    grafanaUrl: { type: "string", secret: false, clusters: everywhere, description: "Grafana under the edge, <publicUrl>/grafana/" },
    grafanaAdminPassword: { type: "string", secret: true, clusters: everywhere, description: "generated; the user is nsip:observability.grafanaAdminUser" },
    apiEndpoint: { type: "string", secret: false, clusters: everywhere, description: "api's in-cluster host:port" },
    analyzerEndpoint: { type: "string", secret: false, clusters: everywhere, description: "analyzer's in-cluster host:port" },
    postgresEndpoint: { type: "string", secret: false, clusters: everywhere, description: "PostgreSQL's in-cluster host:port" },
    redisEndpoint: { type: "string", secret: false, clusters: everywhere, description: "Redis' in-cluster host:port" },
    prometheusEndpoint: { type: "string", secret: false, clusters: everywhere, description: "Prometheus' in-cluster host:port" },
    imageDigests: { type: "imageDigests", secret: false, clusters: everywhere, description: "repository@sha256:... of the api, frontend and analyzer images" },
    clusterName: { type: "string", secret: false, clusters: everywhere, description: "the cluster's name" },
    kubeconfig: { type: "string", secret: true, clusters: everywhere, description: "EKS: uses `aws eks get-token`; local: a client certificate" },
    vpcId: { type: "string", secret: false, clusters: ["eks"], description: "the cluster's VPC" },
    privateSubnetIds: { type: "string[]", secret: false, clusters: ["eks"], description: "node subnets, one per availability zone" },
    publicSubnetIds: { type: "string[]", secret: false, clusters: ["eks"], description: "load-balancer subnets, one per availability zone" },
    clusterEndpoint: { type: "string", secret: false, clusters: ["eks"], description: "the Kubernetes API server URL" },
} as const satisfies Record<string, OutputSpec>;

export type OutputName = keyof typeof STACK_OUTPUTS;

type ValueOf<T extends OutputValueType> = T extends "string" ? string : T extends "string[]" ? string[] : Record<"api" | "frontend" | "analyzer", string>;
type Spec<K extends OutputName> = (typeof STACK_OUTPUTS)[K];
type OnEveryCluster = { [K in OutputName]: [ClusterKind] extends [Spec<K>["clusters"][number]] ? K : never }[OutputName];

/** The plain value a consumer reads for an output (a secret one arrives as a secret Output). */
export type OutputValue<K extends OutputName> = ValueOf<Spec<K>["type"]>;

/** What the program returns: outputs present on every cluster kind are required, the others optional. */
export type StackOutputs = { [K in OnEveryCluster]: pulumi.Input<OutputValue<K>> } & {
    [K in Exclude<OutputName, OnEveryCluster>]?: pulumi.Input<OutputValue<K>>;
};
