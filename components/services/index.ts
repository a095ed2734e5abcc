import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { Hardening } from "../../stacks/schema";
import type { ClusterReadiness } from "../cluster/types";
import { Workload } from "../workload";
import { recommendedLabels, selectorLabels } from "../workload/labels";
import { PeerSelectors, workloadPolicySpec } from "../workload/network-policy";
import { analyzerService } from "./analyzer";
import { ClusterAutoscalerArgs, ClusterAutoscalerRbac, clusterAutoscalerService } from "./cluster-autoscaler";
import { apiService } from "./api";
import { MIGRATIONS_NAME, MigrationJob } from "./api/migrations";
import { CONFIG_VOLUME, ServiceContext, ServiceDefinition, serviceHost } from "./context";
import { frontendService } from "./frontend";
import { grafanaService } from "./grafana";
import { HEALTH_PROBE_NAME, HealthProbe, healthProbeTargets, RoutedService } from "./health-probe";
import { nginxService } from "./nginx";
import { EDGE_SERVICE_NAME, edgeServiceShape } from "./nginx/edge-service";
import { postgresService } from "./postgres";
import { BACKUP_PEER, BackupDestination, PostgresBackup } from "./postgres/backup";
import { PostgresRestore, RESTORE_PEER } from "./postgres/restore";
import { KubeStateMetricsRbac, kubeStateMetricsSpec } from "./kube-state-metrics";
import { ports, ServiceName, serviceNames } from "./ports";
import { prometheusService } from "./prometheus";
import { PrometheusRbac } from "./prometheus/rbac";
import { redisService } from "./redis";
import { imageTag } from "./third-party-images";
import { trafficFor } from "./traffic";

export { serviceNames } from "./ports";
export type { ServiceContext } from "./context";

export interface ServicesArgs {
    context: ServiceContext;
    /** The namespace resource's name: every object waits for the namespace through it. */
    namespace: pulumi.Output<string>;
    instance: string;
    hardening: Hardening;
    /** Where the Kubernetes API server answers, for Prometheus' service discovery. */
    kubeApiCidrs: string[];
    /** The generated Secrets: workloads reference them by name, so they wait for them explicitly. */
    dependsOn: pulumi.Resource[];
    /** What pods, and pods with a volume claim, need of the cluster (nodes, CNI, DNS; the CSI driver). */
    clusterReadiness: ClusterReadiness;
    /** Where the PostgreSQL backups go; without it there is no backup CronJob (nsip:backup.enabled false). */
    backup?: {
        destination: BackupDestination;
        /** On EKS the bucket, role and Pod Identity association: a pod started before the association gets no credentials. */
        dependsOn: pulumi.Resource[];
    };
    /** Node autoscaling (EKS only); its Pod Identity association goes in `dependsOn`. */
    clusterAutoscaler?: ClusterAutoscalerArgs & { dependsOn: pulumi.Resource[] };
}

const definitions: Record<ServiceName, (ctx: ServiceContext) => ServiceDefinition> = {
    postgres: postgresService,
    redis: redisService,
    analyzer: analyzerService,
    api: apiService,
    frontend: frontendService,
    prometheus: prometheusService,
    grafana: grafanaService,
    nginx: nginxService,
};

/**
 * The eight services, each through the shared workload builder, plus the edge's LoadBalancer, the migration Job, the
 * backup CronJob, the restore template and the health-probe template.
 */
export class Services extends pulumi.ComponentResource {
    /** `host:port` inside the cluster, per service and port name. */
    public readonly endpoints: Record<string, string>;

    constructor(name: string, args: ServicesArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:services:Services", name, {}, opts);
        const { context: ctx } = args;
        const child = { parent: this, provider: opts.provider, dependsOn: args.dependsOn };
        const runsPods = args.clusterReadiness.pods;
        const peers: PeerSelectors = {
            pod: (peer) => selectorLabels({ name: peer, instance: args.instance }),
            kubeApiCidrs: args.kubeApiCidrs,
        };
        const destination = args.backup?.destination;
        const autoscaled = args.clusterAutoscaler !== undefined;
        const trafficTable = trafficFor(
            {
                backup: destination !== undefined,
                restore: destination !== undefined,
                "kube-state-metrics": destination !== undefined,
                "cluster-autoscaler": autoscaled,
                s3: destination !== undefined && destination.kind !== "pvc",
                "pod-identity-agent": destination?.kind === "s3" || autoscaled,
            },
            destination?.kind === "s3Compatible" ? endpointPort(destination.endpoint) : undefined,
        );

        const shape = edgeServiceShape(ctx.edge, ctx.config.edge.tlsCertificateArn);
        const workloads: Record<string, ServiceDefinition> = {
            ...Object.fromEntries(serviceNames.map((service) => [service, definitions[service](ctx)])),
            // Backup freshness: kube-state-metrics reports the CronJob's last success to Prometheus.
            ...(destination !== undefined ? { "kube-state-metrics": { spec: kubeStateMetricsSpec(ctx.namespace) } } : {}),
            ...(args.clusterAutoscaler !== undefined ? { "cluster-autoscaler": clusterAutoscalerService(args.clusterAutoscaler) } : {}),
        };

        const build = (service: string, extraDependsOn: pulumi.Resource[] = []): Workload => {
            const def = workloads[service];
            if (def === undefined) throw new Error(`no workload definition for ${service}`);
            const spec = { ...def.spec, podAnnotations: { ...def.spec.podAnnotations }, volumes: [...(def.spec.volumes ?? [])] };
            const labels = recommendedLabels({ name: spec.name, component: spec.component, instance: args.instance, version: spec.version });

            if (def.configFiles) {
                const configMap = new k8s.core.v1.ConfigMap(
                    `${name}-${service}-config`,
                    { metadata: { name: `${service}-config`, namespace: args.namespace, labels }, data: def.configFiles },
                    child,
                );
                spec.volumes.push({ name: CONFIG_VOLUME, configMap: { name: configMap.metadata.name } });
                // subPath mounts never see ConfigMap updates: a checksum in the pod template rolls the pods instead.
                spec.podAnnotations["nsip.dev/config-checksum"] = checksum(def.configFiles);
            }
            if (def.envConfig) {
                const envMap = new k8s.core.v1.ConfigMap(
                    `${name}-${service}-env`,
                    { metadata: { name: `${service}-env`, namespace: args.namespace, labels }, data: def.envConfig },
                    child,
                );
                const [main, ...sidecars] = spec.containers;
                spec.containers = [{ ...main, envFrom: [{ configMapRef: { name: envMap.metadata.name } }] }, ...sidecars];
                spec.podAnnotations["nsip.dev/env-checksum"] = checksum(def.envConfig);
            }
            return new Workload(
                `${name}-${service}`,
                {
                    // On the spec, not only on the component: a component's dependsOn does not reach its children.
                    spec: {
                        ...spec,
                        dependsOn: [
                            ...(spec.dependsOn ?? []),
                            ...args.dependsOn,
                            ...runsPods,
                            ...(spec.persistentVolume ? args.clusterReadiness.volumes : []),
                            ...extraDependsOn,
                        ],
                    },
                    namespace: args.namespace,
                    instance: args.instance,
                    hardening: args.hardening,
                    traffic: trafficTable,
                    peers,
                },
                { parent: this, provider: opts.provider },
            );
        };

        const postgres = build("postgres");
        build("redis");
        build("analyzer");
        const migrations = new MigrationJob(
            `${name}-migrations`,
            {
                namespace: args.namespace,
                namespaceName: ctx.namespace,
                instance: args.instance,
                version: ctx.config.images.version,
                image: ctx.images.api,
                hardening: args.hardening,
                resources: ctx.config.services.api.resources,
                networkPolicy: workloadPolicySpec(MIGRATIONS_NAME, trafficTable, peers),
            },
            { ...child, dependsOn: [...args.dependsOn, ...runsPods, postgres] },
        );
        if (args.backup) {
            const backup = new PostgresBackup(
                `${name}-postgres-backup`,
                {
                    namespace: args.namespace,
                    namespaceName: ctx.namespace,
                    instance: args.instance,
                    hardening: args.hardening,
                    schedule: ctx.config.backup.schedule,
                    retentionDays: ctx.config.backup.retentionDays,
                    destination: args.backup.destination,
                    networkPolicy: workloadPolicySpec(BACKUP_PEER, trafficTable, peers),
                },
                { ...child, dependsOn: [...args.dependsOn, ...runsPods, postgres, ...args.backup.dependsOn] },
            );
            new PostgresRestore(
                `${name}-postgres-restore`,
                {
                    namespace: args.namespace,
                    namespaceName: ctx.namespace,
                    instance: args.instance,
                    hardening: args.hardening,
                    destination: args.backup.destination,
                    scriptsConfigMap: backup.scriptsConfigMap,
                    storageClassName: ctx.storageClassName,
                    networkPolicy: workloadPolicySpec(RESTORE_PEER, trafficTable, peers),
                },
                { ...child, dependsOn: [...args.dependsOn, postgres, ...args.backup.dependsOn] },
            );
            const ksmRbac = new KubeStateMetricsRbac(`${name}-kube-state-metrics-rbac`, { namespace: args.namespace, instance: args.instance }, child);
            build("kube-state-metrics", [ksmRbac]);
        }
        build("api", [migrations]);
        build("frontend");
        new PrometheusRbac(`${name}-prometheus-rbac`, { namespace: args.namespace, instance: args.instance, version: ctx.config.images.version }, child);
        build("prometheus");
        build("grafana");
        build("nginx");
        if (args.clusterAutoscaler) {
            const rbac = new ClusterAutoscalerRbac(`${name}-cluster-autoscaler-rbac`, { namespace: args.namespace, instance: args.instance }, child);
            build("cluster-autoscaler", [rbac, ...args.clusterAutoscaler.dependsOn]);
        }

        /** What the health probe reads of each workload: its spec and the Services in front of it. */
        const routed = Object.fromEntries(
            Object.entries(workloads).map(([service, def]) => {
                const own: RoutedService = { name: def.spec.name, ports: def.spec.servicePorts };
                // The edge's in-cluster Service serves metrics only: its readiness port is reached through the public one.
                const services = service === "nginx" ? [own, { name: EDGE_SERVICE_NAME, ports: shape.ports }] : [own];
                return [service, { spec: def.spec, services }];
            }),
        );
        new HealthProbe(
            `${name}-health-probe`,
            {
                namespace: args.namespace,
                instance: args.instance,
                version: ctx.config.images.version,
                image: ctx.images.api,
                hardening: args.hardening,
                targets: healthProbeTargets(trafficTable, routed, ctx.namespace),
                networkPolicy: workloadPolicySpec(HEALTH_PROBE_NAME, trafficTable, peers),
            },
            { ...child, dependsOn: [...args.dependsOn, ...runsPods] },
        );
        new k8s.core.v1.Service(
            `${name}-edge`,
            {
                metadata: {
                    name: EDGE_SERVICE_NAME,
                    namespace: args.namespace,
                    labels: recommendedLabels({ name: "nginx", component: "edge", instance: args.instance, version: imageTag("edgeNginx") }),
                    annotations: shape.annotations,
                },
                spec: {
                    type: "LoadBalancer",
                    // Keeps the client's address, which the edge's per-client rate limit is keyed on.
                    externalTrafficPolicy: "Local",
                    selector: selectorLabels({ name: "nginx", instance: args.instance }),
                    ports: shape.ports,
                },
            },
            // An NLB takes minutes to report its address, and registers nodes as its targets.
            { ...child, dependsOn: [...args.dependsOn, ...runsPods], customTimeouts: { create: "15m" } },
        );

        const at = (service: string, port: number) => `${serviceHost(service, ctx.namespace)}:${port}`;
        this.endpoints = {
            api: at("api", ports.api.http),
            analyzer: at("analyzer", ports.analyzer.http),
            postgres: at("postgres", ports.postgres.sql),
            redis: at("redis", ports.redis.resp),
            prometheus: at("prometheus", ports.prometheus.http),
        };
        this.registerOutputs({ endpoints: this.endpoints });
    }
}

/** The TCP port of an http(s) endpoint URL. */
function endpointPort(endpoint: string): number {
    const url = new URL(endpoint);
    return url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
}

function checksum(files: Record<string, string>): string {
    const hash = createHash("sha256");
    for (const key of Object.keys(files).sort()) hash.update(key).update("\0").update(files[key]).update("\0");
    return hash.digest("hex");
}
