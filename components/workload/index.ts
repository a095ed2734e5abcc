import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Hardening } from "../../stacks/schema";
import type { Flow } from "../services/traffic";
import { recommendedLabels, selectorLabels } from "./labels";
import { PeerSelectors, workloadPolicySpec } from "./network-policy";
import { DATA_VOLUME, podSpec } from "./pod";
import type { WorkloadSpec } from "./spec";

export type { ContainerSpec, ServicePort, WorkloadSpec, WritablePath } from "./spec";

export interface WorkloadArgs {
    spec: WorkloadSpec;
    namespace: pulumi.Input<string>;
    instance: string;
    hardening: Hardening;
    traffic: readonly Flow[];
    peers: PeerSelectors;
}

/**
 * The one builder every service goes through: a service spec plus the stack's hardening profile in,
 * ServiceAccount, Deployment or StatefulSet (+ PVC), Service, NetworkPolicy and, per profile,
 * PodDisruptionBudget and HorizontalPodAutoscaler out.
 */
export class Workload extends pulumi.ComponentResource {
    public readonly serviceName: pulumi.Output<string>;
    public readonly workload: k8s.apps.v1.Deployment | k8s.apps.v1.StatefulSet;

    constructor(name: string, args: WorkloadArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:workload:Workload", name, {}, opts);
        const { spec, hardening } = args;
        const child = { parent: this, provider: opts.provider };
        const labels = recommendedLabels({ name: spec.name, component: spec.component, instance: args.instance, version: spec.version });
        const selector = selectorLabels({ name: spec.name, instance: args.instance });
        const metadata = (objectName: string) => ({ name: objectName, namespace: args.namespace, labels });
        const protectData = hardening.protectData ? { protect: true, retainOnDelete: true } : {};

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            { metadata: metadata(spec.name), automountServiceAccountToken: spec.serviceAccountToken ?? false },
            child,
        );

        const volumes = [...(spec.volumes ?? [])];
        if (spec.persistentVolume) {
            const claim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-data`,
                {
                    metadata: {
                        ...metadata(`${spec.name}-data`),
                        // WaitForFirstConsumer classes bind only once the pod exists, which waits on this claim.
                        annotations: { "pulumi.com/skipAwait": "true" },
                    },
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: spec.persistentVolume.storageClassName,
                        resources: { requests: { storage: spec.persistentVolume.size } },
                    },
                },
                { ...child, ...protectData },
            );
            volumes.push({ name: DATA_VOLUME, persistentVolumeClaim: { claimName: claim.metadata.name } });
        }

        const template = {
            metadata: { labels, annotations: spec.podAnnotations },
            spec: podSpec({ ...spec, volumes }, hardening, selector, serviceAccount.metadata.name),
        };
        const managedByHpa = spec.autoscaling !== undefined;
        const workloadOpts = { ...child, dependsOn: spec.dependsOn };
        if (spec.kind === "Deployment") {
            this.workload = new k8s.apps.v1.Deployment(
                `${name}-deployment`,
                {
                    metadata: metadata(spec.name),
                    spec: {
                        // Under an HPA the replica count is the autoscaler's; setting it here would fight it on every update.
                        replicas: managedByHpa ? undefined : spec.replicas,
                        revisionHistoryLimit: 5,
                        selector: { matchLabels: selector },
                        strategy: {
                            type: "RollingUpdate",
                            rollingUpdate: hardening.zeroDowntimeRollouts ? { maxUnavailable: 0, maxSurge: 1 } : { maxUnavailable: 1, maxSurge: 1 },
                        },
                        template,
                    },
                },
                workloadOpts,
            );
        } else {
            this.workload = new k8s.apps.v1.StatefulSet(
                `${name}-statefulset`,
                {
                    metadata: metadata(spec.name),
                    spec: {
                        replicas: 1,
                        serviceName: spec.name,
                        revisionHistoryLimit: 5,
                        podManagementPolicy: "OrderedReady",
                        selector: { matchLabels: selector },
                        updateStrategy: { type: "RollingUpdate" },
                        template,
                    },
                },
                workloadOpts,
            );
        }

        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: metadata(spec.name),
                spec: {
                    type: "ClusterIP",
                    // StatefulSets get a headless Service: stable per-pod DNS, no virtual IP in between.
                    clusterIP: spec.kind === "StatefulSet" ? "None" : undefined,
                    selector,
                    ports: spec.servicePorts.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: "TCP" })),
                },
            },
            child,
        );
        this.serviceName = service.metadata.name;

        new k8s.networking.v1.NetworkPolicy(
            `${name}-netpol`,
            { metadata: metadata(spec.name), spec: workloadPolicySpec(spec.name, args.traffic, args.peers) },
            child,
        );

        if (hardening.podDisruptionBudgets) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-pdb`,
                {
                    metadata: metadata(spec.name),
                    spec: {
                        maxUnavailable: 1,
                        selector: { matchLabels: selector },
                        // A crash-looping pod must not block node drains.
                        unhealthyPodEvictionPolicy: "AlwaysAllow",
                    },
                },
                child,
            );
        }

        if (spec.autoscaling) {
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                `${name}-hpa`,
                {
                    metadata: metadata(spec.name),
                    spec: {
                        scaleTargetRef: { apiVersion: "apps/v1", kind: spec.kind, name: this.workload.metadata.name },
                        minReplicas: spec.autoscaling.minReplicas,
                        maxReplicas: spec.autoscaling.maxReplicas,
                        metrics: [
                            {
                                type: "Resource",
                                resource: { name: "cpu", target: { type: "Utilization", averageUtilization: spec.autoscaling.targetCpuUtilization } },
                            },
                        ],
                        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
                    },
                },
                child,
            );
        }

        // Stryker disable next-line ObjectLiteral: component outputs only reach the engine's state; the program reads the serviceName property
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
