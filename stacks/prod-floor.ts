import { ConfigIssue, ConfigRule, rule } from "./rules";
import type { NsipConfig } from "./schema";

export type { ConfigIssue } from "./rules";

/** The services that hold no state and so must survive losing a pod in prod. */
export const statelessServices = ["nginx", "frontend", "api", "analyzer"] as const;

const onlyInProd =
    (check: (config: NsipConfig) => ConfigIssue[]) =>
    (config: NsipConfig): ConfigIssue[] =>
        config.environment === "prod" ? check(config) : [];

const when = (ok: boolean, key: string, message: string): ConfigIssue[] => (ok ? [] : [{ key, message }]);

/**
 * Prod is a floor: a prod stack may harden further but never weaken the profile. Each rule is
 * independent (the loader runs them all, skipping only a rule that reads a value the schema
 * already rejected), and each violation names the key to fix.
 */
export const prodFloorRules: readonly ConfigRule[] = [
    rule("prod: restricted pod security", onlyInProd((c) => when(c.hardening.podSecurityLevel === "restricted", "nsip:hardening.podSecurityLevel", `prod enforces "restricted", found "${c.hardening.podSecurityLevel}"`))),
    ...(["podDisruptionBudgets", "topologySpread", "zeroDowntimeRollouts", "protectData"] as const).map((switchName) =>
        rule(`prod: hardening.${switchName}`, onlyInProd((c) => when(c.hardening[switchName], `nsip:hardening.${switchName}`, "prod requires true, found false"))),
    ),
    ...statelessServices.map((name) =>
        rule(
            `prod: two ${name} replicas`,
            onlyInProd((c) => when(c.services[name].replicas >= 2, `nsip:services.${name}.replicas`, `prod runs stateless services with at least 2 replicas, found ${c.services[name].replicas}`)),
        ),
    ),
    ...(["api", "analyzer"] as const).map((name) =>
        rule(
            `prod: ${name} autoscaling`,
            onlyInProd((c) => {
                const hpa = c.services[name].autoscaling;
                if (hpa === undefined) return when(false, `nsip:services.${name}.autoscaling`, "prod requires a HorizontalPodAutoscaler");
                return when(hpa.minReplicas >= 2, `nsip:services.${name}.autoscaling.minReplicas`, `prod requires at least 2, found ${hpa.minReplicas}`);
            }),
        ),
    ),
    rule("prod: TLS", onlyInProd((c) => when(c.edge.tlsCertificateArn !== undefined, "nsip:edge.tlsCertificateArn", "prod terminates TLS at the edge: an ACM certificate ARN is required"))),
    rule("prod: not on the local cluster", onlyInProd((c) => when(c.cluster.provider !== "local", "nsip:cluster.provider", 'prod runs on "eks" or "existing", not on the local dev cluster'))),
    rule(
        "prod: API endpoint not open to the world",
        onlyInProd((c) =>
            c.cluster.provider === "eks"
                ? when(!c.cluster.publicAccessCidrs.includes("0.0.0.0/0"), "nsip:cluster.publicAccessCidrs", "prod limits the public API endpoint to known CIDRs, found 0.0.0.0/0")
                : [],
        ),
    ),
    rule(
        "prod: backups on EKS",
        onlyInProd((c) => (c.cluster.provider === "eks" ? when(c.backup.enabled, "nsip:backup.enabled", "prod on EKS backs PostgreSQL up to S3: requires true, found false") : [])),
    ),
    rule(
        "prod: 90 days of control-plane logs",
        onlyInProd((c) =>
            c.cluster.provider === "eks"
                ? when(c.cluster.logRetentionDays >= 90, "nsip:cluster.logRetentionDays", `prod keeps control-plane logs at least 90 days, found ${c.cluster.logRetentionDays}`)
                : [],
        ),
    ),
];

/** Every prod floor violation of a fully valid config. */
export function prodFloorViolations(config: NsipConfig): ConfigIssue[] {
    return prodFloorRules.flatMap((r) => r.check(config));
}
