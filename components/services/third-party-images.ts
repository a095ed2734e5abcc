/**
 * Third-party images, pinned to exact versions. The exporter versions here are the ones whose
 * source the `exporter-metrics.txt` lists were read from: bump both together.
 *
 * Tags, not digests: these images are not built by us, so there is no `repoDigest` to read back,
 * and a digest can't be verified from here (no registry access). A tag bump previews as a diff.
 */
export const thirdPartyImages = {
    postgres: "postgres:16.15-alpine3.24",
    redis: "redis:7.4.11-alpine",
    prometheus: "prom/prometheus:v3.5.5",
    grafana: "grafana/grafana:12.4.3",
    postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.20.1",
    redisExporter: "oliver006/redis_exporter:v1.88.0",
    nginxExporter: "nginx/nginx-prometheus-exporter:1.5.1",
    /** Reports the backup CronJob's last success (`kube_cronjob_status_last_successful_time`). */
    kubeStateMetrics: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.17.0",
    /** Uploads the PostgreSQL dumps to S3 and S3-compatible endpoints. */
    awsCli: "amazon/aws-cli:2.35.19",
    /** Node autoscaling on EKS; its minor follows the cluster's Kubernetes minor (cluster.kubernetesVersion). */
    clusterAutoscaler: "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2",
    /** The edge reverse proxy (nginx 1.30 stable). Tests run Debian's nginx 1.22, so the edge conf uses only directives both have. */
    edgeNginx: "nginxinc/nginx-unprivileged:1.30.4-alpine",
} as const;

export type ThirdPartyImage = keyof typeof thirdPartyImages;

/** The tag of a pinned third-party image, used as its `app.kubernetes.io/version` label. */
export function imageTag(image: ThirdPartyImage): string {
    return thirdPartyImages[image].split(":").slice(-1)[0];
}
