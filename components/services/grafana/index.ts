import * as fs from "fs";
import { secretRefs } from "../../platform";
import { ports } from "../ports";
import { httpReadiness, startup, tcpLiveness } from "../probes";
import { imageTag, thirdPartyImages } from "../third-party-images";
import { CONFIG_VOLUME, ServiceContext, ServiceDefinition, serviceHost } from "../context";
import { GRAFANA_DASHBOARDS, GRAFANA_PATHS, GRAFANA_SUB_PATH, renderGrafanaDashboardProviders, renderGrafanaDatasources, renderGrafanaIni } from "./provisioning";

/** The grafana user of the official image. */
export const GRAFANA_UID = 472;

export function grafanaService(ctx: ServiceContext): ServiceDefinition {
    // Dashboards live beside the service they watch; grafana mounts them all.
    const dashboards = Object.fromEntries(GRAFANA_DASHBOARDS.map((d) => [d.file, fs.readFileSync(d.source, "utf8")]));
    const fromSecret = (key: string) => ({ secretKeyRef: { name: secretRefs.grafana.name, key } });
    // serve_from_sub_path: Grafana answers under /grafana/ only, probes included.
    const health = `${GRAFANA_SUB_PATH}api/health`;
    return {
        configFiles: {
            "grafana.ini": renderGrafanaIni({ publicUrl: ctx.publicUrl, adminUser: ctx.config.observability.grafanaAdminUser }),
            "datasources.yaml": renderGrafanaDatasources({
                prometheusUrl: `http://${serviceHost("prometheus", ctx.namespace)}:${ports.prometheus.http}`,
                scrapeIntervalSeconds: ctx.config.observability.scrapeIntervalSeconds,
            }),
            "dashboards.yaml": renderGrafanaDashboardProviders({ dashboardsPath: GRAFANA_PATHS.dashboards }),
            ...dashboards,
        },
        spec: {
            name: "grafana",
            component: "dashboards",
            version: imageTag("grafana"),
            kind: "Deployment",
            // One replica: users and sessions live in grafana's own database (README, "Grafana").
            stateless: false,
            replicas: 1,
            runAsUser: GRAFANA_UID,
            containers: [
                {
                    name: "grafana",
                    image: thirdPartyImages.grafana,
                    ports: [{ name: "http", containerPort: ports.grafana.http }],
                    env: [
                        // The image's GF_PATHS_* variables win over grafana.ini; point them at the writable and mounted paths.
                        { name: "GF_PATHS_CONFIG", value: "/etc/grafana/grafana.ini" },
                        { name: "GF_PATHS_DATA", value: GRAFANA_PATHS.data },
                        { name: "GF_PATHS_LOGS", value: GRAFANA_PATHS.logs },
                        { name: "GF_PATHS_PLUGINS", value: GRAFANA_PATHS.plugins },
                        { name: "GF_PATHS_PROVISIONING", value: GRAFANA_PATHS.provisioning },
                        { name: "GF_SECURITY_ADMIN_USER", valueFrom: fromSecret(secretRefs.grafana.userKey) },
                        { name: "GF_SECURITY_ADMIN_PASSWORD", valueFrom: fromSecret(secretRefs.grafana.passwordKey) },
                    ],
                    resources: ctx.config.services.grafana.resources,
                    probes: {
                        readiness: httpReadiness(health, ports.grafana.http),
                        // Readiness asks Grafana's health API (database included); liveness only that the server still listens.
                        liveness: tcpLiveness(ports.grafana.http),
                        startup: startup(httpReadiness(health, ports.grafana.http), 120),
                    },
                    writablePaths: [
                        { path: GRAFANA_PATHS.data, sizeLimit: "512Mi" },
                        { path: "/tmp", sizeLimit: "64Mi" },
                    ],
                    mounts: [
                        { volume: CONFIG_VOLUME, mountPath: "/etc/grafana/grafana.ini", subPath: "grafana.ini" },
                        { volume: CONFIG_VOLUME, mountPath: "/etc/grafana/provisioning/datasources/datasources.yaml", subPath: "datasources.yaml" },
                        { volume: CONFIG_VOLUME, mountPath: "/etc/grafana/provisioning/dashboards/dashboards.yaml", subPath: "dashboards.yaml" },
                        ...GRAFANA_DASHBOARDS.map((d) => ({ volume: CONFIG_VOLUME, mountPath: `${GRAFANA_PATHS.dashboards}/${d.file}`, subPath: d.file })),
                    ],
                },
            ],
            servicePorts: [{ name: "http", port: ports.grafana.http, targetPort: ports.grafana.http }],
        },
    };
}
