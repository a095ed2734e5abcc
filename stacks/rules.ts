import { EKS_ADDON_VERSION } from "../components/cluster/addons";
import type { NsipConfig } from "./schema";
import { compareAmounts, instanceArchitecture, nginxSizeBytes, parseAcmArn, parseIamPrincipalArn, parseQuantity, partitionOf, quantityBytes, redisMemoryBytes } from "./values";

/** A stack config problem: the offending key path and what was expected. */
export interface ConfigIssue {
    key: string;
    message: string;
}

/**
 * A check over the validated config that relates two or more values. Each rule is independent:
 * the loader runs every rule, and a rule that reads a value the schema rejected is skipped (that
 * value's own problem is already reported), so one run reports every problem.
 */
export interface ConfigRule {
    name: string;
    check(config: NsipConfig): ConfigIssue[];
}

export function rule(name: string, check: (config: NsipConfig) => ConfigIssue[]): ConfigRule {
    return { name, check };
}

const issue = (key: string, message: string): ConfigIssue[] => [{ key, message }];
const none: ConfigIssue[] = [];

/** Every service with resources, in the order the schema lists them. */
const serviceNames = ["nginx", "frontend", "api", "analyzer", "grafana", "postgres", "redis", "prometheus"] as const;
const resourceNames = ["cpu", "memory", "ephemeralStorage"] as const;

/** The share of the Redis container's memory limit maxmemory may take: the rest is Redis's own overhead and the AOF rewrite. */
export const REDIS_MAXMEMORY_SHARE = { num: 3, den: 4 } as const;

export const crossFieldRules: readonly ConfigRule[] = [
    rule("edge host name outside the local cluster", (c) =>
        c.cluster.provider !== "local" && c.edge.hostname === undefined
            ? issue("nsip:edge.hostname", `required on an "${c.cluster.provider}" cluster: it makes the public and Grafana URLs`)
            : none,
    ),

    rule("a registry or prebuilt images on an existing cluster", (c) =>
        c.cluster.provider === "existing" && c.cluster.registry === undefined && c.images.prebuilt === undefined
            ? issue("nsip:cluster.registry", 'required on an "existing" cluster to push the images it builds; or set nsip:images.prebuilt to deploy images built elsewhere')
            : none,
    ),

    rule("an existing cluster's kubeconfig or context", (c) =>
        c.cluster.provider === "existing" && c.cluster.kubeconfig === undefined && c.cluster.context === undefined
            ? issue("nsip:cluster.kubeconfig", "set kubeconfig (pulumi config set --secret --path nsip:cluster.kubeconfig) or context")
            : none,
    ),

    rule("registry credentials come in pairs", (c) => {
        if (c.cluster.provider !== "existing" || c.cluster.registry === undefined) return none;
        const { username, password } = c.cluster.registry;
        if (username === undefined && password !== undefined) return issue("nsip:cluster.registry.username", "required with nsip:cluster.registry.password, found nothing");
        if (password === undefined && username !== undefined) return issue("nsip:cluster.registry.password", "required with nsip:cluster.registry.username, found nothing");
        return none;
    }),

    rule("backups need S3", (c) =>
        c.backup.enabled && c.cluster.provider !== "eks"
            ? issue("nsip:backup.enabled", `backups are written to S3 and need an "eks" cluster, found "${c.cluster.provider}"; set it to false on this cluster`)
            : none,
    ),

    rule("requests within limits", (c) =>
        serviceNames.flatMap((service) => {
            const { requests, limits } = c.services[service].resources;
            return resourceNames.flatMap((resource) => {
                const request = parseQuantity(requests[resource])!.amount;
                const limit = parseQuantity(limits[resource])!.amount;
                return compareAmounts(request, limit) > 0
                    ? issue(
                          `nsip:services.${service}.resources.requests.${resource}`,
                          `at most the limit ${JSON.stringify(limits[resource])} (the API server rejects a request above its limit), found ${JSON.stringify(requests[resource])}`,
                      )
                    : none;
            });
        }),
    ),

    rule("autoscaling minimum within maximum", (c) =>
        (["api", "analyzer"] as const).flatMap((service) => {
            const hpa = c.services[service].autoscaling;
            return hpa !== undefined && hpa.maxReplicas < hpa.minReplicas
                ? issue(`nsip:services.${service}.autoscaling.maxReplicas`, `at least minReplicas (${hpa.minReplicas}), found ${hpa.maxReplicas}`)
                : none;
        }),
    ),

    rule("node AMI type matches the instance types' architecture", (c) => {
        if (c.cluster.provider !== "eks") return none;
        const { amiType, instanceTypes } = c.cluster.nodeGroup;
        const amiArchitecture = /ARM_64/.test(amiType) ? "arm64" : "x86_64";
        const mismatched = instanceTypes.filter((type) => instanceArchitecture(type) !== amiArchitecture);
        return mismatched.length === 0
            ? none
            : issue("nsip:cluster.nodeGroup.amiType", `an AMI type for the instance types' architecture (${mismatched.map((t) => `${t} is ${instanceArchitecture(t)}`).join(", ")}), found ${amiType} (${amiArchitecture})`);
    }),

    rule("kube-proxy pinned to the cluster's Kubernetes minor", (c) => {
        if (c.cluster.provider !== "eks") return none;
        const pinned = EKS_ADDON_VERSION.exec(c.cluster.addonVersions.kubeProxy);
        if (pinned === null || `${pinned[1]}.${pinned[2]}` === c.cluster.kubernetesVersion) return none;
        return issue(
            "nsip:cluster.addonVersions.kubeProxy",
            `a kube-proxy build of the cluster's Kubernetes ${c.cluster.kubernetesVersion} (v${c.cluster.kubernetesVersion}.<patch>-eksbuild.<n>), or "default"; found ${c.cluster.addonVersions.kubeProxy}`,
        );
    }),

    rule("node group sizes in order", (c) => {
        if (c.cluster.provider !== "eks") return none;
        const { minSize, desiredSize, maxSize } = c.cluster.nodeGroup;
        if (minSize > maxSize) return issue("nsip:cluster.nodeGroup.maxSize", `at least minSize (${minSize}), found ${maxSize}`);
        if (desiredSize < minSize || desiredSize > maxSize) {
            return issue("nsip:cluster.nodeGroup.desiredSize", `from minSize to maxSize (${minSize} to ${maxSize}), found ${desiredSize}`);
        }
        return none;
    }),

    rule("local cluster ports distinct", (c) => {
        if (c.cluster.provider !== "local") return none;
        const seen = new Map<number, string>();
        const issues: ConfigIssue[] = [];
        for (const key of ["apiPort", "registryPort", "edgePort"] as const) {
            const port = c.cluster[key];
            const taken = seen.get(port);
            if (taken !== undefined) issues.push({ key: `nsip:cluster.${key}`, message: `a port no other local-cluster key uses, found ${port}, already nsip:cluster.${taken}` });
            else seen.set(port, key);
        }
        return issues;
    }),

    rule("the certificate lives in the cluster's region", (c) => {
        const arn = c.edge.tlsCertificateArn;
        if (arn === undefined || c.cluster.provider !== "eks") return none;
        const certificateRegion = parseAcmArn(arn)!.region;
        return certificateRegion !== c.cluster.region
            ? issue("nsip:edge.tlsCertificateArn", `a certificate in the cluster's region ${c.cluster.region} (an NLB uses ACM certificates of its own region only), found one in ${certificateRegion}`)
            : none;
    }),

    rule("TLS needs a load balancer that terminates it", (c) =>
        c.edge.tlsCertificateArn !== undefined && c.cluster.provider === "local"
            ? issue("nsip:edge.tlsCertificateArn", 'an ACM certificate needs an AWS load balancer; the "local" cluster serves plain http on the loopback port: leave it out')
            : none,
    ),

    rule("admin principals in the cluster's partition", (c) => {
        if (c.cluster.provider !== "eks") return none;
        const { region, adminPrincipalArns } = c.cluster;
        const partition = partitionOf(region);
        return adminPrincipalArns.flatMap((arn, i) =>
            parseIamPrincipalArn(arn)!.partition !== partition
                ? issue(`nsip:cluster.adminPrincipalArns[${i}]`, `an ARN in partition "${partition}" (the region ${region}'s), found ${JSON.stringify(arn)}`)
                : none,
        );
    }),

    rule("Redis maxmemory fits its container", (c) => {
        const maxmemory = BigInt(redisMemoryBytes(c.redis.maxmemory)!);
        const limit = quantityBytes(c.services.redis.resources.limits.memory);
        const allowed = (limit * BigInt(REDIS_MAXMEMORY_SHARE.num)) / BigInt(REDIS_MAXMEMORY_SHARE.den);
        return maxmemory > allowed
            ? issue(
                  "nsip:redis.maxmemory",
                  `at most 3/4 of nsip:services.redis.resources.limits.memory (${c.services.redis.resources.limits.memory} = ${limit} bytes, so ${allowed} bytes), leaving room for Redis's own overhead before the kernel kills it; found ${JSON.stringify(c.redis.maxmemory)} = ${maxmemory} bytes`,
              )
            : none;
    }),

    rule("the edge lets the largest upload through", (c) => {
        const edgeLimit = nginxSizeBytes(c.edge.clientMaxBodySize)!;
        return edgeLimit <= c.api.maxUploadBytes
            ? issue(
                  "nsip:edge.clientMaxBodySize",
                  `more than nsip:api.maxUploadBytes (${c.api.maxUploadBytes} bytes) plus multipart overhead, so the api answers oversize uploads; found ${JSON.stringify(c.edge.clientMaxBodySize)} = ${edgeLimit} bytes`,
              )
            : none;
    }),
];
