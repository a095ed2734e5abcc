import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { ClusterArgs, createCluster, EKS_ADDON_CONFIG_KEYS, EKS_ADDONS, EksAddonName, findRetainedData, RetainedData } from "./components/cluster";
import { eksServiceCidr, kubernetesServiceIp } from "./components/cluster/cidr";
import { engineOnThisMachine, localClusterPorts, takenPorts } from "./components/cluster/local-ports";
import { AppImages, AppName, appNames, resolveBuildContext } from "./components/images";
import { imagePlatform } from "./components/images/engine-platform";
import type { ImageRegistry } from "./components/cluster/types";
import { Platform } from "./components/platform";
import { Services } from "./components/services";
import { CLUSTER_AUTOSCALER_NAME } from "./components/services/cluster-autoscaler";
import { ClusterAutoscalerIdentity } from "./components/cluster/autoscaler-identity";
import { BACKUP_NAME } from "./components/services/postgres/backup";
import { PostgresBackupStorage } from "./components/services/postgres/backup-storage";
import { loadStackConfig, NsipConfigError } from "./stacks/load";
import { isOfflineRender, isRealUpdate } from "./stacks/run-mode";
import type { StackOutputs } from "./stacks/outputs";
import type { NsipConfig } from "./stacks/schema";

/** load config -> cluster -> images -> platform -> services -> outputs. */
export = async function nsip(): Promise<StackOutputs> {
    // Both throw before anything is registered: a bad stack never half-applies.
    const config = loadStackConfig();
    const prebuilt = config.images.prebuilt;
    const buildContexts = prebuilt ? [] : appNames.map((name) => resolveBuildContext(path.join(__dirname, "apps"), name));

    // A taken laptop port would fail the up half-way, after the network and the registry exist; refuse it first.
    if (config.cluster.provider === "local" && isRealUpdate() && engineOnThisMachine()) {
        const taken = await takenPorts(localClusterPorts(config.cluster));
        if (taken.length > 0) throw new NsipConfigError(taken);
    }

    const stack = pulumi.getStack();
    const instance = `nsip-${stack}`;
    const providers = cloudProviders(config);
    // Prod keeps its log group and repositories on destroy; a later up adopts them (components/cluster/retained.ts).
    const retained =
        config.cluster.provider === "eks" && config.hardening.protectData
            ? await findRetainedData({ clusterName: config.cluster.name, repositoryNames: appNames.map((app) => `${REPOSITORY_PREFIX}/${app}`) }, providers.aws)
            : undefined;
    const deployedTags = Object.fromEntries(buildContexts.map((ctx) => [ctx.name, ctx.contentTag]));
    const cluster = createCluster("nsip", clusterArgs(config, retained, deployedTags), { providers });
    // The offline render has no Docker engine to ask: it shows the EKS default platform.
    const buildPlatform = await imagePlatform(config.images.platform, config.cluster.provider, isOfflineRender() ? async () => "linux/amd64" : undefined);

    const imageDigests: Record<AppName, pulumi.Output<string>> = prebuilt
        ? { api: pulumi.output(prebuilt.api), frontend: pulumi.output(prebuilt.frontend), analyzer: pulumi.output(prebuilt.analyzer) }
        : new AppImages(
              "nsip",
              {
                  contexts: buildContexts,
                  registry: registryFor(cluster.registry),
                  platform: buildPlatform,
                  registryCache: config.images.registryCache,
                  labels: { version: config.images.version, source: config.images.sourceRepository },
              },
              // No cluster here on purpose: builds overlap cluster creation.
          ).digests;

    const platform = new Platform(
        "nsip",
        { namespace: config.namespace, hardening: config.hardening, instance, version: config.images.version, grafanaAdminUser: config.observability.grafanaAdminUser },
        { provider: cluster.provider },
    );

    // stacks/load.ts allows backups on EKS only.
    const backupStorage =
        config.backup.enabled && config.cluster.provider === "eks"
            ? new PostgresBackupStorage(
                  "nsip-backups",
                  {
                      clusterName: cluster.clusterName,
                      namespace: config.namespace,
                      serviceAccount: BACKUP_NAME,
                      retentionDays: config.backup.retentionDays,
                      protectData: config.hardening.protectData,
                  },
                  { providers },
              )
            : undefined;

    // EKS: the Cluster Autoscaler grows the node group when HPA scale-outs leave pods Pending.
    const autoscalerIdentity =
        config.cluster.provider === "eks"
            ? new ClusterAutoscalerIdentity(
                  "nsip-cluster-autoscaler",
                  { clusterName: cluster.clusterName, namespace: config.namespace, serviceAccount: CLUSTER_AUTOSCALER_NAME },
                  { providers },
              )
            : undefined;

    const publicUrl = publicUrlOf(config);
    const services = new Services(
        "nsip",
        {
            context: { config, namespace: config.namespace, images: imageDigests, storageClassName: config.storage.storageClassName ?? cluster.storageClassName, edge: cluster.edge, publicUrl },
            namespace: platform.namespace,
            instance,
            hardening: config.hardening,
            // On EKS the `kubernetes` Service's ClusterIP: the VPC CNI matches egress before kube-proxy translates it.
            kubeApiCidrs: config.cluster.provider === "eks" ? [`${kubernetesServiceIp(eksServiceCidr(config.cluster.vpcCidr))}/32`] : ["0.0.0.0/0"],
            backup:
                backupStorage && config.cluster.provider === "eks"
                    ? { bucketName: backupStorage.bucketName, region: config.cluster.region, dependsOn: [backupStorage] }
                    : undefined,
            dependsOn: [platform],
            clusterReadiness: cluster.readiness,
            clusterAutoscaler:
                autoscalerIdentity && config.cluster.provider === "eks"
                    ? { clusterName: config.cluster.name, region: config.cluster.region, namespace: config.namespace, dependsOn: [autoscalerIdentity.association] }
                    : undefined,
        },
        { provider: cluster.provider },
    );

    return {
        namespace: platform.namespace,
        publicUrl,
        grafanaUrl: `${publicUrl}/grafana/`,
        grafanaAdminPassword: platform.grafanaAdminPassword,
        apiEndpoint: services.endpoints.api,
        analyzerEndpoint: services.endpoints.analyzer,
        postgresEndpoint: services.endpoints.postgres,
        redisEndpoint: services.endpoints.redis,
        prometheusEndpoint: services.endpoints.prometheus,
        imageDigests: pulumi.output(imageDigests),
        clusterName: cluster.clusterName,
        kubeconfig: pulumi.secret(cluster.kubeconfig),
        ...(cluster.network && cluster.endpoint
            ? {
                  vpcId: cluster.network.vpcId,
                  privateSubnetIds: cluster.network.privateSubnetIds,
                  publicSubnetIds: cluster.network.publicSubnetIds,
                  clusterEndpoint: cluster.endpoint,
              }
            : {}),
    };
};

/** Explicit providers for what the cluster component talks to: AWS in the configured region, or the local Docker engine. */
function cloudProviders(config: NsipConfig): Record<string, pulumi.ProviderResource> {
    switch (config.cluster.provider) {
        case "eks":
            return { aws: new aws.Provider("aws", { region: config.cluster.region as aws.Region }) };
        case "local":
            // DOCKER_HOST or the default socket, as the docker CLI would use.
            return { docker: new docker.Provider("docker", {}) };
        case "existing":
            return {};
    }
}

/** ECR repositories are `<prefix>/<app>`. */
const REPOSITORY_PREFIX = "nsip";

function clusterArgs(config: NsipConfig, retained: RetainedData | undefined, deployedTags: Record<string, string>): ClusterArgs {
    const c = config.cluster;
    switch (c.provider) {
        case "eks":
            return {
                provider: "eks",
                clusterName: c.name,
                kubernetesVersion: c.kubernetesVersion,
                region: c.region,
                serviceCidr: eksServiceCidr(c.vpcCidr),
                network: { cidrBlock: c.vpcCidr, availabilityZoneCount: c.availabilityZones, natGateways: c.natGateways },
                publicAccessCidrs: c.publicAccessCidrs,
                adminPrincipalArns: c.adminPrincipalArns,
                logRetentionDays: c.logRetentionDays,
                extraLogTypes: c.extraLogTypes,
                nodeGroup: c.nodeGroup,
                addonVersions: Object.fromEntries(EKS_ADDONS.map((addon) => [addon, c.addonVersions[EKS_ADDON_CONFIG_KEYS[addon]]])) as Record<EksAddonName, string>,
                registry: {
                    imageNames: [...appNames],
                    repositoryPrefix: REPOSITORY_PREFIX,
                    encryption: "KMS",
                    untaggedExpiryDays: 7,
                    keepTaggedImages: 30,
                    mutableTagPatterns: ["buildcache"],
                    deployedTags,
                },
                protectData: config.hardening.protectData,
                adopt: retained,
            };
        case "local":
            return {
                provider: "local",
                clusterName: c.name,
                apiPort: c.apiPort,
                registryPort: c.registryPort,
                edgeHostPort: c.edgePort,
                imageNamespace: "nsip",
            };
        case "existing":
            return {
                provider: "existing",
                clusterName: c.name,
                kubeconfig: c.kubeconfig === undefined ? undefined : pulumi.secret(c.kubeconfig),
                context: c.context,
                registry:
                    c.registry === undefined
                        ? undefined
                        : {
                              server: c.registry.server,
                              namespace: c.registry.repositoryPrefix,
                              username: c.registry.username,
                              password: c.registry.password === undefined ? undefined : pulumi.secret(c.registry.password),
                          },
                storageClassName: config.storage.storageClassName,
            };
    }
}

/** The configured host name (https behind TLS), or the loopback port on a laptop; config validation guarantees one. */
function publicUrlOf(config: NsipConfig): string {
    const { hostname, tlsCertificateArn } = config.edge;
    if (hostname) return `${tlsCertificateArn ? "https" : "http"}://${hostname}`;
    if (config.cluster.provider === "local") return `http://127.0.0.1:${config.cluster.edgePort}`;
    throw new Error("unreachable: stacks/load.ts requires nsip:edge.hostname outside the local cluster");
}

function registryFor(registry: ImageRegistry | undefined): ImageRegistry {
    if (registry === undefined) throw new Error("unreachable: stacks/load.ts requires nsip:cluster.registry unless nsip:images.prebuilt is set");
    return registry;
}
