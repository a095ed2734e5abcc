import { CLUSTER_AUTOSCALER_PORT } from "./cluster-autoscaler";
import { ports, ServiceName } from "./ports";

/**
 * DESIGN.md's traffic table as data: the only flows the NetworkPolicies allow (plus DNS for every pod).
 * `migrations` is the schema-migration Job (api image), `backup` the PostgreSQL backup CronJob, `restore` the Jobs
 * `ops restore` creates from the restore template,
 * `cluster-autoscaler` the node autoscaler (EKS), `outside` the load balancer's clients, `kube-api` the Kubernetes
 * API server, `s3` the backups' S3 endpoint (AWS S3 or an S3-compatible one), `aws-api` the regional AWS APIs (Auto
 * Scaling, EC2, EKS) over HTTPS, `pod-identity-agent` the node-local EKS Pod Identity credential endpoint and
 * `kube-state-metrics` the exporter of the backup CronJob's status, `health-probe` the Jobs `ops health` creates from
 * the health-probe template: each HTTP service's readiness port, and nothing else.
 */
export type Peer =
    | ServiceName
    | "migrations"
    | "backup"
    | "restore"
    | "cluster-autoscaler"
    | "kube-state-metrics"
    | "health-probe"
    | "outside"
    | "kube-api"
    | "s3"
    | "aws-api"
    | "pod-identity-agent";

/** Peers that exist only on some stacks; their flows are left out where they don't, so no policy names them. */
export type OptionalPeer = "backup" | "restore" | "cluster-autoscaler" | "kube-state-metrics" | "s3" | "pod-identity-agent";

/** Port of the S3 endpoint in the table; an S3-compatible endpoint on another port replaces it (trafficFor). */
const S3_HTTPS = 443;

export interface Flow {
    from: Peer;
    to: Peer;
    /** Destination container ports (TCP). */
    ports: number[];
}

export const trafficTable: readonly Flow[] = [
    { from: "outside", to: "nginx", ports: [ports.nginx.http, ports.nginx.redirect] },
    { from: "prometheus", to: "nginx", ports: [ports.nginx.metrics] },
    { from: "nginx", to: "frontend", ports: [ports.frontend.http] },
    { from: "nginx", to: "api", ports: [ports.api.http] },
    { from: "prometheus", to: "api", ports: [ports.api.metrics] },
    { from: "api", to: "analyzer", ports: [ports.analyzer.http] },
    { from: "prometheus", to: "analyzer", ports: [ports.analyzer.metrics] },
    { from: "api", to: "postgres", ports: [ports.postgres.sql] },
    { from: "migrations", to: "postgres", ports: [ports.postgres.sql] },
    { from: "prometheus", to: "postgres", ports: [ports.postgres.metrics] },
    { from: "api", to: "redis", ports: [ports.redis.resp] },
    { from: "prometheus", to: "redis", ports: [ports.redis.metrics] },
    { from: "grafana", to: "prometheus", ports: [ports.prometheus.http] },
    { from: "nginx", to: "grafana", ports: [ports.grafana.http] },
    { from: "prometheus", to: "kube-api", ports: [443, 6443] },
    { from: "backup", to: "postgres", ports: [ports.postgres.sql] },
    { from: "backup", to: "s3", ports: [S3_HTTPS] },
    // The AWS CLI fetches the Pod Identity credentials over plain HTTP from the agent on its node.
    { from: "backup", to: "pod-identity-agent", ports: [80] },
    // The restore reads what the backup wrote, with credentials of its own (read-only).
    { from: "restore", to: "postgres", ports: [ports.postgres.sql] },
    { from: "restore", to: "s3", ports: [S3_HTTPS] },
    { from: "restore", to: "pod-identity-agent", ports: [80] },
    { from: "prometheus", to: "kube-state-metrics", ports: [ports.kubeStateMetrics.metrics] },
    { from: "kube-state-metrics", to: "kube-api", ports: [443, 6443] },
    { from: "cluster-autoscaler", to: "kube-api", ports: [443, 6443] },
    { from: "cluster-autoscaler", to: "aws-api", ports: [443] },
    { from: "cluster-autoscaler", to: "pod-identity-agent", ports: [80] },
    { from: "prometheus", to: "cluster-autoscaler", ports: [CLUSTER_AUTOSCALER_PORT] },
    // `ops health`: a GET of each HTTP service's readiness endpoint from inside the namespace.
    { from: "health-probe", to: "api", ports: [ports.api.http] },
    { from: "health-probe", to: "analyzer", ports: [ports.analyzer.http] },
    { from: "health-probe", to: "frontend", ports: [ports.frontend.http] },
    { from: "health-probe", to: "grafana", ports: [ports.grafana.http] },
    { from: "health-probe", to: "prometheus", ports: [ports.prometheus.http] },
    { from: "health-probe", to: "nginx", ports: [ports.nginx.http] },
];

/** The table for a stack: flows of optional pods the stack does not run are dropped. */
export function trafficFor(present: Record<OptionalPeer, boolean>, s3Port = S3_HTTPS): readonly Flow[] {
    const absent = (peer: Peer) => peer in present && !present[peer as OptionalPeer];
    return trafficTable
        .filter((f) => !absent(f.from) && !absent(f.to))
        .map((f) => (f.to === "s3" ? { ...f, ports: [s3Port] } : f));
}
