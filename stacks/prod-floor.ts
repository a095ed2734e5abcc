import type { NsipConfig } from "./schema";

/** A stack config problem: the offending key path and what was expected. */
export interface ConfigIssue {
    key: string;
    message: string;
}

/** The services that hold no state and so must survive losing a pod in prod. */
export const statelessServices = ["nginx", "frontend", "api", "analyzer"] as const;

/**
 * Prod is a floor: a prod stack may harden further but never weaken the profile.
 * Returns every violation, each naming the key to fix.
 */
export function prodFloorViolations(config: NsipConfig): ConfigIssue[] {
    if (config.environment !== "prod") return [];
    const issues: ConfigIssue[] = [];
    const require = (ok: boolean, key: string, message: string) => {
        if (!ok) issues.push({ key, message });
    };

    const h = config.hardening;
    require(h.podSecurityLevel === "restricted", "nsip:hardening.podSecurityLevel", `prod enforces "restricted", found "${h.podSecurityLevel}"`);
    for (const rule of ["podDisruptionBudgets", "topologySpread", "zeroDowntimeRollouts", "protectData"] as const) {
        require(h[rule], `nsip:hardening.${rule}`, "prod requires true, found false");
    }

    for (const name of statelessServices) {
        const svc = config.services[name];
        require(svc.replicas >= 2, `nsip:services.${name}.replicas`, `prod runs stateless services with at least 2 replicas, found ${svc.replicas}`);
    }
    for (const name of ["api", "analyzer"] as const) {
        const hpa = config.services[name].autoscaling;
        require(hpa !== undefined, `nsip:services.${name}.autoscaling`, "prod requires a HorizontalPodAutoscaler");
        if (hpa) require(hpa.minReplicas >= 2, `nsip:services.${name}.autoscaling.minReplicas`, `prod requires at least 2, found ${hpa.minReplicas}`);
    }

    require(config.edge.tlsCertificateArn !== undefined, "nsip:edge.tlsCertificateArn", "prod terminates TLS at the edge: an ACM certificate ARN is required");

    const cluster = config.cluster;
    require(cluster.provider !== "local", "nsip:cluster.provider", 'prod runs on "eks" or "existing", not on the local dev cluster');
    if (cluster.provider === "eks") {
        require(
            !cluster.publicAccessCidrs.includes("0.0.0.0/0"),
            "nsip:cluster.publicAccessCidrs",
            "prod limits the public API endpoint to known CIDRs, found 0.0.0.0/0",
        );
        require(config.backup.enabled, "nsip:backup.enabled", "prod on EKS backs PostgreSQL up to S3: requires true, found false");
        require(cluster.logRetentionDays >= 90, "nsip:cluster.logRetentionDays", `prod keeps control-plane logs at least 90 days, found ${cluster.logRetentionDays}`);
    }
    return issues;
}
