import { stringify } from "yaml";

/**
 * prometheus.yml. Pure: no Pulumi, no I/O.
 *
 * Targets come from Kubernetes service discovery (role `endpoints`) in our namespace only: every
 * Service port named `metrics` is scraped, and the `app.kubernetes.io/name` label of its Service
 * becomes `job`. So one Service port named `metrics` per workload gives the jobs api, analyzer,
 * postgres, redis and nginx; prometheus scrapes itself on localhost (its own Service port must
 * therefore not be named `metrics`, or it would be scraped twice).
 */

/** The Service port name that marks a scrape target. */
export const METRICS_PORT_NAME = "metrics";
export const PROMETHEUS_PORT = 9090;

/** What service discovery needs from the API server, for a namespaced Role (and nothing else). */
export const PROMETHEUS_DISCOVERY_RULES = [{ apiGroups: [""], resources: ["services", "endpoints", "pods"], verbs: ["get", "list", "watch"] }] as const;

export interface PrometheusConfigArgs {
    /** The only namespace discovered. */
    namespace: string;
    /** Rule files as Prometheus sees them (absolute in the pod; relative paths resolve against the config file). */
    ruleFiles: string[];
    /** Default 15. Rule evaluation uses the same interval. */
    scrapeIntervalSeconds?: number;
}

export function renderPrometheusConfig(args: PrometheusConfigArgs): string {
    const interval = `${args.scrapeIntervalSeconds ?? 15}s`;
    const config = {
        global: {
            scrape_interval: interval,
            evaluation_interval: interval,
            scrape_timeout: "10s",
        },
        rule_files: args.ruleFiles,
        scrape_configs: [
            {
                job_name: "prometheus",
                static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }],
            },
            {
                // Replaced per target by the relabelling below; this is only the discovery's own name.
                job_name: "kubernetes-service-endpoints",
                kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: [args.namespace] } }],
                relabel_configs: [
                    { source_labels: ["__meta_kubernetes_endpoint_port_name"], regex: METRICS_PORT_NAME, action: "keep" },
                    // A Service without the name label would make an unnamed job: drop it rather than guess.
                    { source_labels: ["__meta_kubernetes_service_label_app_kubernetes_io_name"], regex: ".+", action: "keep" },
                    { source_labels: ["__meta_kubernetes_service_label_app_kubernetes_io_name"], target_label: "job" },
                    { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
                    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
                ],
            },
        ],
    };
    return "# Rendered by components/services/prometheus/prometheus-config.ts. Do not edit by hand.\n" + stringify(config);
}
