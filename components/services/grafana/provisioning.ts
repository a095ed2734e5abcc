import path from "node:path";
import { stringify } from "yaml";

/**
 * Grafana's grafana.ini and provisioning files. Pure: no Pulumi; path only locates the dashboard JSON.
 *
 * Grafana sits behind the edge at /grafana/ (serve_from_sub_path: it expects the prefix on every
 * request, and the edge keeps it). Pods have no egress, so everything that phones home is off. The
 * admin password is not here: it comes from GF_SECURITY_ADMIN_PASSWORD (a secretKeyRef), which
 * Grafana reads over the ini. Note that the image's GF_PATHS_* variables also win over [paths].
 */

export const GRAFANA_PORT = 3000;
export const GRAFANA_SUB_PATH = "/grafana/";
/** Provisioned datasource uid; every dashboard panel refers to it. */
export const PROMETHEUS_DATASOURCE_UID = "nsip-prometheus";

/** Where things live in the pod: data on an emptyDir/PVC, provisioning and dashboards on read-only ConfigMap mounts. */
export const GRAFANA_PATHS = {
    data: "/var/lib/grafana",
    logs: "/var/lib/grafana/logs",
    plugins: "/var/lib/grafana/plugins",
    provisioning: "/etc/grafana/provisioning",
    /** Mount the dashboards ConfigMap here (keys = GRAFANA_DASHBOARDS[].file). */
    dashboards: "/etc/grafana/dashboards",
} as const;

export interface GrafanaDashboardFile {
    /** ConfigMap key and file name under GRAFANA_PATHS.dashboards. */
    file: string;
    uid: string;
    title: string;
    /** Absolute path of the JSON in this repository. */
    source: string;
}

/** The dashboards kept as JSON next to the service they describe. */
export const GRAFANA_DASHBOARDS: readonly GrafanaDashboardFile[] = [
    { file: "system-overview.json", uid: "nsip-system-overview", title: "NSIP / System overview", source: path.join(__dirname, "dashboards", "system-overview.json") },
    { file: "api-performance.json", uid: "nsip-api-performance", title: "NSIP / API performance", source: path.join(__dirname, "..", "api", "dashboard.json") },
    { file: "database-statistics.json", uid: "nsip-database-statistics", title: "NSIP / Database statistics", source: path.join(__dirname, "..", "postgres", "dashboard.json") },
    { file: "redis.json", uid: "nsip-redis", title: "NSIP / Redis", source: path.join(__dirname, "..", "redis", "dashboard.json") },
];

export interface GrafanaDatasourcesArgs {
    /** In-cluster URL of Prometheus, e.g. http://prometheus.nsip.svc.cluster.local:9090 */
    prometheusUrl: string;
    /** Prometheus's scrape interval, so Grafana never asks for finer steps. Default 15. */
    scrapeIntervalSeconds?: number;
}

export function renderGrafanaDatasources(args: GrafanaDatasourcesArgs): string {
    if (!/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?\/?$/.test(args.prometheusUrl)) {
        throw new Error(`renderGrafanaDatasources: prometheusUrl must be an http(s) base URL, got ${JSON.stringify(args.prometheusUrl)}`);
    }
    return stringify({
        apiVersion: 1,
        datasources: [
            {
                name: "Prometheus",
                uid: PROMETHEUS_DATASOURCE_UID,
                type: "prometheus",
                access: "proxy",
                url: args.prometheusUrl,
                isDefault: true,
                editable: false,
                jsonData: { httpMethod: "POST", timeInterval: `${args.scrapeIntervalSeconds ?? 15}s`, prometheusType: "Prometheus" },
            },
        ],
    });
}

export interface GrafanaDashboardProvidersArgs {
    /** Default GRAFANA_PATHS.dashboards. */
    dashboardsPath?: string;
}

export function renderGrafanaDashboardProviders(args: GrafanaDashboardProvidersArgs = {}): string {
    return stringify({
        apiVersion: 1,
        providers: [
            {
                name: "nsip",
                orgId: 1,
                folder: "NSIP",
                folderUid: "nsip",
                type: "file",
                // The repo is the source of truth: no deleting or saving from the UI.
                disableDeletion: true,
                allowUiUpdates: false,
                updateIntervalSeconds: 60,
                options: { path: args.dashboardsPath ?? GRAFANA_PATHS.dashboards, foldersFromFilesStructure: false },
            },
        ],
    });
}

export interface GrafanaIniArgs {
    /** Public base URL of the edge, e.g. https://nsip.example.com or http://127.0.0.1:8080; Grafana lives at <url>/grafana/. */
    publicUrl: string;
    adminUser: string;
}

export function renderGrafanaIni(args: GrafanaIniArgs): string {
    const url = parsePublicUrl(args.publicUrl);
    if (!/^[A-Za-z0-9._@-]+$/.test(args.adminUser)) throw new Error(`renderGrafanaIni: adminUser has characters an ini value can't hold safely: ${JSON.stringify(args.adminUser)}`);
    const https = url.protocol === "https:";
    const sections: Record<string, Record<string, string | number | boolean>> = {
        server: {
            protocol: "http",
            http_port: GRAFANA_PORT,
            domain: url.hostname,
            // Grafana's own protocol is http (TLS ends at the NLB), so the public scheme is spelled out.
            root_url: `${url.protocol}//%(domain)s${url.port ? `:${url.port}` : ""}${GRAFANA_SUB_PATH}`,
            serve_from_sub_path: true,
            enforce_domain: false,
            router_logging: false,
            // The edge compresses.
            enable_gzip: false,
        },
        paths: { data: GRAFANA_PATHS.data, logs: GRAFANA_PATHS.logs, plugins: GRAFANA_PATHS.plugins, provisioning: GRAFANA_PATHS.provisioning },
        security: {
            admin_user: args.adminUser,
            disable_gravatar: true,
            cookie_secure: https,
            cookie_samesite: "strict",
            allow_embedding: false,
            // The edge sends CSP and HSTS for /grafana/ (one policy, one place).
            content_security_policy: false,
            strict_transport_security: false,
        },
        users: { allow_sign_up: false, allow_org_create: false },
        "auth.anonymous": { enabled: false },
        analytics: { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false, feedback_links_enabled: false },
        news: { news_feed_enabled: false },
        snapshots: { external_enabled: false },
        // Grafana 12 installs some plugins from grafana.com at start; there is no egress.
        plugins: { preinstall_disabled: true },
        log: { mode: "console", level: "info" },
        "log.console": { format: "json" },
        // Nobody scrapes Grafana, and its /metrics would otherwise be reachable through /grafana/metrics.
        metrics: { enabled: false },
    };
    const body = Object.entries(sections)
        .map(([name, values]) => [`[${name}]`, ...Object.entries(values).map(([k, v]) => `${k} = ${v}`)].join("\n"))
        .join("\n\n");
    return `; Rendered by components/services/grafana/provisioning.ts. Do not edit by hand.\n${body}\n`;
}

function parsePublicUrl(publicUrl: string): URL {
    let url: URL;
    try {
        url = new URL(publicUrl);
    } catch {
        throw new Error(`renderGrafanaIni: publicUrl is not a URL: ${JSON.stringify(publicUrl)}`);
    }
    if (!["http:", "https:"].includes(url.protocol) || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || url.username) {
        throw new Error(`renderGrafanaIni: publicUrl must be a bare http(s) origin such as https://nsip.example.com, got ${JSON.stringify(publicUrl)}`);
    }
    return url;
}
