/** Container ports of the eight services and their sidecars (Service port = container port). */
export const ports = {
    nginx: { http: 8080, redirect: 8090, stubStatus: 8081, metrics: 9113 },
    frontend: { http: 8080 },
    api: { http: 3000, metrics: 9100 },
    analyzer: { http: 5000, metrics: 9100 },
    postgres: { sql: 5432, metrics: 9187 },
    redis: { resp: 6379, metrics: 9121 },
    prometheus: { http: 9090 },
    grafana: { http: 3000 },
    /** With backups on: reports the backup CronJob's last success for the freshness alert. */
    kubeStateMetrics: { metrics: 8080, telemetry: 8081 },
} as const;

export const serviceNames = ["nginx", "frontend", "api", "analyzer", "postgres", "redis", "prometheus", "grafana"] as const;
export type ServiceName = (typeof serviceNames)[number];
