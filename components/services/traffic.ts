import { ports, ServiceName } from "./ports";

/**
 * DESIGN.md's traffic table as data: the only flows the NetworkPolicies allow (plus DNS for every pod).
 * `migrations` is the schema-migration Job (api image), `outside` the load balancer's clients,
 * `kube-api` the Kubernetes API server, `s3` AWS S3 over HTTPS.
 */
export type Peer = ServiceName | "migrations" | "outside" | "kube-api";

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
];
