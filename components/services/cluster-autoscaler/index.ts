import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { autoDiscoveryTags } from "../../cluster/autoscaler-identity";
import { recommendedLabels } from "../../workload/labels";
import type { Resources } from "../../../stacks/schema";
import type { ServiceDefinition } from "../context";
import { httpLiveness, httpReadiness, startup } from "../probes";
import { imageTag, thirdPartyImages } from "../third-party-images";

export const CLUSTER_AUTOSCALER_NAME = "cluster-autoscaler";
/** Metrics and /health-check (the autoscaler's `--address`). */
export const CLUSTER_AUTOSCALER_PORT = 8085;
/** The distroless image's nobody user, as the upstream example manifest runs it. */
const NOBODY = 65534;

/** The upstream example's requests (100m, 600Mi); memory grows with the number of pods and nodes it simulates. */
export const CLUSTER_AUTOSCALER_RESOURCES: Resources = {
    requests: { cpu: "100m", memory: "600Mi", ephemeralStorage: "64Mi" },
    limits: { cpu: "500m", memory: "600Mi", ephemeralStorage: "128Mi" },
};

export interface ClusterAutoscalerArgs {
    clusterName: string;
    region: string;
    namespace: string;
}

/**
 * Cluster Autoscaler for the EKS managed node group: it finds the group's Auto Scaling group by the tags EKS
 * puts on it and grows it when pods are Pending for lack of room (HPA scale-outs), shrinks it when nodes idle.
 */
export function clusterAutoscalerService(args: ClusterAutoscalerArgs): ServiceDefinition {
    return {
        spec: {
            name: CLUSTER_AUTOSCALER_NAME,
            component: "autoscaling",
            version: imageTag("clusterAutoscaler"),
            kind: "Deployment",
            // One active instance by leader election; a second replica would only stand by.
            stateless: false,
            replicas: 1,
            runAsUser: NOBODY,
            serviceAccountToken: true,
            containers: [
                {
                    name: CLUSTER_AUTOSCALER_NAME,
                    image: thirdPartyImages.clusterAutoscaler,
                    command: ["./cluster-autoscaler"],
                    args: [
                        "--cloud-provider=aws",
                        `--node-group-auto-discovery=asg:tag=${autoDiscoveryTags(args.clusterName).join(",")}`,
                        // Status ConfigMap and leader-election Lease in our namespace, not kube-system.
                        `--namespace=${args.namespace}`,
                        "--expander=least-waste",
                        "--balance-similar-node-groups",
                        // Our pods' emptyDirs are scratch space; without this no node running one would ever be removed.
                        "--skip-nodes-with-local-storage=false",
                        `--address=:${CLUSTER_AUTOSCALER_PORT}`,
                        "--stderrthreshold=info",
                        "--v=2",
                    ],
                    env: [{ name: "AWS_REGION", value: args.region }],
                    ports: [{ name: "metrics", containerPort: CLUSTER_AUTOSCALER_PORT }],
                    resources: CLUSTER_AUTOSCALER_RESOURCES,
                    probes: {
                        readiness: httpReadiness("/health-check", CLUSTER_AUTOSCALER_PORT),
                        liveness: httpLiveness("/health-check", CLUSTER_AUTOSCALER_PORT),
                        // The first run lists every node and pod and reads the Auto Scaling groups before it reports healthy.
                        startup: startup(httpReadiness("/health-check", CLUSTER_AUTOSCALER_PORT), 120),
                    },
                    writablePaths: [{ path: "/tmp", sizeLimit: "64Mi" }],
                },
            ],
            servicePorts: [{ name: "metrics", port: CLUSTER_AUTOSCALER_PORT, targetPort: CLUSTER_AUTOSCALER_PORT }],
        },
    };
}

/**
 * What the autoscaler reads cluster-wide to simulate scheduling, and the few writes it makes (node updates,
 * evictions when it drains a node, events); its status ConfigMap and Lease are namespaced, in a Role.
 * After the upstream AWS example manifest, without its long-gone `extensions` API group.
 */
export const CLUSTER_AUTOSCALER_CLUSTER_RULES = [
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
    { apiGroups: [""], resources: ["pods/status"], verbs: ["update"] },
    { apiGroups: [""], resources: ["nodes"], verbs: ["watch", "list", "get", "update"] },
    {
        apiGroups: [""],
        resources: ["namespaces", "pods", "services", "replicationcontrollers", "persistentvolumeclaims", "persistentvolumes"],
        verbs: ["watch", "list", "get"],
    },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["watch", "list"] },
    { apiGroups: ["apps"], resources: ["statefulsets", "replicasets", "daemonsets"], verbs: ["watch", "list", "get"] },
    { apiGroups: ["resource.k8s.io"], resources: ["deviceclasses", "resourceslices", "resourceclaims"], verbs: ["watch", "list", "get"] },
    { apiGroups: ["storage.k8s.io"], resources: ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"], verbs: ["watch", "list", "get"] },
    { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "patch"] },
];

export const CLUSTER_AUTOSCALER_NAMESPACE_RULES = [
    { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "list", "watch"] },
    { apiGroups: [""], resources: ["configmaps"], resourceNames: ["cluster-autoscaler-status"], verbs: ["delete", "get", "update", "watch"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [CLUSTER_AUTOSCALER_NAME], verbs: ["get", "update"] },
];

export class ClusterAutoscalerRbac extends pulumi.ComponentResource {
    constructor(name: string, args: { namespace: pulumi.Input<string>; instance: string }, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:services:ClusterAutoscalerRbac", name, {}, opts);
        const child = { parent: this, provider: opts.provider, dependsOn: opts.dependsOn };
        const labels = recommendedLabels({ name: CLUSTER_AUTOSCALER_NAME, component: "autoscaling", instance: args.instance, version: imageTag("clusterAutoscaler") });
        const subjects = [{ kind: "ServiceAccount", name: CLUSTER_AUTOSCALER_NAME, namespace: args.namespace }];
        // Cluster-scoped names are shared by every stack on the cluster: the instance keeps them apart.
        const clusterRole = new k8s.rbac.v1.ClusterRole(`${name}-cluster-role`, { metadata: { name: `${args.instance}-${CLUSTER_AUTOSCALER_NAME}`, labels }, rules: CLUSTER_AUTOSCALER_CLUSTER_RULES }, child);
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-cluster-binding`,
            { metadata: { name: `${args.instance}-${CLUSTER_AUTOSCALER_NAME}`, labels }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name }, subjects },
            child,
        );
        const role = new k8s.rbac.v1.Role(`${name}-role`, { metadata: { name: CLUSTER_AUTOSCALER_NAME, namespace: args.namespace, labels }, rules: CLUSTER_AUTOSCALER_NAMESPACE_RULES }, child);
        new k8s.rbac.v1.RoleBinding(
            `${name}-binding`,
            { metadata: { name: CLUSTER_AUTOSCALER_NAME, namespace: args.namespace, labels }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name }, subjects },
            child,
        );
        this.registerOutputs({});
    }
}
