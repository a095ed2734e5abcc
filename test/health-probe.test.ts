import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { healthProbeTargets, probeProgram } from "../components/services/health-probe";
import { ports } from "../components/services/ports";
import { trafficTable } from "../components/services/traffic";
import type { WorkloadSpec } from "../components/workload/spec";
import { parseProbeReport } from "../tools/ops/health";

/** The health probe's program, run as the template runs it (`node -e`), against real HTTP servers on loopback. */
describe("the health probe's program", function () {
    this.timeout(60_000);
    let server: http.Server;
    let base: string;
    let dir: string;
    const hanging: http.ServerResponse[] = [];

    before(async function () {
        server = http.createServer((request, response) => {
            if (request.url === "/ready") response.writeHead(200).end("ok");
            else if (request.url === "/down") response.writeHead(503, { "content-type": "text/plain" }).end("  database\n  unreachable  ");
            else if (request.url === "/moved") response.writeHead(302, { location: "/nowhere" }).end();
            else if (request.url === "/slow") hanging.push(response);
            else response.writeHead(404).end("no");
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-health-probe-"));
    });

    after(async function () {
        for (const response of hanging) response.destroy();
        await new Promise((resolve) => server.close(resolve));
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const run = (env: Record<string, string>) =>
        new Promise<{ code: number; stdout: string; stderr: string; result: string }>((resolve) => {
            const resultFile = path.join(dir, `result-${Math.random().toString(16).slice(2)}`);
            execFile(process.execPath, ["-e", probeProgram()], { env: { PATH: process.env["PATH"] ?? "", RESULT_FILE: resultFile, ...env } }, (error, stdout, stderr) => {
                const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
                resolve({ code, stdout, stderr, result: fs.existsSync(resultFile) ? fs.readFileSync(resultFile, "utf8") : "" });
            });
        });

    it("exits 0 with every target healthy, the report on stdout and in the result file", async function () {
        const probe = await run({ HEALTH_PROBE_TARGETS: JSON.stringify({ api: `${base}/ready`, edge: `${base}/moved` }) });
        assert.equal(probe.code, 0, probe.stderr);
        assert.equal(probe.stdout, `${probe.result}\n`);
        const report = parseProbeReport(probe.result);
        assert.deepEqual(Object.keys(report), ["api", "edge"]);
        assert.deepEqual({ ...report["api"], ms: 0 }, { url: `${base}/ready`, ok: true, status: 200, ms: 0 });
        assert.equal(report["edge"]?.status, 302, "a redirect is not followed, and healthy as the kubelet counts it");
        assert.equal(report["edge"]?.ok, true);
    });

    it("exits 1 when a target fails, naming the status, the start of the body, or the transport error", async function () {
        const closed = http.createServer();
        await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
        const refused = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/ready`;
        await new Promise((resolve) => closed.close(resolve));
        const probe = await run({
            HEALTH_PROBE_TARGETS: JSON.stringify({ api: `${base}/ready`, grafana: `${base}/down`, frontend: refused, prometheus: `${base}/slow` }),
            HEALTH_PROBE_TIMEOUT_MS: "500",
        });
        assert.equal(probe.code, 1, probe.stderr);
        const report = parseProbeReport(probe.result);
        assert.equal(report["api"]?.ok, true);
        assert.deepEqual([report["grafana"]?.ok, report["grafana"]?.status, report["grafana"]?.detail], [false, 503, "database unreachable"]);
        assert.equal(report["frontend"]?.ok, false);
        assert.equal(report["frontend"]?.status, undefined);
        assert.match(report["frontend"]?.detail ?? "", /ECONNREFUSED/);
        assert.deepEqual([report["prometheus"]?.ok, report["prometheus"]?.detail], [false, "no answer within 500 ms"]);
    });

    it("exits 2 and probes nothing when the targets or the timeout are unusable", async function () {
        for (const [env, message] of [
            [{}, /HEALTH_PROBE_TARGETS must be a JSON object/],
            [{ HEALTH_PROBE_TARGETS: "{}" }, /must be a non-empty JSON object/],
            [{ HEALTH_PROBE_TARGETS: '{"api":"ftp://x/ready"}' }, /HEALTH_PROBE_TARGETS\.api must be an http\(s\) URL, not "ftp:\/\/x\/ready"/],
            [{ HEALTH_PROBE_TARGETS: `{"api":"${base}/ready"}`, HEALTH_PROBE_TIMEOUT_MS: "soon" }, /HEALTH_PROBE_TIMEOUT_MS must be a positive integer/],
        ] as const) {
            const probe = await run(env);
            assert.equal(probe.code, 2, JSON.stringify(env));
            assert.match(probe.stderr, message);
            assert.equal(probe.result, "", "no report");
        }
    });
});

describe("the health probe's targets", function () {
    const spec = (name: string, path: string, port: number, servicePorts = [{ name: "http", port, targetPort: port }]): WorkloadSpec =>
        ({
            name,
            containers: [{ name, probes: { readiness: { httpGet: { path, port } } } }],
            servicePorts,
        }) as unknown as WorkloadSpec;
    const workloads = {
        api: { spec: spec("api", "/ready", ports.api.http), services: [{ name: "api", ports: [{ port: ports.api.http, targetPort: ports.api.http }] }] },
        analyzer: { spec: spec("analyzer", "/ready", ports.analyzer.http), services: [{ name: "analyzer", ports: [{ port: ports.analyzer.http, targetPort: ports.analyzer.http }] }] },
        frontend: { spec: spec("frontend", "/healthz", ports.frontend.http), services: [{ name: "frontend", ports: [{ port: ports.frontend.http, targetPort: ports.frontend.http }] }] },
        grafana: { spec: spec("grafana", "/api/health", ports.grafana.http), services: [{ name: "grafana", ports: [{ port: ports.grafana.http, targetPort: ports.grafana.http }] }] },
        prometheus: { spec: spec("prometheus", "/-/ready", ports.prometheus.http), services: [{ name: "prometheus", ports: [{ port: ports.prometheus.http, targetPort: ports.prometheus.http }] }] },
        nginx: {
            spec: spec("nginx", "/healthz", ports.nginx.http),
            services: [
                { name: "nginx", ports: [{ port: ports.nginx.metrics, targetPort: ports.nginx.metrics }] },
                { name: "nginx-public", ports: [{ port: 80, targetPort: ports.nginx.http }] },
            ],
        },
    };

    it("GETs each readiness endpoint of the table's health-probe rows through a Service routing to it", function () {
        assert.deepEqual(healthProbeTargets(trafficTable, workloads, "ns"), {
            api: "http://api.ns.svc.cluster.local:3000/ready",
            analyzer: "http://analyzer.ns.svc.cluster.local:5000/ready",
            frontend: "http://frontend.ns.svc.cluster.local:8080/healthz",
            grafana: "http://grafana.ns.svc.cluster.local:3000/api/health",
            prometheus: "http://prometheus.ns.svc.cluster.local:9090/-/ready",
            "nginx-public": "http://nginx-public.ns.svc.cluster.local:80/healthz",
        });
    });

    it("refuses a row that opens more or other than the readiness port, or a target without one", function () {
        const throws = (table: typeof trafficTable, pattern: RegExp, input: Record<string, { spec: WorkloadSpec; services: { name: string; ports: { port: number; targetPort: number }[] }[] }> = workloads) =>
            assert.throws(() => healthProbeTargets(table, input, "ns"), pattern);
        throws([{ from: "health-probe", to: "api", ports: [ports.api.http, ports.api.metrics] }], /health-probe -> api must allow exactly its readiness port 3000, not 3000,9100/);
        throws([{ from: "health-probe", to: "api", ports: [ports.api.metrics] }], /exactly its readiness port 3000, not 9100/);
        throws([{ from: "health-probe", to: "redis", ports: [6379] }], /health-probe -> redis: no workload redis/);
        const noHttp = { redis: { spec: { name: "redis", containers: [{ name: "redis", probes: { readiness: { exec: { command: ["true"] } } } }] } as unknown as WorkloadSpec, services: [] } };
        throws([{ from: "health-probe", to: "redis", ports: [6379] }], /its container redis has no HTTP readiness probe/, noHttp);
        const unrouted = { api: { ...workloads.api, services: [{ name: "api", ports: [{ port: 9100, targetPort: 9100 }] }] } };
        throws([{ from: "health-probe", to: "api", ports: [3000] }], /no Service routes to its readiness port 3000/, unrouted);
    });
});
