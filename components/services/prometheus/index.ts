import { ports } from "../ports";
import { BACKUP_NAME } from "../postgres/backup";
import { backupMaxAgeSeconds } from "../postgres/backup-freshness";
import { httpLiveness, httpReadiness, startup } from "../probes";
import { imageTag, thirdPartyImages } from "../third-party-images";
import { CONFIG_VOLUME, ServiceContext, ServiceDefinition } from "../context";
import { renderAlertRules } from "./alert-rules";
import { renderPrometheusConfig } from "./prometheus-config";

/** The nobody user the official image runs as. */
export const PROMETHEUS_UID = 65534;
const CONFIG_DIR = "/etc/prometheus";

export function prometheusService(ctx: ServiceContext): ServiceDefinition {
    const o = ctx.config.observability;
    return {
        configFiles: {
            "prometheus.yml": renderPrometheusConfig({
                namespace: ctx.namespace,
                ruleFiles: [`${CONFIG_DIR}/alert-rules.yml`],
                scrapeIntervalSeconds: o.scrapeIntervalSeconds,
            }),
            "alert-rules.yml": renderAlertRules({
                apiErrorRatioThreshold: o.apiErrorRatioThreshold,
                apiLatencyP95Seconds: o.apiLatencyP95Seconds,
                backup: ctx.config.backup.enabled ? { cronJob: BACKUP_NAME, maxAgeSeconds: backupMaxAgeSeconds(ctx.config.backup.schedule) } : undefined,
            }),
        },
        spec: {
            name: "prometheus",
            component: "monitoring",
            version: imageTag("prometheus"),
            kind: "StatefulSet",
            stateless: false,
            replicas: 1,
            runAsUser: PROMETHEUS_UID,
            // Kubernetes service discovery reads the API: the one workload with a token (bound to a namespaced Role).
            serviceAccountToken: true,
            persistentVolume: { size: ctx.config.storage.prometheus, storageClassName: ctx.storageClassName },
            containers: [
                {
                    name: "prometheus",
                    image: thirdPartyImages.prometheus,
                    args: [
                        `--config.file=${CONFIG_DIR}/prometheus.yml`,
                        "--storage.tsdb.path=/prometheus",
                        `--storage.tsdb.retention.time=${o.retentionDays}d`,
                        `--web.listen-address=:${ports.prometheus.http}`,
                    ],
                    ports: [{ name: "http", containerPort: ports.prometheus.http }],
                    resources: ctx.config.services.prometheus.resources,
                    probes: {
                        readiness: httpReadiness("/-/ready", ports.prometheus.http),
                        liveness: httpLiveness("/-/healthy", ports.prometheus.http),
                        // WAL replay after a restart can take minutes on a full volume.
                        startup: startup(httpReadiness("/-/ready", ports.prometheus.http), 600),
                    },
                    writablePaths: [],
                    mounts: [{ volume: CONFIG_VOLUME, mountPath: CONFIG_DIR }],
                    dataMountPath: "/prometheus",
                },
            ],
            // Not named `metrics`: Prometheus scrapes itself on localhost, not through discovery.
            servicePorts: [{ name: "http", port: ports.prometheus.http, targetPort: ports.prometheus.http }],
        },
    };
}
