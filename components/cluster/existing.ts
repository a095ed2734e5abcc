import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesProvider } from "./kubernetes-provider";
import { Cluster, ClusterReadiness, EdgeExposure, ImageRegistry } from "./types";

export interface ExistingRegistryArgs {
    /** Registry host (and port), e.g. `ghcr.io` or `registry.example.com:5000`. */
    server: string;
    /** Path under the server: `<server>/<namespace>/<image>`, e.g. `acme/nsip`. */
    namespace: string;
    /** Push credentials; both or neither. The password should come from `pulumi config set --secret`. */
    username?: pulumi.Input<string>;
    password?: pulumi.Input<string>;
}

export interface ExistingClusterArgs {
    /** Name reported as the cluster name (stack output). */
    clusterName: string;
    /**
     * Kubeconfig text (kept secret). If omitted, `context` is required and the Kubernetes provider reads the
     * default kubeconfig (`$KUBECONFIG` or `~/.kube/config`) of whoever runs Pulumi, and the `kubeconfig`
     * output of this cluster is empty.
     */
    kubeconfig?: pulumi.Input<string>;
    /** Context to use within the kubeconfig; undefined: its current-context. */
    context?: string;
    /** Where built images are pushed; undefined when the stack deploys prebuilt images. */
    registry?: ExistingRegistryArgs;
    /** StorageClass for PVCs; undefined: the cluster's default class. */
    storageClassName?: string;
}

/** A cluster Pulumi does not manage: a provider from the given kubeconfig/context and a registry from config. */
export class ExistingCluster extends pulumi.ComponentResource implements Cluster {
    public readonly clusterName: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** The provider waits for the cluster itself; nothing further to wait for. */
    public readonly readiness: ClusterReadiness = { pods: [], volumes: [] };
    public readonly registry: ImageRegistry | undefined;
    public readonly storageClassName: pulumi.Output<string> | undefined;
    public readonly edge: EdgeExposure = { kind: "generic" };

    constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nsip:cluster:ExistingCluster", name, {}, opts);
        if (args.kubeconfig === undefined && args.context === undefined) {
            throw new Error("ExistingCluster needs a kubeconfig, a context, or both");
        }
        if (args.registry !== undefined && (args.registry.username === undefined) !== (args.registry.password === undefined)) {
            throw new Error("ExistingCluster registry: give both username and password, or neither");
        }

        this.clusterName = pulumi.output(args.clusterName);
        this.kubeconfig = pulumi.secret(args.kubeconfig ?? "");
        this.provider = kubernetesProvider(
            `${name}-k8s`,
            { kubeconfig: args.kubeconfig === undefined ? undefined : this.kubeconfig, context: args.context },
            { parent: this },
        );

        this.registry = args.registry === undefined ? undefined : registryOf(args.registry);
        this.storageClassName = args.storageClassName === undefined ? undefined : pulumi.output(args.storageClassName);

        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig });
    }
}

function registryOf({ server, namespace, username, password }: ExistingRegistryArgs): ImageRegistry {
    return {
        repositoryUrl: (imageName: string) => pulumi.output(`${server}/${namespace}/${imageName}`),
        credentials:
            username !== undefined && password !== undefined
                ? pulumi.secret(pulumi.all([username, password]).apply(([u, p]) => ({ server, username: u, password: p })))
                : undefined,
        pushDependsOn: [],
    };
}
