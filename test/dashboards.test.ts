import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { parse } from "yaml";
import {
    GRAFANA_DASHBOARDS,
    GRAFANA_PATHS,
    PROMETHEUS_DATASOURCE_UID,
    renderGrafanaDashboardProviders,
    renderGrafanaDatasources,
    renderGrafanaIni,
} from "../components/services/grafana/provisioning";
import { renderAlertRules } from "../components/services/prometheus/alert-rules";
import { thirdPartyImages } from "../components/services/third-party-images";

// Every query in the Grafana dashboards and alert rules names only metrics that our services and the
// pinned exporters really export. Queries are parsed with Prometheus's own lezer grammar.

const ROOT = path.join(__dirname, "..");
const METRIC_LISTS = [
    "apps/api/exported-metrics.txt",
    "apps/analyzer/exported-metrics.txt",
    "components/services/postgres/exporter-metrics.txt",
    "components/services/redis/exporter-metrics.txt",
    "components/services/nginx/exporter-metrics.txt",
    "components/services/kube-state-metrics/exported-metrics.txt",
];
/** Made by Prometheus itself: scrape bookkeeping, its own metrics, and the series its alert rules write. */
const PROMETHEUS_SELF = /^(up|scrape_[a-z_]+|prometheus_[a-zA-Z0-9_]+|ALERTS|ALERTS_FOR_STATE)$/;

function readFamilies(file: string): string[] {
    return fs
        .readFileSync(path.join(ROOT, file), "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"));
}

const families = new Set(METRIC_LISTS.flatMap(readFamilies));

/** A family's samples: histograms and summaries add _bucket/_sum/_count; OpenMetrics-style counters add _total. */
function isExported(name: string): boolean {
    if (families.has(name) || PROMETHEUS_SELF.test(name)) return true;
    const suffix = /_(bucket|sum|count|total)$/.exec(name);
    return suffix !== null && families.has(name.slice(0, -suffix[0].length));
}

/** Metric names a PromQL expression selects, from the syntax tree. Throws on a syntax error. */
function metricNames(expr: string): string[] {
    const tree = parser.parse(expr);
    const names: string[] = [];
    const text = (from: number, to: number) => expr.slice(from, to);
    tree.iterate({
        enter(node) {
            if (node.type.isError) throw new Error(`PromQL syntax error at ${node.from} in: ${expr}`);
            if (node.name !== "VectorSelector") return;
            const identifier = node.node.getChild("Identifier");
            if (identifier) {
                names.push(text(identifier.from, identifier.to));
                return;
            }
            // {__name__="x"} selects by name through a matcher.
            const byName = node.node
                .getChild("LabelMatchers")
                ?.getChildren("UnquotedLabelMatcher")
                .find((m) => text(m.getChild("LabelName")!.from, m.getChild("LabelName")!.to) === "__name__");
            const literal = byName?.getChild("StringLiteral");
            if (!literal || !byName?.getChild("MatchOp")?.getChild("EqlSingle")) throw new Error(`selector without a fixed metric name in: ${expr}`);
            names.push(JSON.parse(text(literal.from, literal.to)) as string);
        },
    });
    return names;
}

function unexported(exprs: string[]): string[] {
    return [...new Set(exprs.flatMap(metricNames))].filter((name) => !isExported(name)).sort();
}

interface Panel {
    id: number;
    type: string;
    title: string;
    datasource?: { type: string; uid: string };
    targets?: { refId: string; expr: string; datasource?: { type: string; uid: string } }[];
    panels?: Panel[];
}
interface Dashboard {
    uid: string;
    title: string;
    schemaVersion: number;
    panels: Panel[];
}

function loadDashboard(source: string): Dashboard {
    return JSON.parse(fs.readFileSync(source, "utf8")) as Dashboard;
}

function allPanels(panels: Panel[]): Panel[] {
    return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

describe("dashboards and alert rules name only exported metrics", () => {
    it("reads every metric list, and each exporter list names the pinned exporter version", () => {
        for (const file of METRIC_LISTS) assert.ok(readFamilies(file).length > 0, file);
        const versionOf = (image: string) => image.slice(image.lastIndexOf(":") + 1).replace(/^v/, "");
        const headers: [string, string][] = [
            ["components/services/postgres/exporter-metrics.txt", thirdPartyImages.postgresExporter],
            ["components/services/redis/exporter-metrics.txt", thirdPartyImages.redisExporter],
            ["components/services/nginx/exporter-metrics.txt", thirdPartyImages.nginxExporter],
        ];
        for (const [file, image] of headers) {
            const header = fs.readFileSync(path.join(ROOT, file), "utf8").split("\n")[0];
            assert.ok(header.includes(image), `${file} header names ${image}`);
            assert.match(header, new RegExp(`v?${versionOf(image).replace(/\./g, "\\.")}`));
        }
    });

    it("extracts metric names from the syntax tree, not from label values or functions", () => {
        assert.deepEqual(metricNames('sum by (le) (rate(http_request_duration_seconds_bucket{job="api", route=~"/metrics"}[5m]))'), ["http_request_duration_seconds_bucket"]);
        assert.deepEqual(metricNames("count(up == 0) or vector(0)"), ["up"]);
        assert.deepEqual(metricNames('{__name__="pg_up"} == 0'), ["pg_up"]);
        assert.throws(() => metricNames("rate(pg_up[5m"), /syntax error/);
        assert.throws(() => metricNames('{__name__=~"pg_.*"}'), /without a fixed metric name/);
    });

    it("rejects a bogus metric, and expands only real families", () => {
        assert.deepEqual(unexported(['sum(rate(nsip_api_bogus_total{job="api"}[5m]))', "pg_up", "redis_memory_used_bytes"]), ["nsip_api_bogus_total"]);
        assert.ok(isExported("http_request_duration_seconds_bucket"));
        assert.ok(isExported("nsip_analyzer_request_duration_seconds_count"));
        assert.ok(!isExported("nsip_api_cache_lookups_bucket"));
        assert.ok(!isExported("kube_pod_container_status_restarts_total"), "there is no kube-state-metrics");
    });

    it("includes the three required dashboards (system overview, API performance, database statistics)", () => {
        const titles = GRAFANA_DASHBOARDS.map((d) => d.title);
        for (const required of ["System overview", "API performance", "Database statistics"]) {
            assert.ok(titles.some((t) => t.endsWith(required)), required);
        }
    });

    for (const entry of GRAFANA_DASHBOARDS) {
        describe(`${entry.title} (${path.relative(ROOT, entry.source)})`, () => {
            const dashboard = loadDashboard(entry.source);
            const panels = allPanels(dashboard.panels);
            const queryPanels = panels.filter((p) => p.type !== "row");

            it("is a provisionable dashboard with the declared uid and title", () => {
                assert.equal(dashboard.uid, entry.uid);
                assert.equal(dashboard.title, entry.title);
                assert.ok(dashboard.schemaVersion >= 39, `schemaVersion ${dashboard.schemaVersion}`);
                assert.ok(queryPanels.length > 0);
                assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, "panel ids are unique");
            });

            it("queries the provisioned Prometheus datasource by uid in every panel and target", () => {
                for (const panel of queryPanels) {
                    assert.deepEqual(panel.datasource, { type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID }, panel.title);
                    assert.ok((panel.targets ?? []).length > 0, `${panel.title} has queries`);
                    for (const target of panel.targets!) assert.equal(target.datasource?.uid, PROMETHEUS_DATASOURCE_UID, `${panel.title} ${target.refId}`);
                }
            });

            it("names only exported metrics in every query", () => {
                const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
                assert.ok(exprs.length > 0);
                assert.deepEqual(unexported(exprs), []);
            });
        });
    }

    it("names only exported metrics in every alert rule", () => {
        const rules = parse(renderAlertRules({ apiErrorRatioThreshold: 0.05, apiLatencyP95Seconds: 1, backup: { cronJob: "postgres-backup", maxAgeSeconds: 14400 } })) as { groups: { rules: { expr: string }[] }[] };
        const exprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
        assert.ok(exprs.length >= 6);
        assert.deepEqual(unexported(exprs), []);
    });
});

describe("Grafana provisioning", () => {
    it("provisions one default Prometheus datasource with the uid the dashboards use", () => {
        const config = parse(renderGrafanaDatasources({ prometheusUrl: "http://prometheus.nsip.svc.cluster.local:9090" })) as {
            apiVersion: number;
            datasources: Record<string, unknown>[];
        };
        assert.equal(config.apiVersion, 1);
        assert.equal(config.datasources.length, 1);
        assert.deepEqual(
            { ...config.datasources[0], jsonData: undefined },
            { name: "Prometheus", uid: PROMETHEUS_DATASOURCE_UID, type: "prometheus", access: "proxy", url: "http://prometheus.nsip.svc.cluster.local:9090", isDefault: true, editable: false, jsonData: undefined },
        );
        assert.throws(() => renderGrafanaDatasources({ prometheusUrl: "prometheus:9090\nfoo: bar" }), /prometheusUrl/);
    });

    it("points the dashboard provider at the directory where the dashboards are mounted, under their own names", () => {
        const config = parse(renderGrafanaDashboardProviders()) as { providers: { type: string; options: { path: string }; allowUiUpdates: boolean }[] };
        assert.equal(config.providers.length, 1);
        assert.equal(config.providers[0].type, "file");
        assert.equal(config.providers[0].options.path, GRAFANA_PATHS.dashboards);
        assert.equal(config.providers[0].allowUiUpdates, false);

        const files = GRAFANA_DASHBOARDS.map((d) => d.file);
        assert.equal(new Set(files).size, files.length, "ConfigMap keys are unique");
        for (const file of files) assert.match(file, /^[-._a-zA-Z0-9]+\.json$/, "a valid ConfigMap key");
        assert.equal(new Set(GRAFANA_DASHBOARDS.map((d) => d.uid)).size, GRAFANA_DASHBOARDS.length, "dashboard uids are unique");
    });

    function ini(text: string): Record<string, Record<string, string>> {
        const sections: Record<string, Record<string, string>> = {};
        let current: Record<string, string> | undefined;
        for (const line of text.split("\n")) {
            if (line.trim() === "" || line.startsWith(";") || line.startsWith("#")) continue;
            const header = /^\[([^\]]+)\]$/.exec(line);
            if (header) {
                current = sections[header[1]] = {};
                continue;
            }
            const kv = /^([a-z_]+) = (.*)$/.exec(line);
            assert.ok(kv && current, `not an ini line: ${line}`);
            current[kv[1]] = kv[2];
        }
        return sections;
    }

    it("serves Grafana under /grafana/ with sign-up and anonymous access off and nothing phoning home", () => {
        const cfg = ini(renderGrafanaIni({ publicUrl: "https://nsip.example.com", adminUser: "admin" }));
        assert.equal(cfg.server.domain, "nsip.example.com");
        assert.equal(cfg.server.root_url, "https://%(domain)s/grafana/");
        assert.equal(cfg.server.serve_from_sub_path, "true");
        assert.equal(cfg.server.http_port, "3000");
        assert.equal(cfg["auth.anonymous"].enabled, "false");
        assert.equal(cfg.users.allow_sign_up, "false");
        assert.equal(cfg.security.admin_user, "admin");
        assert.equal(cfg.security.cookie_secure, "true");
        assert.equal(cfg.analytics.reporting_enabled, "false");
        assert.equal(cfg.analytics.check_for_updates, "false");
        assert.equal(cfg.analytics.check_for_plugin_updates, "false");
        assert.equal(cfg.log.mode, "console");
        assert.equal(cfg["log.console"].format, "json");
        assert.equal(cfg.paths.data, "/var/lib/grafana");
        assert.equal(cfg.metrics.enabled, "false");
        const keys = Object.values(cfg).flatMap((s) => Object.keys(s));
        assert.ok(!keys.some((k) => /password|secret_key/.test(k)), "secrets come from the environment, never the ini");
    });

    it("keeps the dev URL's scheme and port, and rejects URLs that are not bare origins", () => {
        const cfg = ini(renderGrafanaIni({ publicUrl: "http://127.0.0.1:8080", adminUser: "admin" }));
        assert.equal(cfg.server.root_url, "http://%(domain)s:8080/grafana/");
        assert.equal(cfg.security.cookie_secure, "false");
        assert.throws(() => renderGrafanaIni({ publicUrl: "https://nsip.example.com/grafana", adminUser: "admin" }), /bare http\(s\) origin/);
        assert.throws(() => renderGrafanaIni({ publicUrl: "https://x", adminUser: "admin\n[auth.anonymous]" }), /adminUser/);
    });
});
