import * as pulumi from "@pulumi/pulumi";
import { EksCluster, EksClusterArgs } from "./eks";
import { ExistingCluster, ExistingClusterArgs } from "./existing";
import { LocalCluster, LocalClusterArgs } from "./local";
import { Cluster } from "./types";

export * from "./types";
export { EksCluster, EksClusterArgs, EksNodeGroupArgs, EksAddonName, ExtraLogType, EKS_ADDONS, GP3_STORAGE_CLASS } from "./eks";
export { EcrRegistry, EcrRegistryArgs, ecrLifecyclePolicy } from "./ecr";
export { ClusterVpcArgs } from "./vpc";
export { EKS_ADDON_CONFIG_KEYS, EKS_DEFAULT_ADDON_VERSION } from "./addons";
export { findRetainedData, RetainedData } from "./retained";
export { LocalCluster, LocalClusterArgs, LOCAL_EDGE_SERVICE_PORT, DEFAULT_K3S_IMAGE, DEFAULT_REGISTRY_IMAGE } from "./local";
export { ExistingCluster, ExistingClusterArgs, ExistingRegistryArgs } from "./existing";

/** `cluster.provider` from the stack config picks the implementation; the rest is that implementation's args. */
export type ClusterArgs =
    | ({ provider: "eks" } & EksClusterArgs)
    | ({ provider: "local" } & LocalClusterArgs)
    | ({ provider: "existing" } & ExistingClusterArgs);

export function createCluster(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions): Cluster {
    switch (args.provider) {
        case "eks": {
            const { provider: _, ...eks } = args;
            return new EksCluster(name, eks, opts);
        }
        case "local": {
            const { provider: _, ...local } = args;
            return new LocalCluster(name, local, opts);
        }
        case "existing": {
            const { provider: _, ...existing } = args;
            return new ExistingCluster(name, existing, opts);
        }
    }
}
