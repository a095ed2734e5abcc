import { strict as assert } from "assert";
import { z } from "zod";
import { MAX_AVAILABILITY_ZONES } from "../components/cluster/cidr";
import { parseStackConfig } from "../stacks/load";
import { configSchema } from "../stacks/schema";
import { CLOUDWATCH_RETENTION_DAYS } from "../stacks/values";
import { problems, withOverrides } from "./support/stack-config";

/**
 * The schema's own checks (stacks/schema.ts), through the public loader: each leaf's full message with its key,
 * the values at both ends of a range, the values a lost rule would let through, and each leaf's `domain`
 * metadata (what the property test generates from). Found untested by mutation testing (`npm run mutate`).
 */

/** Asserts the loader rejects `raw` and that every expected `key: message` line is among its problems. */
function rejectsWith(raw: Record<string, string>, stack: string, expected: string[], secretKeys: string[] = []): void {
    const found = problems(raw, stack, secretKeys);
    for (const line of expected) assert.ok(found.includes(line), `expected the problem\n  ${line}\ngot:\n  ${found.join("\n  ")}`);
}

function accepts(raw: Record<string, string>, stack: string, secretKeys: string[] = []) {
    return parseStackConfig(raw, { stack, secretKeys });
}

const existingEdge = { "nsip:edge": { hostname: "nsip.staging.example.com" } };
const registry = { server: "registry.example.com", repositoryPrefix: "team/nsip" };


/**
 * Every leaf of the schema as the property test sees it: its `domain` metadata (with the range of a number), or its
 * enum values, literal or `boolean`. Paths use `[]` for list items and `(provider)` for the cluster's variants.
 */
function leafDomains(): Record<string, string> {
    type Def = { type: string; innerType?: unknown; shape?: Record<string, unknown>; element?: unknown; options?: unknown[]; entries?: Record<string, string>; values?: unknown[] };
    const defOf = (schema: unknown) => (schema as { _zod: { def: Def } })._zod.def;
    const out: Record<string, string> = {};
    const walk = (schema: unknown, path: string): void => {
        const meta = z.globalRegistry.get(schema as z.ZodType) as { domain?: string; min?: number; max?: number } | undefined;
        const def = defOf(schema);
        if (meta?.domain !== undefined) out[path] = meta.min === undefined ? meta.domain : `${meta.domain} ${meta.min}..${meta.max}`;
        else if (def.type === "optional") walk(def.innerType, path);
        else if (def.type === "object") for (const [key, child] of Object.entries(def.shape ?? {})) walk(child, path === "" ? key : `${path}.${key}`);
        else if (def.type === "array") walk(def.element, `${path}[]`);
        else if (def.type === "union") for (const option of def.options ?? []) walk(option, `${path}(${String(defOf(defOf(option).shape?.provider).values?.[0])})`);
        else if (def.type === "enum") out[path] = Object.values(def.entries ?? {}).join(" | ");
        else if (def.type === "literal") out[path] = JSON.stringify(def.values?.[0]);
        else out[path] = def.type;
    };
    walk(configSchema, "");
    return out;
}

describe("stack config schema", () => {
    describe("each leaf's domain, the property test's generator input", () => {
        it("every leaf outside nsip:backup has the domain of the value it holds", () => {
            const resources = (service: string) => Object.fromEntries(["requests", "limits"].flatMap((kind) => [
                [`services.${service}.resources.${kind}.cpu`, "cpu"],
                [`services.${service}.resources.${kind}.memory`, "memory"],
                [`services.${service}.resources.${kind}.ephemeralStorage`, "ephemeralStorage"],
            ]));
            const autoscaling = (service: string) => ({
                [`services.${service}.autoscaling.minReplicas`]: "integer 1..50",
                [`services.${service}.autoscaling.maxReplicas`]: "integer 1..50",
                [`services.${service}.autoscaling.targetCpuUtilization`]: "integer 10..100",
            });
            const addons = ["vpcCni", "kubeProxy", "podIdentityAgent", "coredns", "ebsCsiDriver", "cloudwatchObservability"];
            const expected: Record<string, string> = {
                environment: "dev | prod",
                namespace: "dnsLabel",
                "cluster(eks).provider": '"eks"',
                "cluster(eks).name": "dnsLabel",
                "cluster(eks).region": "awsRegion",
                "cluster(eks).kubernetesVersion": "kubernetesVersion",
                "cluster(eks).availabilityZones": `integer 2..${MAX_AVAILABILITY_ZONES}`,
                "cluster(eks).vpcCidr": "vpcCidr",
                "cluster(eks).natGateways": "perAz | single",
                "cluster(eks).publicAccessCidrs[]": "publicAccessCidr",
                "cluster(eks).adminPrincipalArns[]": "iamArn",
                "cluster(eks).extraLogTypes[]": "controllerManager | scheduler",
                "cluster(eks).logRetentionDays": "cloudwatchRetention",
                "cluster(eks).nodeGroup.instanceTypes[]": "instanceType",
                "cluster(eks).nodeGroup.minSize": "integer 1..450",
                "cluster(eks).nodeGroup.desiredSize": "integer 1..450",
                "cluster(eks).nodeGroup.maxSize": "integer 1..450",
                "cluster(eks).nodeGroup.diskSizeGiB": "integer 20..16384",
                "cluster(eks).nodeGroup.amiType": "AL2023_x86_64_STANDARD | AL2023_ARM_64_STANDARD | BOTTLEROCKET_x86_64 | BOTTLEROCKET_ARM_64",
                ...Object.fromEntries(addons.map((addon) => [`cluster(eks).addonVersions.${addon}`, "eksAddonVersion"])),
                "cluster(local).provider": '"local"',
                "cluster(local).name": "dnsLabel",
                "cluster(local).apiPort": "integer 1024..65535",
                "cluster(local).registryPort": "integer 1024..65535",
                "cluster(local).edgePort": "integer 1024..65535",
                "cluster(existing).provider": '"existing"',
                "cluster(existing).name": "dnsLabel",
                "cluster(existing).kubeconfig": "text",
                "cluster(existing).context": "text",
                "cluster(existing).registry.server": "registryServer",
                "cluster(existing).registry.repositoryPrefix": "repositoryPrefix",
                "cluster(existing).registry.username": "text",
                "cluster(existing).registry.password": "text",
                "images.platform": "linux/amd64 | linux/arm64",
                "images.version": "labelValue",
                "images.registryCache": "boolean",
                "images.sourceRepository": "httpUrl",
                "images.prebuilt.api": "imageByDigest",
                "images.prebuilt.frontend": "imageByDigest",
                "images.prebuilt.analyzer": "imageByDigest",
                "hardening.podSecurityLevel": "baseline | restricted",
                "hardening.podDisruptionBudgets": "boolean",
                "hardening.topologySpread": "boolean",
                "hardening.zeroDowntimeRollouts": "boolean",
                "hardening.protectData": "boolean",
                "services.nginx.replicas": "integer 1..50",
                ...resources("nginx"),
                "services.frontend.replicas": "integer 1..50",
                ...resources("frontend"),
                "services.api.replicas": "integer 1..50",
                ...resources("api"),
                ...autoscaling("api"),
                "services.analyzer.replicas": "integer 1..50",
                ...resources("analyzer"),
                ...autoscaling("analyzer"),
                "services.analyzer.workers": "integer 1..32",
                ...resources("grafana"),
                ...resources("postgres"),
                ...resources("redis"),
                ...resources("prometheus"),
                "storage.storageClassName": "dnsSubdomain",
                "storage.postgres": "volumeSize",
                "storage.redis": "volumeSize",
                "storage.prometheus": "volumeSize",
                "edge.hostname": "hostName",
                "edge.tlsCertificateArn": "acmArn",
                "edge.clientMaxBodySize": "nginxSize",
                "edge.apiRateLimit.requestsPerSecond": "integer 1..100000",
                "edge.apiRateLimit.burst": "integer 1..100000",
                "edge.proxyTimeoutSeconds": "integer 1..600",
                "api.maxUploadBytes": "integer 1024..1073741824",
                "api.maxConcurrentUploads": "integer 1..256",
                "api.rateLimitPerMinute": "integer 1..2147483647",
                "api.corsOrigins[]": "corsOrigin",
                "api.logLevel": "fatal | error | warn | info | debug | trace",
                "api.cacheTtlSeconds": "integer 1..2147483647",
                "redis.maxmemory": "redisMemory",
                "redis.maxmemoryPolicy": "allkeys-lru | allkeys-lfu | allkeys-random | volatile-lru | volatile-lfu | volatile-random | volatile-ttl | noeviction",
                "observability.retentionDays": "integer 1..3650",
                "observability.scrapeIntervalSeconds": "integer 10..300",
                "observability.apiErrorRatioThreshold": "ratio",
                "observability.apiLatencyP95Seconds": "seconds 0.001..600",
                "observability.grafanaAdminUser": "grafanaUser",
            };
            const actual = Object.fromEntries(Object.entries(leafDomains()).filter(([path]) => !path.startsWith("backup.")));
            assert.deepEqual(actual, expected);
        });
    });

    describe("every enum value is accepted, anything else is named with the choices", () => {
        it("dev: platform, podSecurityLevel, logLevel and every Redis eviction policy", () => {
            for (const platform of ["linux/amd64", "linux/arm64"]) assert.equal(accepts(withOverrides("dev", { "nsip:images": { platform } }), "dev").images.platform, platform);
            assert.equal(accepts(withOverrides("dev", { "nsip:hardening": { podSecurityLevel: "baseline" } }), "dev").hardening.podSecurityLevel, "baseline");
            for (const logLevel of ["fatal", "error", "warn", "info", "debug", "trace"]) assert.equal(accepts(withOverrides("dev", { "nsip:api": { logLevel } }), "dev").api.logLevel, logLevel);
            const policies = ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "noeviction"];
            for (const maxmemoryPolicy of policies) assert.equal(accepts(withOverrides("dev", { "nsip:redis": { maxmemoryPolicy } }), "dev").redis.maxmemoryPolicy, maxmemoryPolicy);
        });

        it("prod: NAT gateways, extra log types and every AMI type with matching instances", () => {
            for (const natGateways of ["perAz", "single"]) {
                const config = accepts(withOverrides("prod", { "nsip:cluster": { natGateways } }), "prod");
                assert.equal(config.cluster.provider === "eks" && config.cluster.natGateways, natGateways);
            }
            const logs = accepts(withOverrides("prod", { "nsip:cluster": { extraLogTypes: ["controllerManager", "scheduler"] } }), "prod");
            assert.deepEqual(logs.cluster.provider === "eks" && logs.cluster.extraLogTypes, ["controllerManager", "scheduler"]);
            const amis: [string, string][] = [["AL2023_x86_64_STANDARD", "m6i.large"], ["AL2023_ARM_64_STANDARD", "m7g.large"], ["BOTTLEROCKET_x86_64", "m6i.large"], ["BOTTLEROCKET_ARM_64", "m7g.large"]];
            for (const [amiType, instanceType] of amis) {
                const config = accepts(withOverrides("prod", { "nsip:cluster": { nodeGroup: { instanceTypes: [instanceType], amiType, minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 } } }), "prod");
                assert.equal(config.cluster.provider === "eks" && config.cluster.nodeGroup.amiType, amiType);
            }
        });

        it("a value outside an enum lists the choices, quoted", () => {
            rejectsWith(withOverrides("prod", { "nsip:cluster": { natGateways: "none" } }), "prod", ['nsip:cluster.natGateways: one of "perAz", "single", found "none"']);
            rejectsWith(withOverrides("dev", { "nsip:api": { logLevel: "verbose" } }), "dev", ['nsip:api.logLevel: one of "fatal", "error", "warn", "info", "debug", "trace", found "verbose"']);
            rejectsWith(withOverrides("dev", { "nsip:images": { platform: "linux/s390x" } }), "dev", ['nsip:images.platform: one of "linux/amd64", "linux/arm64", found "linux/s390x"']);
        });

        it("a flag must be a boolean, not its string", () => {
            rejectsWith(withOverrides("dev", { "nsip:hardening": { protectData: "yes" } }), "dev", ['nsip:hardening.protectData: true or false, found "yes"']);
            rejectsWith(withOverrides("dev", { "nsip:images": { registryCache: 1 } }), "dev", ["nsip:images.registryCache: true or false, found 1"]);
        });
    });

    describe("an existing cluster's text fields must not be empty", () => {
        it("empty kubeconfig, context, registry user name and password are each rejected by name", () => {
            const raw = withOverrides("dev", {
                "nsip:cluster": { provider: "existing", kubeconfig: "", context: "", registry: { ...registry, username: "", password: "" } },
                ...existingEdge,
            });
            rejectsWith(raw, "dev", [
                'nsip:cluster.kubeconfig: a kubeconfig document, found ""',
                'nsip:cluster.context: a kubeconfig context name, found ""',
                'nsip:cluster.registry.username: a non-empty user name, found ""',
                'nsip:cluster.registry.password: a non-empty password, found ""',
            ], ["nsip:cluster"]);
        });

        it("one character each is accepted", () => {
            const raw = withOverrides("dev", {
                "nsip:cluster": { provider: "existing", kubeconfig: "k", context: "c", registry: { ...registry, username: "u", password: "p" } },
                ...existingEdge,
            });
            const config = accepts(raw, "dev", ["nsip:cluster"]);
            assert.deepEqual(config.cluster, { provider: "existing", name: config.cluster.name, kubeconfig: "k", context: "c", registry: { ...registry, username: "u", password: "p" } });
        });
    });

    describe("observability thresholds", () => {
        const latency = (apiLatencyP95Seconds: unknown) => withOverrides("dev", { "nsip:observability": { apiLatencyP95Seconds } });
        const ratio = (apiErrorRatioThreshold: unknown) => withOverrides("dev", { "nsip:observability": { apiErrorRatioThreshold } });

        it("apiLatencyP95Seconds accepts both ends, 0.001 and 600", () => {
            assert.equal(accepts(latency(0.001), "dev").observability.apiLatencyP95Seconds, 0.001);
            assert.equal(accepts(latency(600), "dev").observability.apiLatencyP95Seconds, 600);
        });

        it("apiLatencyP95Seconds rejects just below 0.001 and just above 600", () => {
            rejectsWith(latency(0.0009), "dev", ["nsip:observability.apiLatencyP95Seconds: a number of seconds from 0.001 to 600, found 0.0009"]);
            rejectsWith(latency(600.5), "dev", ["nsip:observability.apiLatencyP95Seconds: a number of seconds from 0.001 to 600, found 600.5"]);
        });

        it("apiLatencyP95Seconds must be a number", () => {
            rejectsWith(latency("1s"), "dev", ['nsip:observability.apiLatencyP95Seconds: a number of seconds, found "1s"']);
        });

        it("apiErrorRatioThreshold is strictly between 0 and 1", () => {
            assert.equal(accepts(ratio(0.5), "dev").observability.apiErrorRatioThreshold, 0.5);
            rejectsWith(ratio(0), "dev", ["nsip:observability.apiErrorRatioThreshold: a ratio between 0 and 1 (exclusive), such as 0.05, found 0"]);
            rejectsWith(ratio(1), "dev", ["nsip:observability.apiErrorRatioThreshold: a ratio between 0 and 1 (exclusive), such as 0.05, found 1"]);
            rejectsWith(ratio("5%"), "dev", ['nsip:observability.apiErrorRatioThreshold: a ratio between 0 and 1 (exclusive), found "5%"']);
        });

        it("scrapeIntervalSeconds names why 10 is its floor", () => {
            rejectsWith(withOverrides("dev", { "nsip:observability": { scrapeIntervalSeconds: 5 } }), "dev", [
                "nsip:observability.scrapeIntervalSeconds: an integer from 10 to 300 (scrape_timeout is 10s and may not exceed it), found 5",
            ]);
        });

        it("grafanaAdminUser outside its characters is rejected with them", () => {
            rejectsWith(withOverrides("dev", { "nsip:observability": { grafanaAdminUser: "ad min" } }), "dev", [
                `nsip:observability.grafanaAdminUser: a Grafana login of 1 to 64 letters, digits, '.', '_', '@' or '-', found "ad min"`,
            ]);
        });
    });

    describe("integers: the range and its reason in the message", () => {
        it("an out-of-range, a fractional and a non-numeric replica count each name the range", () => {
            for (const [replicas, found] of [[0, "0"], [51, "51"], [1.5, "1.5"], ["two", '"two"']] as const) {
                rejectsWith(withOverrides("dev", { "nsip:services": { nginx: { replicas } } }), "dev", [`nsip:services.nginx.replicas: an integer from 1 to 50, found ${found}`]);
            }
        });

        it("each integer with a reason says it", () => {
            rejectsWith(withOverrides("dev", { "nsip:cluster": { apiPort: 80 } }), "dev", ["nsip:cluster.apiPort: an integer from 1024 to 65535 (an unprivileged port), found 80"]);
            rejectsWith(withOverrides("dev", { "nsip:edge": { apiRateLimit: { requestsPerSecond: 10, burst: 0 } } }), "dev", [
                "nsip:edge.apiRateLimit.burst: an integer from 1 to 100000 (nginx rejects burst=0), found 0",
            ]);
            rejectsWith(withOverrides("prod", { "nsip:services": { api: { autoscaling: { minReplicas: 2, maxReplicas: 4, targetCpuUtilization: 5 } } } }), "prod", [
                "nsip:services.api.autoscaling.targetCpuUtilization: an integer from 10 to 100 (percent of the CPU request), found 5",
            ]);
            rejectsWith(withOverrides("prod", { "nsip:cluster": { availabilityZones: 1 } }), "prod", [
                `nsip:cluster.availabilityZones: an integer from 2 to ${MAX_AVAILABILITY_ZONES} (the VPC's subnet plan), found 1`,
            ]);
        });

        it("the apps' 32-bit ceiling: 2^31-1 is accepted, 2^31 is not", () => {
            const max = 2 ** 31 - 1;
            assert.equal(accepts(withOverrides("dev", { "nsip:api": { cacheTtlSeconds: max, rateLimitPerMinute: max } }), "dev").api.cacheTtlSeconds, max);
            rejectsWith(withOverrides("dev", { "nsip:api": { cacheTtlSeconds: max + 1 } }), "dev", [`nsip:api.cacheTtlSeconds: an integer from 1 to ${max}, found ${max + 1}`]);
        });
    });

    describe("string checks keep the checker's message", () => {
        it("a bad CPU quantity is reported with the quantity rule", () => {
            const found = problems(withOverrides("dev", { "nsip:services": { frontend: { resources: { requests: { cpu: "lots" } } } } }), "dev");
            const line = found.find((p) => p.startsWith("nsip:services.frontend.resources.requests.cpu: "));
            assert.match(line ?? "", /^nsip:services\.frontend\.resources\.requests\.cpu: a Kubernetes CPU quantity.*, found "lots"$/);
        });

        it("kubernetesVersion: a minor version 1.10 to 1.99", () => {
            const minor = (kubernetesVersion: string) => ({ "nsip:cluster": { kubernetesVersion, addonVersions: { kubeProxy: "default" } } });
            const config = accepts(withOverrides("prod", minor("1.10")), "prod");
            assert.equal(config.cluster.provider === "eks" && config.cluster.kubernetesVersion, "1.10");
            rejectsWith(withOverrides("prod", minor("1.9")), "prod", ['nsip:cluster.kubernetesVersion: a Kubernetes minor version such as "1.35", found "1.9"']);
        });

        it("logRetentionDays: only CloudWatch's periods", () => {
            const config = accepts(withOverrides("prod", { "nsip:cluster": { logRetentionDays: 3653 } }), "prod");
            assert.equal(config.cluster.provider === "eks" && config.cluster.logRetentionDays, 3653);
            rejectsWith(withOverrides("prod", { "nsip:cluster": { logRetentionDays: 100 } }), "prod", [
                `nsip:cluster.logRetentionDays: one of the retention periods CloudWatch Logs accepts: ${CLOUDWATCH_RETENTION_DAYS.join(", ")}, found 100`,
            ]);
            rejectsWith(withOverrides("prod", { "nsip:cluster": { logRetentionDays: "90" } }), "prod", ['nsip:cluster.logRetentionDays: a number of days, found "90"']);
        });

        it("storageClassName: a name is accepted, the empty string is explained", () => {
            assert.equal(accepts(withOverrides("dev", { "nsip:storage": { storageClassName: "fast-ssd" } }), "dev").storage.storageClassName, "fast-ssd");
            rejectsWith(withOverrides("dev", { "nsip:storage": { storageClassName: "" } }), "dev", [
                `nsip:storage.storageClassName: a StorageClass name; leave the key out for the cluster's default ("" asks for no class at all), found ""`,
            ]);
        });
    });

    describe("prebuilt images by digest", () => {
        const digest = "ab".repeat(32);
        const prebuilt = (api: string) => withOverrides("dev", {
            "nsip:cluster": { provider: "existing", context: "staging" },
            ...existingEdge,
            "nsip:images": { prebuilt: { api, frontend: `registry.example.com/team/frontend@sha256:${digest}`, analyzer: `registry.example.com/team/analyzer@sha256:${digest}` } },
        });

        it("a path component with Docker's separators inside (., _, __, runs of -) is accepted", () => {
            for (const name of ["team/api-server", "team/api.v2", "team/api_x", "team-a/nsip/api-server-2", "team/api__v2", "team/api--server", "team/a---b"]) {
                const image = `registry.example.com/${name}@sha256:${digest}`;
                assert.equal(accepts(prebuilt(image), "dev").images.prebuilt?.api, image);
            }
        });

        it("a separator at either end of a path component, three underscores or mixed separators are rejected", () => {
            for (const name of ["team/api-", "team/_api", "team/api___v2", "team/api._v2", "team/api-.v2", "team//api"]) {
                const image = `r.io/${name}@sha256:${digest}`;
                rejectsWith(prebuilt(image), "dev", [
                    `nsip:images.prebuilt.api: an image reference by digest such as registry.example.com/nsip/api@sha256:<64 hex digits>, found ${JSON.stringify(image).slice(0, 57)}...`,
                ]);
            }
        });

        it("a tag alone, without a digest, is rejected", () => {
            rejectsWith(prebuilt("registry.example.com/team/api:1.0"), "dev", [
                'nsip:images.prebuilt.api: an image reference by digest such as registry.example.com/nsip/api@sha256:<64 hex digits>, found "registry.example.com/team/api:1.0"',
            ]);
        });
    });

    describe("lists", () => {
        it("a repeated item names the index it repeats", () => {
            rejectsWith(withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"] } }), "prod", [
                'nsip:cluster.publicAccessCidrs[2]: a value not already listed (it repeats [0]), found "203.0.113.0/24"',
            ]);
            rejectsWith(withOverrides("dev", { "nsip:api": { corsOrigins: ["https://a.example.com", "https://a.example.com"] } }), "dev", [
                'nsip:api.corsOrigins[1]: a value not already listed (it repeats [0]), found "https://a.example.com"',
            ]);
        });

        it("a single value where a list belongs names what the list holds", () => {
            const cases: [Record<string, unknown>, string, string][] = [
                [{ "nsip:cluster": { publicAccessCidrs: "203.0.113.0/24" } }, "prod", 'nsip:cluster.publicAccessCidrs: a list of CIDR blocks, found "203.0.113.0/24"'],
                [{ "nsip:cluster": { adminPrincipalArns: "arn:aws:iam::123456789012:role/a" } }, "prod", 'nsip:cluster.adminPrincipalArns: a list of IAM ARNs, found "arn:aws:iam::123456789012:role/a"'],
                [{ "nsip:cluster": { extraLogTypes: "scheduler" } }, "prod", 'nsip:cluster.extraLogTypes: a list of log types, found "scheduler"'],
                [{ "nsip:api": { corsOrigins: "https://a.example.com" } }, "dev", 'nsip:api.corsOrigins: a list of origins, found "https://a.example.com"'],
            ];
            for (const [overrides, stack, line] of cases) rejectsWith(withOverrides(stack, overrides), stack, [line]);
        });

        it("instanceTypes: a single value, an empty list and 21 types are each rejected", () => {
            const nodeGroup = (instanceTypes: unknown) => ({ "nsip:cluster": { nodeGroup: { instanceTypes, minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 } } });
            rejectsWith(withOverrides("prod", nodeGroup("m6i.large")), "prod", ['nsip:cluster.nodeGroup.instanceTypes: a list of EC2 instance types, found "m6i.large"']);
            rejectsWith(withOverrides("prod", nodeGroup([])), "prod", ["nsip:cluster.nodeGroup.instanceTypes: at least one EC2 instance type, found []"]);
            const many = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"].flatMap((size) => ["m6i", "m5", "c6i"].map((family) => `${family}.${size}`));
            assert.equal(accepts(withOverrides("prod", nodeGroup(many.slice(0, 20))), "prod").cluster.provider, "eks");
            const found = problems(withOverrides("prod", nodeGroup(many)), "prod");
            assert.ok(found.some((p) => p.startsWith("nsip:cluster.nodeGroup.instanceTypes: at most 20 instance types (the EKS limit), found ")), found.join("\n"));
        });

        it("publicAccessCidrs: 40 are accepted, 41 are not; two admins are accepted", () => {
            const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `52.${i}.0.0/16`);
            const config = accepts(withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: cidrs(40), adminPrincipalArns: ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"] } }), "prod");
            assert.equal(config.cluster.provider === "eks" && config.cluster.publicAccessCidrs.length, 40);
            assert.equal(config.cluster.provider === "eks" && config.cluster.adminPrincipalArns.length, 2);
            const found = problems(withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: cidrs(41) } }), "prod");
            assert.ok(found.some((p) => p.startsWith("nsip:cluster.publicAccessCidrs: at most 40 CIDR blocks (the EKS limit), found ")), found.join("\n"));
        });
    });
});
