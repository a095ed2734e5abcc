import { z } from "zod";
import { EKS_ADDON_CONFIG_KEYS, EksAddonConfigKey } from "../components/cluster/addons";
import { MAX_AVAILABILITY_ZONES } from "../components/cluster/cidr";
import * as v from "./values";
import { backupConfigSchema } from "./backup-config";
import { checked, fail, flag, integer } from "./leaves";

/**
 * The one schema for everything the program reads from stack config (`nsip:*` keys).
 * Every object is strict: a typo is an unknown key, never a silently ignored setting.
 * Every value is checked here as the tool that consumes it checks it (`values.ts`); rules that
 * relate two values live in `rules.ts`, the prod floor in `prod-floor.ts`. Defaults are not here
 * but in `profiles.ts`, dev and prod side by side.
 *
 * Each leaf carries `domain` metadata (`.meta({ domain })`): the kind of value it is, which the
 * property-based test (test/config-property) uses to generate values from this schema's own domain.
 */

export type { StringDomain } from "./leaves";

/** A list whose items must differ: AWS creates one access entry per principal, and a repeated CIDR or origin is a typo. */
function distinctList<T extends z.ZodType>(item: T, what: string) {
    return z.array(item, { error: `a list of ${what}` }).superRefine((items, ctx) => {
        items.forEach((value, i) => {
            const first = items.findIndex((other) => JSON.stringify(other) === JSON.stringify(value));
            if (first < i) fail(ctx, `a value not already listed (it repeats [${first}])`, [i]);
        });
    });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    return z.enum(values, { error: `one of ${values.map((value) => JSON.stringify(value)).join(", ")}` });
}

// ---------------------------------------------------------------------------------------------
// Leaves

const cpu = checked("cpu", v.cpuQuantity);
const memory = checked("memory", v.memoryQuantity);
const ephemeralStorage = checked("ephemeralStorage", v.ephemeralStorageQuantity);
const volumeSize = checked("volumeSize", v.volumeSize);
const dnsLabel = checked("dnsLabel", v.dnsLabel);
/** Laptop ports of the local cluster: unprivileged, so rootless Docker can bind them too. */
const localPort = integer(1024, 65535, " (an unprivileged port)");
const imageByDigest = checked("imageByDigest", v.imageByDigest);
/** The characters grafana.ini can hold unquoted (components/services/grafana/provisioning.ts). */
const grafanaUser = checked("grafanaUser", (text) =>
    /^[A-Za-z0-9._@-]{1,64}$/.test(text) ? undefined : "a Grafana login of 1 to 64 letters, digits, '.', '_', '@' or '-'",
);

// ---------------------------------------------------------------------------------------------
// Services

const resourceAmounts = z.strictObject({ cpu, memory, ephemeralStorage });
/** Requests and limits; request <= limit is a rule (rules.ts), as the API server checks it per container. */
export const resourcesSchema = z.strictObject({ requests: resourceAmounts, limits: resourceAmounts });

/** Replicas: the HPA's maxReplicas shares the ceiling, so a service never scales past what its replicas may be set to. */
const MAX_REPLICAS = 50;
const replicas = integer(1, MAX_REPLICAS);

const autoscaling = z.strictObject({
    minReplicas: replicas,
    maxReplicas: replicas,
    targetCpuUtilization: integer(10, 100, " (percent of the CPU request)"),
});

const statelessService = z.strictObject({ replicas, resources: resourcesSchema });
const autoscaledService = statelessService.extend({ autoscaling: autoscaling.optional() });
const statefulService = z.strictObject({ resources: resourcesSchema });

const servicesSchema = z.strictObject({
    nginx: statelessService,
    frontend: statelessService,
    api: autoscaledService,
    /** The analyzer's own config accepts 1-64 gunicorn workers (apps/analyzer/analyzer/config.py); more than 32 starve one pod. */
    analyzer: autoscaledService.extend({ workers: integer(1, 32) }),
    /** Grafana keeps users and sessions in its own database: one replica (see README). */
    grafana: statefulService,
    postgres: statefulService,
    redis: statefulService,
    prometheus: statefulService,
});

// ---------------------------------------------------------------------------------------------
// Clusters

/** Managed node groups: at most 450 nodes each (EKS quota). */
const nodeCount = integer(1, 450);

const eksAddonVersion = checked("eksAddonVersion", v.eksAddonVersion);
/** One version per managed add-on the cluster installs (components/cluster/addons.ts), under its camelCase key. */
const addonVersions = z.strictObject(
    Object.fromEntries(Object.values(EKS_ADDON_CONFIG_KEYS).map((key) => [key, eksAddonVersion])) as Record<EksAddonConfigKey, typeof eksAddonVersion>,
);

const eksCluster = z.strictObject({
    provider: z.literal("eks"),
    name: dnsLabel,
    region: checked("awsRegion", v.awsRegion),
    kubernetesVersion: checked("kubernetesVersion", (text) => (/^1\.[1-9][0-9]$/.test(text) ? undefined : 'a Kubernetes minor version such as "1.35"')),
    /** The VPC component builds subnets for at most MAX_AVAILABILITY_ZONES zones. */
    availabilityZones: integer(2, MAX_AVAILABILITY_ZONES, " (the VPC's subnet plan)"),
    vpcCidr: checked("vpcCidr", v.vpcCidr),
    natGateways: oneOf(["perAz", "single"]),
    /** EKS allows at most 40 public access CIDRs per cluster. */
    publicAccessCidrs: distinctList(checked("publicAccessCidr", v.publicAccessCidr), "CIDR blocks")
        .min(1, "at least one CIDR block that may reach the public API endpoint")
        .max(40, "at most 40 CIDR blocks (the EKS limit)"),
    /** Cluster admins through access entries; the creator gets no implicit admin, so include the role that runs `pulumi up`. */
    adminPrincipalArns: distinctList(checked("iamArn", v.iamPrincipalArn), "IAM ARNs")
        .min(1, "at least one IAM principal: include the role that runs pulumi up"),
    extraLogTypes: distinctList(oneOf(["controllerManager", "scheduler"]), "log types"),
    logRetentionDays: z
        .number({ error: "a number of days" })
        .superRefine((days, ctx) => {
            if (!(v.CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(days)) {
                fail(ctx, `one of the retention periods CloudWatch Logs accepts: ${v.CLOUDWATCH_RETENTION_DAYS.join(", ")}`);
            }
        })
        .meta({ domain: "cloudwatchRetention" }),
    nodeGroup: z.strictObject({
        instanceTypes: distinctList(checked("instanceType", v.instanceType), "EC2 instance types")
            .min(1, "at least one EC2 instance type")
            .max(20, "at most 20 instance types (the EKS limit)"),
        minSize: nodeCount,
        desiredSize: nodeCount,
        maxSize: nodeCount,
        /** gp3 root volumes; 20 GiB holds the node image and the eight services' images. */
        diskSizeGiB: integer(20, 16384),
        /** The node AMI, explicit so an EKS default change never replaces the nodes; must match the instance types' architecture. */
        amiType: oneOf(["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64"]),
    }),
    /** Managed add-on versions: pinned, or "default" (EKS's default for kubernetesVersion, resolved at preview). */
    addonVersions,
});

const localCluster = z.strictObject({
    provider: z.literal("local"),
    name: dnsLabel,
    apiPort: localPort,
    registryPort: localPort,
    edgePort: localPort,
});

const registryCredentials = z.strictObject({
    server: checked("registryServer", v.registryServer),
    repositoryPrefix: checked("repositoryPrefix", v.repositoryPrefix),
    username: checked("text", (text) => (text.length > 0 ? undefined : "a non-empty user name")).optional(),
    password: checked("text", (text) => (text.length > 0 ? undefined : "a non-empty password")).optional(),
});

const existingCluster = z.strictObject({
    provider: z.literal("existing"),
    name: dnsLabel,
    kubeconfig: checked("text", (text) => (text.length > 0 ? undefined : "a kubeconfig document")).optional(),
    context: checked("text", (text) => (text.length > 0 ? undefined : "a kubeconfig context name")).optional(),
    /** Where built images are pushed; not needed when nsip:images.prebuilt supplies them. */
    registry: registryCredentials.optional(),
});

export const clusterSchema = z.discriminatedUnion("provider", [eksCluster, localCluster, existingCluster], {
    error: 'a cluster provider: one of "eks", "local", "existing"',
});

// ---------------------------------------------------------------------------------------------
// Sections

export const hardeningSchema = z.strictObject({
    /** Pod Security Admission `enforce` level of the namespace; `warn` and `audit` are always restricted. */
    podSecurityLevel: oneOf(["baseline", "restricted"]),
    podDisruptionBudgets: flag,
    topologySpread: flag,
    /** maxUnavailable 0, maxSurge 1 and a preStop sleep shorter than the grace period. */
    zeroDowntimeRollouts: flag,
    /** protect + retainOnDelete on PVCs, the KMS key, ECR repositories and log groups. */
    protectData: flag,
});

const imagesSchema = z.strictObject({
    /** Unset: the Docker engine's own platform on the local cluster, linux/amd64 elsewhere (components/images/engine-platform.ts). */
    platform: oneOf(["linux/amd64", "linux/arm64"]).optional(),
    /** Version label baked into the images (OCI `version`) and the `app.kubernetes.io/version` label; the tag itself is the content hash. */
    version: checked("labelValue", v.labelValue),
    registryCache: flag,
    /** URL of this repository for the OCI `source` label; the images say "unknown" without it. */
    sourceRepository: checked("httpUrl", v.httpUrl).optional(),
    /**
     * Deploy these images instead of building: no docker.Image, no Docker provider. How a team builds
     * once in CI and promotes the same digests from one environment to the next.
     */
    prebuilt: z.strictObject({ api: imageByDigest, frontend: imageByDigest, analyzer: imageByDigest }).optional(),
});

const storageSchema = z.strictObject({
    /** Unset means the cluster's StorageClass (gp3-encrypted on EKS, local-path on k3s). */
    storageClassName: checked("dnsSubdomain", (text) => (text === "" ? 'a StorageClass name; leave the key out for the cluster\'s default ("" asks for no class at all)' : v.dnsSubdomain(text))).optional(),
    postgres: volumeSize,
    redis: volumeSize,
    prometheus: volumeSize,
});

const edgeSchema = z.strictObject({
    /** Public host name; the URL outputs use it, and it is required outside the local cluster. */
    hostname: checked("hostName", v.hostName).optional(),
    /** ACM certificate ARN for TLS at the NLB, in the cluster's region. Required in prod. */
    tlsCertificateArn: checked("acmArn", v.acmCertificateArn).optional(),
    clientMaxBodySize: checked("nginxSize", v.nginxSize),
    /** nginx `limit_req`: rate=Nr/s and burst=N, both positive (nginx -t rejects burst=0). */
    apiRateLimit: z.strictObject({ requestsPerSecond: integer(1, 100000), burst: integer(1, 100000, " (nginx rejects burst=0)") }),
    proxyTimeoutSeconds: integer(1, 600),
});

/** Integers the apps parse as positive 32-bit numbers; 2^31-1 is where their own parsers stay exact everywhere. */
const INT32_MAX = 2 ** 31 - 1;

const apiSchema = z.strictObject({
    /** Passed to the api and the analyzer; the edge's client_max_body_size must be larger (rules.ts). */
    maxUploadBytes: integer(1024, 1024 * 2 ** 20),
    /** Uploads whose bodies the api holds at once; the api pod's memory limit must cover them (test/resource-budget.test.ts). */
    maxConcurrentUploads: integer(1, 256),
    rateLimitPerMinute: integer(1, INT32_MAX),
    corsOrigins: distinctList(checked("corsOrigin", v.corsOrigin), "origins"),
    logLevel: oneOf(["fatal", "error", "warn", "info", "debug", "trace"]),
    cacheTtlSeconds: integer(1, INT32_MAX),
});

const redisSchema = z.strictObject({
    maxmemory: checked("redisMemory", v.redisMemory),
    maxmemoryPolicy: oneOf(["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "noeviction"]),
});

const observabilitySchema = z.strictObject({
    /** Prometheus `--storage.tsdb.retention.time=<n>d`. */
    retentionDays: integer(1, 3650),
    /** Prometheus scrape_interval; the config sets scrape_timeout 10s, which Prometheus refuses above the interval. */
    scrapeIntervalSeconds: integer(10, 300, " (scrape_timeout is 10s and may not exceed it)"),
    apiErrorRatioThreshold: z
        .number({ error: "a ratio between 0 and 1 (exclusive)" })
        .superRefine((ratio, ctx) => {
            if (!(ratio > 0 && ratio < 1)) fail(ctx, "a ratio between 0 and 1 (exclusive), such as 0.05");
        })
        .meta({ domain: "ratio" }),
    apiLatencyP95Seconds: z
        .number({ error: "a number of seconds" })
        .superRefine((seconds, ctx) => {
            if (!(seconds >= 0.001 && seconds <= 600)) fail(ctx, "a number of seconds from 0.001 to 600");
        })
        .meta({ domain: "seconds", min: 0.001, max: 600 }),
    grafanaAdminUser: grafanaUser,
});

export const configSchema = z.strictObject({
    environment: oneOf(["dev", "prod"]),
    namespace: dnsLabel,
    cluster: clusterSchema,
    images: imagesSchema,
    hardening: hardeningSchema,
    services: servicesSchema,
    storage: storageSchema,
    edge: edgeSchema,
    api: apiSchema,
    redis: redisSchema,
    backup: backupConfigSchema,
    observability: observabilitySchema,
});

export type NsipConfig = z.infer<typeof configSchema>;
export type ClusterConfig = NsipConfig["cluster"];
export type Hardening = NsipConfig["hardening"];
export type Resources = z.infer<typeof resourcesSchema>;
export type Environment = NsipConfig["environment"];

/** The `nsip:*` keys the program reads: anything else under `nsip:` is a typo. */
export const configKeys = Object.keys(configSchema.shape) as (keyof NsipConfig)[];
