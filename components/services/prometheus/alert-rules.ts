import { stringify } from "yaml";

/**
 * Prometheus alert rules. Pure: no Pulumi, no I/O.
 *
 * Only metrics our own services and the pinned exporters really export are used (checked by
 * test/dashboards.test.ts). There is no kube-state-metrics, so restarts are seen from inside:
 * a process that restarts gets a new `process_start_time_seconds`, Redis's uptime drops.
 * The api's user-facing traffic is the `/api/...` routes; probes (/health, /ready) would dilute ratios.
 */

/** Every job prometheus-config.ts produces; an absent one means discovery (or the Service) is broken. */
export const EXPECTED_JOBS = ["api", "analyzer", "postgres", "redis", "nginx", "prometheus"] as const;

export interface AlertRulesArgs {
    /** Fraction of /api/ requests answered 5xx, over 5m, sustained 10m (e.g. 0.05). */
    apiErrorRatioThreshold: number;
    /** p95 latency of /api/ requests in seconds, over 5m, sustained 10m. */
    apiLatencyP95Seconds: number;
    /** Restarts of one process within 15m beyond which it is flapping. Default 2. */
    restartsPer15m?: number;
    /** Redis used/max memory ratio. Default 0.9. */
    redisMemoryRatio?: number;
    /** With backups on: the CronJob kube-state-metrics reports, and the age its last success may reach. */
    backup?: { cronJob: string; maxAgeSeconds: number };
}

interface AlertRule {
    alert: string;
    expr: string;
    for?: string;
    labels: { severity: "critical" | "warning"; job?: string };
    annotations: { summary: string; description: string };
}

const apiTraffic = `job="api", route=~"/api/.*"`;

export function renderAlertRules(args: AlertRulesArgs): string {
    validate(args);
    const restarts = args.restartsPer15m ?? 2;
    const redisRatio = args.redisMemoryRatio ?? 0.9;

    const availability: AlertRule[] = [
        {
            alert: "TargetDown",
            expr: "up == 0",
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
                summary: "{{ $labels.job }} target {{ $labels.instance }} is down",
                description: "Prometheus has failed to scrape {{ $labels.job }} at {{ $labels.instance }} (pod {{ $labels.pod }}) for 5 minutes.",
            },
        },
        ...EXPECTED_JOBS.map(
            (job): AlertRule => ({
                alert: "ScrapeJobMissing",
                expr: `absent(up{job="${job}"})`,
                for: "10m",
                // absent() already carries job; naming it here too keeps the six rules distinct for promtool's lint.
                labels: { severity: "critical", job },
                annotations: {
                    summary: `No ${job} targets are being scraped`,
                    description: `Service discovery finds no ${job} endpoint with a port named "metrics": the Service, its label app.kubernetes.io/name or Prometheus's access to the API is broken.`,
                },
            }),
        ),
        {
            alert: "PodRestarting",
            expr: [`changes(process_start_time_seconds[15m]) > ${restarts}`, `or`, `resets(redis_uptime_in_seconds[15m]) > ${restarts}`].join("\n"),
            labels: { severity: "warning" },
            annotations: {
                summary: "{{ $labels.job }} in {{ $labels.pod }} restarted {{ $value }} times in 15 minutes",
                description: "A process behind {{ $labels.instance }} keeps restarting (crash loop or OOM kill): check the container's last state and logs.",
            },
        },
        {
            alert: "PostgresDown",
            expr: "pg_up == 0",
            for: "2m",
            labels: { severity: "critical" },
            annotations: {
                summary: "PostgreSQL is unreachable from its exporter in {{ $labels.pod }}",
                description: "postgres_exporter has not been able to connect to PostgreSQL for 2 minutes; the api cannot store or read analyses.",
            },
        },
        {
            alert: "RedisDown",
            expr: "redis_up == 0",
            for: "2m",
            labels: { severity: "critical" },
            annotations: {
                summary: "Redis is unreachable from its exporter in {{ $labels.pod }}",
                description: "redis_exporter has not been able to reach Redis for 2 minutes; the api runs without its cache.",
            },
        },
        {
            alert: "EdgeNginxDown",
            expr: "nginx_up == 0",
            for: "2m",
            labels: { severity: "critical" },
            annotations: {
                summary: "The edge nginx in {{ $labels.pod }} does not answer its stub_status",
                description: "nginx-prometheus-exporter cannot read stub_status on 127.0.0.1 for 2 minutes: the edge proxy in that pod is down.",
            },
        },
    ];

    const api: AlertRule[] = [
        {
            alert: "ApiHighErrorRatio",
            expr: [
                `sum(rate(http_request_duration_seconds_count{${apiTraffic}, status_code=~"5.."}[5m]))`,
                `/`,
                `sum(rate(http_request_duration_seconds_count{${apiTraffic}}[5m]))`,
                `> ${args.apiErrorRatioThreshold}`,
            ].join("\n"),
            for: "10m",
            labels: { severity: "critical" },
            annotations: {
                summary: "{{ $value | humanizePercentage }} of api requests fail with 5xx",
                description: `More than ${percent(args.apiErrorRatioThreshold)} of /api/ requests have been answered with a 5xx status for 10 minutes.`,
            },
        },
        {
            alert: "ApiHighLatencyP95",
            expr: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${apiTraffic}}[5m]))) > ${args.apiLatencyP95Seconds}`,
            for: "10m",
            labels: { severity: "warning" },
            annotations: {
                summary: "api p95 latency is {{ $value | humanizeDuration }}",
                description: `The 95th percentile of /api/ request durations has been above ${args.apiLatencyP95Seconds}s for 10 minutes.`,
            },
        },
    ];

    const capacity: AlertRule[] = [
        {
            alert: "RedisMemoryNearLimit",
            // maxmemory 0 means "no limit": the filter drops those series instead of dividing by zero.
            expr: `redis_memory_used_bytes / (redis_memory_max_bytes > 0) > ${redisRatio}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "Redis uses {{ $value | humanizePercentage }} of its maxmemory",
                description: `Redis in {{ $labels.pod }} has used more than ${percent(redisRatio)} of maxmemory for 5 minutes; allkeys-lru is evicting cache entries.`,
            },
        },
    ];

    const groups = [
        { name: "nsip-availability", rules: availability },
        { name: "nsip-api", rules: api },
        { name: "nsip-capacity", rules: capacity },
        ...(args.backup ? [{ name: "nsip-backups", rules: backupRules(args.backup) }] : []),
    ];
    return "# Rendered by components/services/prometheus/alert-rules.ts. Do not edit by hand.\n" + stringify({ groups }, { lineWidth: 0 });
}

/** Freshness of the PostgreSQL backups, from kube-state-metrics' view of the backup CronJob. */
function backupRules(backup: { cronJob: string; maxAgeSeconds: number }): AlertRule[] {
    const cronJob = `cronjob="${backup.cronJob}"`;
    const allowed = `${Number((backup.maxAgeSeconds / 3600).toFixed(2))}h`;
    return [
        {
            alert: "BackupTooOld",
            expr: `time() - kube_cronjob_status_last_successful_time{${cronJob}} > ${backup.maxAgeSeconds}`,
            labels: { severity: "critical" },
            annotations: {
                summary: "The last successful PostgreSQL backup is {{ $value | humanizeDuration }} old",
                description: `The schedule allows ${allowed} between successful backups (its longest gap plus one run's deadline). Check the ${backup.cronJob} Jobs (ops status, ops logs) and the README's runbook.`,
            },
        },
        {
            alert: "BackupNeverSucceeded",
            expr: `time() - kube_cronjob_created{${cronJob}} > ${backup.maxAgeSeconds}\nunless on (namespace, cronjob)\nkube_cronjob_status_last_successful_time{${cronJob}}`,
            labels: { severity: "critical" },
            annotations: {
                summary: "{{ $labels.cronjob }} has not completed one backup since it was created",
                description: `The CronJob exists for longer than the ${allowed} its schedule allows, and no run has succeeded yet.`,
            },
        },
        {
            alert: "BackupStatusMissing",
            expr: `absent(kube_cronjob_created{${cronJob}})`,
            for: "30m",
            labels: { severity: "warning" },
            annotations: {
                summary: `No status of the ${backup.cronJob} CronJob`,
                description: "kube-state-metrics is down or not scraped, or the CronJob is gone: backup freshness is not watched.",
            },
        },
    ];
}

function percent(ratio: number): string {
    return `${Number((ratio * 100).toFixed(2))}%`;
}

function validate(args: AlertRulesArgs): void {
    const ratios: [string, number | undefined][] = [
        ["apiErrorRatioThreshold", args.apiErrorRatioThreshold],
        ["redisMemoryRatio", args.redisMemoryRatio],
    ];
    for (const [name, value] of ratios) {
        if (value !== undefined && !(value > 0 && value < 1)) throw new Error(`renderAlertRules: ${name} must be between 0 and 1, got ${value}`);
    }
    if (!(args.apiLatencyP95Seconds > 0)) throw new Error(`renderAlertRules: apiLatencyP95Seconds must be positive, got ${args.apiLatencyP95Seconds}`);
    if (args.restartsPer15m !== undefined && !(Number.isInteger(args.restartsPer15m) && args.restartsPer15m >= 0)) {
        throw new Error(`renderAlertRules: restartsPer15m must be an integer >= 0, got ${args.restartsPer15m}`);
    }
}
