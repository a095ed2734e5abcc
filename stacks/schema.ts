import { z } from "zod";

/**
 * The one schema for everything the program reads from stack config (`nsip:*` keys).
 * Every object is strict: a typo is an unknown key, never a silently ignored setting.
 * Defaults are not here but in `profiles.ts`, dev and prod side by side.
 */

const quantity = (what: string) =>
    z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, `a Kubernetes ${what} quantity such as "250m" or "512Mi"`);
const cpu = quantity("CPU");
const bytes = quantity("size");
const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "an IPv4 CIDR such as 203.0.113.0/24");
const port = z.number().int().min(1).max(65535);
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "a DNS-1123 label (lowercase letters, digits, '-')");
/**
 * An image pinned by digest, as `docker buildx imagetools inspect` prints it:
 * `[registry[:port]/]repository[:tag]@sha256:<64 hex>`. A tag alone can move; a digest cannot.
 */
const imageByDigest = z
    .string()
    .regex(
        /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$/,
        "an image reference by digest such as registry.example.com/nsip/api@sha256:<64 hex digits>",
    );
/** Kubernetes CronJob syntax: minute hour day-of-month month day-of-week. */
const cronSchedule = z.string().regex(/^\s*[0-9A-Za-z*,/?-]+(\s+[0-9A-Za-z*,/?-]+){4}\s*$/, 'a 5-field cron schedule such as "0 3 * * *"');

const resourceAmounts = z.strictObject({ cpu, memory: bytes, ephemeralStorage: bytes });
export const resourcesSchema = z.strictObject({ requests: resourceAmounts, limits: resourceAmounts });

const autoscaling = z
    .strictObject({
        minReplicas: z.number().int().min(1),
        maxReplicas: z.number().int().min(1),
        targetCpuUtilization: z.number().int().min(10).max(100),
    })
    .refine((a) => a.maxReplicas >= a.minReplicas, { message: "maxReplicas must be >= minReplicas", path: ["maxReplicas"] });

const statelessService = z.strictObject({
    replicas: z.number().int().min(1).max(50),
    resources: resourcesSchema,
});
const autoscaledService = statelessService.extend({ autoscaling: autoscaling.optional() });
const statefulService = z.strictObject({ resources: resourcesSchema });

const eksCluster = z.strictObject({
    provider: z.literal("eks"),
    name: dnsLabel,
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as eu-west-1"),
    kubernetesVersion: z.string().regex(/^1\.\d{2}$/, "a Kubernetes minor version such as 1.35"),
    availabilityZones: z.number().int().min(2, "at least 2 availability zones").max(6),
    vpcCidr: cidr,
    /** Kubernetes Service CIDR; its first address is the `kubernetes` Service, which NetworkPolicies must name. */
    serviceCidr: cidr,
    natGateways: z.enum(["perAz", "single"]),
    publicAccessCidrs: z.array(cidr).min(1, "at least one CIDR may reach the public API endpoint"),
    /** Cluster admins through access entries; the creator gets no implicit admin, so include the role that runs `pulumi up`. */
    adminPrincipalArns: z
        .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/, "an IAM role or user ARN"))
        .min(1, "at least one IAM principal: include the role that runs pulumi up"),
    extraLogTypes: z.array(z.enum(["controllerManager", "scheduler"])),
    logRetentionDays: z.number().int().min(1),
    nodeGroup: z
        .strictObject({
            instanceTypes: z.array(z.string().min(1)).min(1),
            minSize: z.number().int().min(1),
            desiredSize: z.number().int().min(1),
            maxSize: z.number().int().min(1),
            diskSizeGiB: z.number().int().min(20).max(1000),
            /** The node AMI: must match the instance types' architecture (m6i: x86_64, m7g: ARM_64). */
            amiType: z.enum(["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64"]),
        })
        .refine((n) => n.minSize <= n.desiredSize && n.desiredSize <= n.maxSize, {
            message: "expected minSize <= desiredSize <= maxSize",
            path: ["desiredSize"],
        }),
});

const localCluster = z.strictObject({
    provider: z.literal("local"),
    name: dnsLabel,
    apiPort: port,
    registryPort: port,
    edgePort: port,
});

const existingCluster = z
    .strictObject({
        provider: z.literal("existing"),
        name: dnsLabel,
        kubeconfig: z.string().min(1).optional(),
        context: z.string().min(1).optional(),
        /** Where built images are pushed; not needed when nsip:images.prebuilt supplies them. */
        registry: z
            .strictObject({
                server: z.string().min(1),
                repositoryPrefix: z.string().regex(/^[a-z0-9._/-]*$/, "a registry path such as team/nsip"),
                username: z.string().min(1).optional(),
                password: z.string().min(1).optional(),
            })
            .optional(),
    })
    .refine((c) => c.kubeconfig !== undefined || c.context !== undefined, {
        message: "set kubeconfig (pulumi config set --secret --path nsip:cluster.kubeconfig) or context",
        path: ["kubeconfig"],
    });

export const clusterSchema = z.discriminatedUnion("provider", [eksCluster, localCluster, existingCluster]);

export const hardeningSchema = z.strictObject({
    /** Pod Security Admission `enforce` level of the namespace; `warn` and `audit` are always restricted. */
    podSecurityLevel: z.enum(["baseline", "restricted"]),
    podDisruptionBudgets: z.boolean(),
    topologySpread: z.boolean(),
    /** maxUnavailable 0, maxSurge 1 and a preStop sleep shorter than the grace period. */
    zeroDowntimeRollouts: z.boolean(),
    /** protect + retainOnDelete on PVCs, the KMS key, ECR repositories and log groups. */
    protectData: z.boolean(),
});

export const configSchema = z.strictObject({
    environment: z.enum(["dev", "prod"]),
    namespace: dnsLabel,
    cluster: clusterSchema,
    images: z.strictObject({
        platform: z.enum(["linux/amd64", "linux/arm64"]),
        /** Version label baked into the images (OCI `version`); the tag itself is the content hash. */
        version: z.string().min(1),
        registryCache: z.boolean(),
        /** URL of this repository for the OCI `source` label; the images say "unknown" without it. */
        sourceRepository: z.string().url().optional(),
        /**
         * Deploy these images instead of building: no docker.Image, no Docker provider. How a team builds
         * once in CI and promotes the same digests from one environment to the next.
         */
        prebuilt: z.strictObject({ api: imageByDigest, frontend: imageByDigest, analyzer: imageByDigest }).optional(),
    }),
    hardening: hardeningSchema,
    services: z.strictObject({
        nginx: statelessService,
        frontend: statelessService,
        api: autoscaledService,
        analyzer: autoscaledService.extend({ workers: z.number().int().min(1).max(32) }),
        /** Grafana keeps users and sessions in its own database: one replica (see README). */
        grafana: statefulService,
        postgres: statefulService,
        redis: statefulService,
        prometheus: statefulService,
    }),
    storage: z.strictObject({
        /** Empty means the cluster's StorageClass (gp3-encrypted on EKS, local-path on k3s). */
        storageClassName: z.string().optional(),
        postgres: bytes,
        redis: bytes,
        prometheus: bytes,
    }),
    edge: z.strictObject({
        /** Public host name; the URL outputs use it, and it is required with TLS. */
        hostname: z.string().regex(/^[a-z0-9.-]+$/, "a DNS host name").optional(),
        /** ACM certificate ARN for TLS at the NLB. Required in prod. */
        tlsCertificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, "an ACM certificate ARN").optional(),
        clientMaxBodySize: z.string().regex(/^[0-9]+[km]?$/, 'an nginx size such as "10m"'),
        apiRateLimit: z.strictObject({ requestsPerSecond: z.number().int().min(1), burst: z.number().int().min(0) }),
        proxyTimeoutSeconds: z.number().int().min(1).max(600),
    }),
    api: z.strictObject({
        maxUploadBytes: z.number().int().min(1024),
        rateLimitPerMinute: z.number().int().min(1),
        corsOrigins: z.array(z.string().url()),
        logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]),
        cacheTtlSeconds: z.number().int().min(1),
    }),
    redis: z.strictObject({
        maxmemory: z.string().regex(/^[0-9]+(kb|mb|gb)$/, 'a Redis size such as "256mb"'),
        maxmemoryPolicy: z.enum(["allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "noeviction"]),
    }),
    /** PostgreSQL dumps to S3 (EKS only; stacks/load.ts rejects it elsewhere). */
    backup: z.strictObject({
        enabled: z.boolean(),
        schedule: cronSchedule,
        /** Days a dump is kept in the bucket before S3 expires it. */
        retentionDays: z.number().int().min(1),
    }),
    observability: z.strictObject({
        retentionDays: z.number().int().min(1),
        scrapeIntervalSeconds: z.number().int().min(5).max(300),
        apiErrorRatioThreshold: z.number().gt(0).lt(1),
        apiLatencyP95Seconds: z.number().positive(),
        grafanaAdminUser: z.string().min(1),
    }),
});

export type NsipConfig = z.infer<typeof configSchema>;
export type ClusterConfig = NsipConfig["cluster"];
export type Hardening = NsipConfig["hardening"];
export type Resources = z.infer<typeof resourcesSchema>;
export type Environment = NsipConfig["environment"];

/** The `nsip:*` keys the program reads: anything else under `nsip:` is a typo. */
export const configKeys = Object.keys(configSchema.shape) as (keyof NsipConfig)[];
