import type { ClusterConfig, Environment, NsipConfig, Resources } from "./schema";

/**
 * Dev and prod defaults, side by side: every `pick(dev, prod)` is one row of the hardening profile
 * in DESIGN.md. Stack config is merged over these, then validated; prod is then checked against
 * its floor (`prod-floor.ts`).
 */

type Defaults = Omit<NsipConfig, "cluster" | "environment">;

const resources = (cpu: string, memory: string, limitCpu: string, limitMemory: string, ephemeral = "256Mi"): Resources => ({
    requests: { cpu, memory, ephemeralStorage: "64Mi" },
    limits: { cpu: limitCpu, memory: limitMemory, ephemeralStorage: ephemeral },
});

export function profileDefaults(env: Environment): Defaults {
    const pick = <T>(dev: T, prod: T): T => (env === "prod" ? prod : dev);
    return {
        namespace: "nsip",
        images: { version: "0.1.0", registryCache: pick(false, true) },
        hardening: {
            podSecurityLevel: pick("baseline", "restricted"),
            podDisruptionBudgets: pick(false, true),
            topologySpread: pick(false, true),
            zeroDowntimeRollouts: pick(false, true),
            protectData: pick(false, true),
        },
        services: {
            nginx: { replicas: pick(1, 2), resources: pick(resources("25m", "32Mi", "200m", "64Mi"), resources("100m", "64Mi", "500m", "128Mi")) },
            frontend: { replicas: pick(1, 2), resources: pick(resources("20m", "32Mi", "100m", "64Mi"), resources("50m", "64Mi", "250m", "128Mi")) },
            api: {
                replicas: pick(1, 3),
                // Limits from measured peaks (apps/api/memory-peaks.json): warm idle RSS plus
                // api.maxConcurrentUploads uploads of maxUploadBytes, with a quarter to spare.
                resources: pick(resources("100m", "192Mi", "500m", "384Mi"), resources("250m", "320Mi", "1", "512Mi")),
                autoscaling: pick(undefined, { minReplicas: 3, maxReplicas: 10, targetCpuUtilization: 70 }),
            },
            analyzer: {
                replicas: pick(1, 2),
                workers: pick(2, 4),
                // Every worker may hold the costliest accepted image at once (apps/analyzer/memory-peaks.json:
                // ~320 MiB at 40 MP); limits cover master + workers x that, with a quarter to spare.
                resources: pick(resources("100m", "256Mi", "1", "1Gi"), resources("500m", "1Gi", "2", "2Gi")),
                autoscaling: pick(undefined, { minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 70 }),
            },
            grafana: { resources: pick(resources("50m", "128Mi", "250m", "256Mi"), resources("100m", "192Mi", "500m", "384Mi")) },
            postgres: { resources: pick(resources("100m", "256Mi", "500m", "512Mi"), resources("500m", "1Gi", "2", "2Gi", "1Gi")) },
            redis: { resources: pick(resources("50m", "128Mi", "250m", "384Mi"), resources("100m", "320Mi", "500m", "384Mi")) },
            prometheus: { resources: pick(resources("100m", "256Mi", "500m", "512Mi"), resources("250m", "1Gi", "1", "2Gi", "1Gi")) },
        },
        storage: { postgres: pick("2Gi", "50Gi"), redis: pick("1Gi", "5Gi"), prometheus: pick("2Gi", "50Gi") },
        edge: {
            // The api's 10 MiB upload limit plus multipart overhead: the api, not the edge, answers oversize uploads.
            clientMaxBodySize: "11m",
            apiRateLimit: { requestsPerSecond: pick(50, 20), burst: pick(100, 40) },
            proxyTimeoutSeconds: 30,
        },
        api: { maxUploadBytes: 10 * 1024 * 1024, maxConcurrentUploads: pick(4, 8), rateLimitPerMinute: pick(600, 120), corsOrigins: [], logLevel: pick("debug", "info"), cacheTtlSeconds: 3600 },
        redis: { maxmemory: "256mb", maxmemoryPolicy: "allkeys-lru" },
        backup: { enabled: pick(false, true), schedule: "0 3 * * *", retentionDays: 30 },
        observability: {
            retentionDays: pick(7, 30),
            scrapeIntervalSeconds: 15,
            apiErrorRatioThreshold: 0.05,
            apiLatencyP95Seconds: 1,
            grafanaAdminUser: "admin",
        },
    };
}

/** Per-provider cluster defaults; the stack picks the provider, the environment picks the default one. */
export function clusterDefaults(env: Environment, stack: string, provider: ClusterConfig["provider"] | undefined): Partial<ClusterConfig> {
    const chosen = provider ?? (env === "prod" ? "eks" : "local");
    const name = `nsip-${stack}`;
    switch (chosen) {
        case "eks":
            return {
                provider: "eks",
                name,
                kubernetesVersion: "1.35",
                availabilityZones: 3,
                vpcCidr: "10.40.0.0/16",
                natGateways: env === "prod" ? "perAz" : "single",
                adminPrincipalArns: [],
                extraLogTypes: [],
                logRetentionDays: env === "prod" ? 90 : 14,
                nodeGroup: { instanceTypes: ["m6i.large"], minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50, amiType: "AL2023_x86_64_STANDARD" },
                // Pinned where the AWS EKS user guide publishes the 1.35 version ("latest version for each Kubernetes
                // version" tables of managing-kube-proxy and managing-coredns); kube-proxy follows the cluster minor
                // (rules.ts). The others are EKS's default for 1.35, resolved at preview and recorded in the state.
                addonVersions: {
                    vpcCni: "default",
                    kubeProxy: "v1.35.3-eksbuild.2",
                    podIdentityAgent: "default",
                    coredns: "v1.13.2-eksbuild.4",
                    ebsCsiDriver: "default",
                    cloudwatchObservability: "default",
                },
            };
        case "local":
            // Off the ports other local tools take by default: 6443/6444 (Docker Desktop's, Rancher Desktop's and k3s's
            // Kubernetes), 5000/5001 (registries, macOS AirPlay), 8080 (dev servers); below the Linux ephemeral range.
            return { provider: "local", name, apiPort: 26443, registryPort: 25000, edgePort: 28080 };
        case "existing":
            return { provider: "existing", name };
    }
}
