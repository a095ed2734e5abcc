import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { EXPECTED_JOBS, renderAlertRules } from "../components/services/prometheus/alert-rules";
import { METRICS_PORT_NAME, renderPrometheusConfig } from "../components/services/prometheus/prometheus-config";

// The rendered prometheus.yml and alert rules, checked by Debian's promtool.

const RULES_DIR = path.join(__dirname, "..", "components", "services", "prometheus");
/** The thresholds alert-rules.test.yml is written for; backups hourly, so 1 h + a 3 h run = 14400 s. */
const TEST_THRESHOLDS = { apiErrorRatioThreshold: 0.05, apiLatencyP95Seconds: 1, backup: { cronJob: "postgres-backup", maxAgeSeconds: 14400 } };

interface RelabelRule {
    source_labels?: string[];
    regex?: string;
    action?: string;
    target_label?: string;
}
interface ScrapeConfig {
    job_name: string;
    static_configs?: { targets: string[] }[];
    kubernetes_sd_configs?: Record<string, unknown>[];
    file_sd_configs?: { files: string[] }[];
    relabel_configs?: RelabelRule[];
}

describe("prometheus config and alert rules", function () {
    // promtool test rules takes seconds alone and far longer on shared cores.
    this.timeout(120_000);
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "prometheus-"));
        fs.writeFileSync(path.join(dir, "alert-rules.yml"), renderAlertRules(TEST_THRESHOLDS));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    function promtool(...args: string[]): { status: number | null; output: string } {
        const result = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
    }

    function renderConfig(): { text: string; config: { global: Record<string, string>; rule_files: string[]; scrape_configs: ScrapeConfig[] } } {
        const text = renderPrometheusConfig({ namespace: "nsip", ruleFiles: ["alert-rules.yml"] });
        return { text, config: parse(text) };
    }

    it("passes promtool check config, rule files included", () => {
        // Debian builds promtool without Kubernetes discovery (client-go is not packaged), so it rejects the
        // kubernetes_sd_configs key itself. Check everything else as rendered, with that one block swapped for
        // file discovery; the block is checked against Prometheus's own SDConfig in the next test.
        const { config } = renderConfig();
        for (const job of config.scrape_configs) {
            if (job.kubernetes_sd_configs) {
                delete job.kubernetes_sd_configs;
                job.file_sd_configs = [{ files: ["targets.json"] }];
            }
        }
        fs.writeFileSync(path.join(dir, "targets.json"), "[]");
        fs.writeFileSync(path.join(dir, "prometheus.yml"), stringify(config));
        const { status, output } = promtool("check", "config", "prometheus.yml");
        assert.equal(status, 0, output);
        assert.match(output, /SUCCESS: 1 rule files found/);
        assert.match(output, /is valid prometheus config file syntax/);
    });

    it("scrapes every 15 s and discovers endpoints in our namespace only, with the fields Prometheus v3.5 accepts", () => {
        const { config } = renderConfig();
        assert.equal(config.global.scrape_interval, "15s");
        assert.equal(config.global.evaluation_interval, "15s");
        assert.deepEqual(config.rule_files, ["alert-rules.yml"]);
        const discovered = config.scrape_configs.filter((c) => c.kubernetes_sd_configs);
        assert.equal(discovered.length, 1);
        // discovery/kubernetes/kubernetes.go at v3.5.5: SDConfig and NamespaceDiscovery yaml fields.
        const sdConfigFields = ["api_server", "role", "kubeconfig_file", "namespaces", "selectors", "attach_metadata"];
        for (const sd of discovered[0].kubernetes_sd_configs!) {
            for (const key of Object.keys(sd)) assert.ok(sdConfigFields.includes(key), `unknown kubernetes_sd_configs field ${key}`);
            assert.deepEqual(sd, { role: "endpoints", namespaces: { names: ["nsip"] } });
        }
    });

    it("relabels with meta labels the endpoints role really sets", () => {
        // discovery/kubernetes/{kubernetes,endpoints,service,pod}.go at v3.5.5: the endpoints role attaches the
        // Service's and the Pod's object metadata (addObjectMetaLabels: <role>_name, <role>_label_<sanitised key>).
        const endpointsRoleLabels = [
            /^__meta_kubernetes_namespace$/,
            /^__meta_kubernetes_endpoint_(port_name|port_protocol|ready|hostname|node_name|address_target_kind|address_target_name)$/,
            /^__meta_kubernetes_service_(name|label_[a-zA-Z0-9_]+)$/,
            /^__meta_kubernetes_pod_(name|label_[a-zA-Z0-9_]+)$/,
        ];
        const { relabel_configs: rules } = renderConfig().config.scrape_configs.find((c) => c.kubernetes_sd_configs)!;
        const used = rules!.flatMap((r) => r.source_labels ?? []);
        assert.ok(used.length > 0);
        for (const label of used) assert.ok(endpointsRoleLabels.some((re) => re.test(label)), `${label} is not set by the endpoints role`);
    });

    it("keeps only ports named metrics and names the job after app.kubernetes.io/name", () => {
        const { relabel_configs: rules } = renderConfig().config.scrape_configs.find((c) => c.kubernetes_sd_configs)!;
        const endpoint = (service: string | undefined, port: string, pod: string) => ({
            __address__: `10.0.0.1:${port === METRICS_PORT_NAME ? 9100 : 3000}`,
            job: "kubernetes-service-endpoints",
            __meta_kubernetes_namespace: "nsip",
            __meta_kubernetes_endpoint_port_name: port,
            __meta_kubernetes_pod_name: pod,
            ...(service ? { __meta_kubernetes_service_label_app_kubernetes_io_name: service } : {}),
        });
        const targets = [
            endpoint("api", "metrics", "api-1"),
            endpoint("api", "http", "api-1"),
            endpoint("postgres", "metrics", "postgres-0"),
            endpoint("postgres", "postgres", "postgres-0"),
            endpoint(undefined, "metrics", "stray-1"),
        ]
            .map((t) => relabel(t, rules!))
            .filter((t) => t !== undefined);
        assert.deepEqual(
            targets.map((t) => ({ job: t.job, namespace: t.namespace, pod: t.pod, address: t.__address__ })),
            [
                { job: "api", namespace: "nsip", pod: "api-1", address: "10.0.0.1:9100" },
                { job: "postgres", namespace: "nsip", pod: "postgres-0", address: "10.0.0.1:9100" },
            ],
        );
    });

    it("scrapes prometheus itself on localhost, giving the six jobs the alerts expect", () => {
        const { config } = renderConfig();
        const self = config.scrape_configs.find((c) => c.job_name === "prometheus");
        assert.deepEqual(self?.static_configs, [{ targets: ["localhost:9090"] }]);
        assert.deepEqual([...EXPECTED_JOBS].sort(), ["analyzer", "api", "nginx", "postgres", "prometheus", "redis"]);
    });

    it("passes promtool check rules", () => {
        const { status, output } = promtool("check", "rules", "alert-rules.yml");
        assert.equal(status, 0, output);
        assert.match(output, /SUCCESS: 17 rules found/);
    });

    it("has the required alerts with severity, summary and description, thresholds from args", () => {
        const rules = (parse(renderAlertRules({ apiErrorRatioThreshold: 0.02, apiLatencyP95Seconds: 0.75, redisMemoryRatio: 0.8, restartsPer15m: 4 })) as {
            groups: { rules: { alert: string; expr: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[];
        }).groups.flatMap((g) => g.rules);
        const names = new Set(rules.map((r) => r.alert));
        for (const required of ["TargetDown", "ApiHighErrorRatio", "ApiHighLatencyP95", "PodRestarting", "PostgresDown", "RedisMemoryNearLimit"]) {
            assert.ok(names.has(required), required);
        }
        for (const rule of rules) {
            assert.match(rule.labels.severity, /^(critical|warning)$/, rule.alert);
            assert.ok(rule.annotations.summary && rule.annotations.description, rule.alert);
        }
        const expr = (name: string) => rules.find((r) => r.alert === name)!.expr;
        assert.match(expr("ApiHighErrorRatio"), /> 0\.02$/);
        assert.match(expr("ApiHighLatencyP95"), /> 0\.75$/);
        assert.match(expr("RedisMemoryNearLimit"), /> 0\.8$/);
        assert.match(expr("PodRestarting"), /\[15m\]\) > 4/);
        assert.doesNotMatch(rules.map((r) => r.expr).join("\n"), /kube_/, "without backups, no kube-state-metrics series");
        assert.throws(() => renderAlertRules({ apiErrorRatioThreshold: 5, apiLatencyP95Seconds: 1 }), /apiErrorRatioThreshold must be between 0 and 1/);
    });

    it("passes promtool test rules: every alert fires on bad series and stays silent on healthy ones", () => {
        fs.copyFileSync(path.join(RULES_DIR, "alert-rules.test.yml"), path.join(dir, "alert-rules.test.yml"));
        const { status, output } = promtool("test", "rules", "alert-rules.test.yml");
        assert.equal(status, 0, output);
        assert.match(output, /SUCCESS/);

        const tested = new Set(
            (parse(fs.readFileSync(path.join(dir, "alert-rules.test.yml"), "utf8")) as { tests: { alert_rule_test: { alertname: string }[] }[] }).tests.flatMap((t) =>
                t.alert_rule_test.map((a) => a.alertname),
            ),
        );
        const rendered = (parse(fs.readFileSync(path.join(dir, "alert-rules.yml"), "utf8")) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) =>
            g.rules.map((r) => r.alert),
        );
        assert.deepEqual([...new Set(rendered)].filter((a) => !tested.has(a)), [], "every alert has a unit test");
    });

    it("fails promtool test rules when an expectation is wrong (the unit tests can fail)", () => {
        const original = fs.readFileSync(path.join(RULES_DIR, "alert-rules.test.yml"), "utf8");
        const wrong = original.replace("exp_labels: { severity: critical, job: postgres,", "exp_labels: { severity: warning, job: postgres,");
        assert.notEqual(wrong, original);
        fs.writeFileSync(path.join(dir, "alert-rules.test.yml"), wrong);
        const { status, output } = promtool("test", "rules", "alert-rules.test.yml");
        assert.notEqual(status, 0);
        assert.match(output, /FAILED/);
        assert.match(output, /PostgresDown/);
    });

    it("fails promtool test rules when a threshold no longer matches the series", () => {
        fs.writeFileSync(path.join(dir, "alert-rules.yml"), renderAlertRules({ ...TEST_THRESHOLDS, apiErrorRatioThreshold: 0.1 }));
        fs.copyFileSync(path.join(RULES_DIR, "alert-rules.test.yml"), path.join(dir, "alert-rules.test.yml"));
        const { status, output } = promtool("test", "rules", "alert-rules.test.yml");
        assert.notEqual(status, 0);
        assert.match(output, /ApiHighErrorRatio/);
    });
});

/** Prometheus's relabelling for the two actions we use: keep, and replace with the default regex and replacement. */
function relabel(labels: Record<string, string>, rules: RelabelRule[]): Record<string, string> | undefined {
    const result = { ...labels };
    for (const rule of rules) {
        const value = (rule.source_labels ?? []).map((l) => result[l] ?? "").join(";");
        const matches = new RegExp(`^(?:${rule.regex ?? "(.*)"})$`).exec(value);
        const action = rule.action ?? "replace";
        if (action === "keep") {
            if (!matches) return undefined;
        } else if (action === "replace") {
            if (matches && rule.target_label) {
                const replaced = matches[1] ?? "";
                if (replaced === "") delete result[rule.target_label];
                else result[rule.target_label] = replaced;
            }
        } else {
            throw new Error(`relabel action ${action} is not modelled here`);
        }
    }
    return result;
}
