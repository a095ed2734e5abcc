import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * The one way a cluster makes its Kubernetes provider, so every cluster kind behaves alike:
 * - server-side apply, so fields other managers own (HPA replicas, controllers' defaults) are left alone;
 * - ConfigMaps and Secrets updated in place. The provider's default replaces them on any data change,
 *   and a replaced fixed-name object is deleted first, which drags every workload that references it
 *   into a delete-and-recreate: one config value would take the api down. Pods roll on a config change
 *   through the checksum annotation on their template instead.
 */
export function kubernetesProvider(
    name: string,
    connection: Pick<k8s.ProviderArgs, "kubeconfig" | "context">,
    opts: pulumi.CustomResourceOptions,
): k8s.Provider {
    return new k8s.Provider(name, { ...connection, enableServerSideApply: true, enableConfigMapMutable: true, enableSecretMutable: true }, opts);
}
