import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough, Writable } from "stream";
import { KubeObject } from "../../tools/k8s/client";
import { waitFor } from "../../tools/k8s/control-plane";
import { OpsIo } from "../../tools/ops/commands";
import { ExitCode } from "../../tools/ops/errors";
import { runOps } from "../../tools/ops/main";
import { REPO_ROOT } from "../../tools/ops/stack";
import { engineBinaries } from "../../tools/pulumi/engine";
import { freePorts } from "../../tools/testenv";
import { finishPod, READY_TIMEOUT_MS, StackOnControlPlane, waitForJob, waitForWorkloads } from "./support";

/**
 * `ops` against a deployed render on the real control plane: the commands run in-process (runOps, the
 * same function `npm run ops` calls) with the stack's outputs in a file, the way `--outputs` reads them.
 * kwok plays the kubelets' API: every container's log is ControlPlane.podLogFile, exec runs on this host.
 */

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

function captured(): { stream: Writable; text: () => string } {
    const chunks: Buffer[] = [];
    const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
            chunks.push(Buffer.from(chunk));
            done();
        },
    });
    return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

async function ops(argv: string[], options: { now?: Date; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
    const stdout = captured();
    const stderr = captured();
    const stdin = new PassThrough();
    stdin.end();
    const io: OpsIo = { stdout: stdout.stream, stderr: stderr.stream, stdin, interactive: false, env: options.env ?? process.env, cwd: options.cwd ?? REPO_ROOT };
    const now = options.now;
    const code = await runOps(argv, io, now === undefined ? undefined : () => now);
    return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function imagesOf(deployed: StackOnControlPlane): Record<string, string> {
    const images: Record<string, string> = {};
    for (const manifest of Object.values(deployed.rendered.manifests)) {
        const object = manifest as { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers?: { name: string; image: string }[] } } } };
        const name = object.metadata?.name ?? "";
        if (object.kind === "Deployment" && ["api", "frontend", "analyzer"].includes(name)) {
            const container = object.spec?.template?.spec?.containers?.find((candidate) => candidate.name === name);
            assert.ok(container, `the ${name} Deployment has its container`);
            images[name] = container.image;
        }
    }
    assert.deepEqual(Object.keys(images).sort(), ["analyzer", "api", "frontend"]);
    return images;
}

/** Registers the ops tests on a deployed dev render; `deployed` is read when the tests run. */
export function describeOps(deployed: () => StackOnControlPlane): void {
    describe("ops against the deployed stack", function () {
        this.timeout(READY_TIMEOUT_MS * 2);
        let dir: string;
        let outputsFile: string;
        const stackArgs = () => ["--outputs", outputsFile];

        before(function () {
            const { plane, namespace } = deployed();
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-ops-"));
            outputsFile = path.join(dir, "outputs.json");
            const outputs = { namespace, kubeconfig: fs.readFileSync(plane.kubeconfigPath, "utf8"), imageDigests: imagesOf(deployed()) };
            fs.writeFileSync(outputsFile, JSON.stringify(outputs));
        });

        after(function () {
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("status: every workload rolled out, HPAs, claims and the backup CronJob's last success", async function () {
            const { plane, namespace } = deployed();
            await waitForWorkloads(plane.client, namespace);
            const run = await ops(["status", ...stackArgs()]);
            assert.equal(run.code, ExitCode.Ok, run.stderr + run.stdout);
            for (const workload of ["Deployment/api", "Deployment/frontend", "StatefulSet/postgres", "StatefulSet/redis"]) {
                assert.match(run.stdout, new RegExp(`^${workload}\\s+(\\d+)/\\1\\s+\\d+\\s+complete$`, "m"), `${workload} ready and rolled out:\n${run.stdout}`);
            }
            assert.match(run.stdout, /^HPAs: none$/m, "dev scales by hand");
            assert.match(run.stdout, /^postgres-backups\s+Bound\s+\S+\s+unknown \(no kubelet stats\)$/m);

            // The CronJob controller recorded the success of the Job the render suite ran from this CronJob.
            interface CronJob extends KubeObject {
                status?: { lastSuccessfulTime?: string };
            }
            let lastSuccess = "";
            await waitFor("the backup CronJob's lastSuccessfulTime", READY_TIMEOUT_MS, async () => {
                lastSuccess = (await plane.client.get<CronJob>("batch/v1", "CronJob", namespace, "postgres-backup"))?.status?.lastSuccessfulTime ?? "";
                return lastSuccess !== "";
            });
            const last = new Date(lastSuccess);
            const now = new Date(last.getTime() + 2 * 3600_000);
            const fresh = await ops(["status", ...stackArgs()], { now });
            assert.equal(fresh.code, ExitCode.Ok, fresh.stderr);
            assert.match(fresh.stdout, new RegExp(`^last backup: ${last.toISOString().replace(/\./g, "\\.")} \\(2h ago, fresh, allowed 1d3h by schedule "0 3 \\* \\* \\*"\\)$`, "m"));
            const stale = await ops(["status", ...stackArgs()], { now: new Date(now.getTime() + 30 * 86400_000) });
            assert.equal(stale.code, ExitCode.Unhealthy);
            assert.match(stale.stdout, /\(30d2h ago, stale, /);
            assert.match(stale.stderr, /the last backup is too old/);
        });

        it("health: readiness from the EndpointSlices plus the in-cluster probe's verdicts, from a Job of the health-probe template", async function () {
            const { plane, namespace } = deployed();
            const client = plane.client;
            // kwok runs no containers: the probe pods are pinned to a node label no node has, and the test reports their end
            // as the kubelet would after probe.js ran (exit code, report in the termination message).
            const pinned = { "nsip.test/kubelet": "played-by-the-test" };
            await client.call("PATCH", `/apis/batch/v1/namespaces/${namespace}/cronjobs/health-probe`, { spec: { jobTemplate: { spec: { template: { spec: { nodeSelector: pinned } } } } } }, "application/merge-patch+json");
            interface ProbePod extends KubeObject {
                metadata: KubeObject["metadata"] & { labels?: Record<string, string> };
                spec: { containers: { name: string; image: string; env?: { name: string; value?: string }[] }[] };
                status?: { phase?: string };
            }
            const seen: { job: string; targets: Record<string, string> }[] = [];
            /** Plays one probe pod: each target answers what `answer` says; the exit code follows the verdicts, as probe.js's does. */
            const playProbe = async (answer: (service: string) => number) => {
                let pod: ProbePod | undefined;
                const played = (p: ProbePod) => seen.some((s) => s.job === p.metadata.labels?.["batch.kubernetes.io/job-name"]);
                await waitFor(
                    "a pending health-probe pod",
                    READY_TIMEOUT_MS,
                    async () => {
                        pod = (await client.list<ProbePod>("v1", "Pod", namespace, "app.kubernetes.io/name=health-probe")).find((p) => p.status?.phase === "Pending" && !played(p));
                        return pod !== undefined;
                    },
                    300,
                );
                const probePod = pod!;
                const targets = JSON.parse(probePod.spec.containers[0]?.env?.find((e) => e.name === "HEALTH_PROBE_TARGETS")?.value ?? "{}") as Record<string, string>;
                seen.push({ job: probePod.metadata.labels?.["batch.kubernetes.io/job-name"] ?? "", targets });
                const report = Object.fromEntries(
                    Object.entries(targets).map(([service, url]) => {
                        const status = answer(service);
                        return [service, { url, ok: status < 400, status, ...(status < 400 ? {} : { detail: "database is locked" }), ms: 7 }];
                    }),
                );
                const exitCode = Object.values(report).every((verdict) => verdict.ok) ? 0 : 1;
                await finishPod(client, namespace, probePod, exitCode, JSON.stringify(report));
            };
            const rowsOf = (stdout: string) => new Map<string, string>(stdout.trim().split("\n").slice(1).map((line) => [line.split(/\s+/)[0] ?? "", line]));

            const [healthy] = await Promise.all([ops(["health", ...stackArgs()]), playProbe(() => 200)]);
            assert.equal(healthy.code, ExitCode.Ok, healthy.stderr + healthy.stdout);
            const rows = rowsOf(healthy.stdout);
            for (const [service, line] of rows) {
                assert.match(line, /\s(\d+)\/\1 endpoints ready\s/, `${service}: ${line}`);
            }
            assert.deepEqual(Object.keys(seen[0]?.targets ?? {}).sort(), ["analyzer", "api", "frontend", "grafana", "nginx-public", "prometheus"], "the template probes every HTTP service");
            assert.equal(seen[0]?.targets["api"], `http://api.${namespace}.svc.cluster.local:3000/ready`);
            for (const service of ["analyzer", "api", "frontend", "grafana", "nginx-public", "prometheus"]) {
                assert.match(rows.get(service) ?? "", new RegExp(`^${service}\\s+healthy\\s+1/1 endpoints ready\\s+GET /\\S*: HTTP 200 \\(7 ms\\)$`), healthy.stdout);
            }
            assert.match(rows.get("postgres") ?? "", /healthy\s+1\/1 endpoints ready\s+no HTTP health endpoint/, healthy.stdout);
            assert.match(rows.get("redis") ?? "", /no HTTP health endpoint/);
            assert.match(rows.get("nginx") ?? "", /no HTTP health endpoint/, "its in-cluster Service serves metrics only; the public one is probed");

            // The probe Job came from the template (owned by it, marked manual) and is gone once read.
            const job = seen[0]?.job ?? "";
            assert.match(job, /^health-probe-\d{8}t\d{6}z-[0-9a-f]{4}$/);
            await waitFor(`Job ${job} to be deleted`, READY_TIMEOUT_MS, async () => (await client.get("batch/v1", "Job", namespace, job)) === undefined);

            const [sick] = await Promise.all([ops(["health", ...stackArgs()]), playProbe((service) => (service === "grafana" ? 503 : 200))]);
            assert.equal(sick.code, ExitCode.Unhealthy, sick.stderr + sick.stdout);
            const sickRows = rowsOf(sick.stdout);
            assert.match(sickRows.get("grafana") ?? "", /^grafana\s+UNHEALTHY\s+1\/1 endpoints ready\s+GET \/\S*: HTTP 503 database is locked \(7 ms\)$/, sick.stdout);
            assert.match(sickRows.get("api") ?? "", /^api\s+healthy\s/, sick.stdout);
            await waitFor(`Job ${seen[1]?.job} to be deleted`, READY_TIMEOUT_MS, async () => (await client.get("batch/v1", "Job", namespace, seen[1]?.job ?? "")) === undefined);
        });

        it("version: the deployed images match the stack's imageDigests; a different digest is drift (exit 6)", async function () {
            const matching = await ops(["version", ...stackArgs()]);
            assert.equal(matching.code, ExitCode.Ok, matching.stderr + matching.stdout);
            for (const name of ["api", "frontend", "analyzer"]) {
                assert.match(matching.stdout, new RegExp(`^Deployment/${name}\\s+\\S+\\s+\\S+@sha256:[0-9a-f]{64}\\s+.*matches$`, "m"), matching.stdout);
            }
            assert.match(matching.stdout, /^StatefulSet\/postgres\s+\S+\s+\S+.*third-party$/m);

            const outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8")) as { imageDigests: Record<string, string> };
            const drifted = path.join(dir, "drifted.json");
            fs.writeFileSync(drifted, JSON.stringify({ ...outputs, imageDigests: { ...outputs.imageDigests, api: `registry.example/nsip/api@sha256:${"0".repeat(64)}` } }));
            const drift = await ops(["version", "--outputs", drifted]);
            assert.equal(drift.code, ExitCode.Drift);
            assert.match(drift.stdout, /^Deployment\/api\s+.*DRIFT$/m);
            assert.match(drift.stdout, /^Deployment\/frontend\s+.*matches$/m);
            assert.match(drift.stderr, /Deployment\/api differ from the stack's imageDigests/);
        });

        it("backup: runs a Job from the postgres-backup CronJob and waits for it", async function () {
            const { plane, namespace } = deployed();
            const now = new Date();
            const run = await ops(["backup", ...stackArgs()], { now });
            assert.equal(run.code, ExitCode.Ok, run.stderr + run.stdout);
            const name = /Job (postgres-backup-manual-\S+) created/.exec(run.stdout)?.[1];
            assert.ok(name, run.stdout);
            assert.match(run.stdout, new RegExp(`backup Job ${name} complete`));
            interface Job extends KubeObject {
                metadata: KubeObject["metadata"] & { ownerReferences?: { kind: string; name: string }[]; annotations?: Record<string, string> };
                spec: { template: { spec: { containers: { name: string; command?: string[] }[] } } };
            }
            const job = await plane.client.get<Job>("batch/v1", "Job", namespace, name);
            assert.ok(job);
            assert.deepEqual(job.metadata.ownerReferences?.map((owner) => `${owner.kind}/${owner.name}`), ["CronJob/postgres-backup"]);
            assert.equal(job.metadata.annotations?.["cronjob.kubernetes.io/instantiate"], "manual");
            assert.deepEqual(job.spec.template.spec.containers.map((container) => container.command), [["/scripts/pg-backup.sh"]]);
            await waitForJob(plane.client, namespace, name);
        });

        it("backups: lists what the lister pod printed (kwok serves its log), newest first, with size and age", async function () {
            const { plane } = deployed();
            // What the lister prints for two manifests, among a log line of the scripts.
            plane.appendPodLog([
                '{"name":"20261201T030000Z","sizeBytes":1048576,"createdAt":"2026-12-01T03:00:00Z"}',
                "2026-12-02T03:00:01Z a script's log line on stderr",
                '{"name":"20261202T030000Z","sizeBytes":2048,"createdAt":"2026-12-02T03:00:00Z"}',
            ]);
            const run = await ops(["backups", ...stackArgs()], { now: new Date("2026-12-02T05:00:00Z") });
            assert.equal(run.code, ExitCode.Ok, run.stderr + run.stdout);
            const lines = run.stdout.trim().split("\n").map((line) => line.split(/\s+/));
            assert.deepEqual(lines, [
                ["NAME", "CREATED", "AGE", "SIZE"],
                ["20261202T030000Z", "2026-12-02T03:00:00.000Z", "2h", "2.0", "KiB"],
                ["20261201T030000Z", "2026-12-01T03:00:00.000Z", "1d2h", "1.0", "MiB"],
            ]);
        });

        it("backups --safety: the restores' safety dumps, listed by a Job from the restore template (which mounts their claim)", async function () {
            const { plane, namespace } = deployed();
            plane.appendPodLog(['{"name":"20261202T041500Z","sizeBytes":4096,"createdAt":"2026-12-02T04:15:00Z"}']);
            const run = await ops(["backups", "--safety", ...stackArgs()], { now: new Date("2026-12-02T05:00:00Z") });
            assert.equal(run.code, ExitCode.Ok, run.stderr + run.stdout);
            assert.match(run.stdout, /^20261202T041500Z\s+2026-12-02T04:15:00\.000Z\s+45m\s+4\.0 KiB$/m);
            // The listing ran as a Job of the restore template's (the Job controller's events outlive the deleted Job).
            interface Event extends KubeObject {
                involvedObject: { kind: string; name: string };
                reason: string;
            }
            const events = await plane.client.list<Event>("v1", "Event", namespace);
            const listing = events.find((event) => event.involvedObject.kind === "Job" && /^postgres-restore-list-\d{8}t\d{6}z-[0-9a-f]{4}$/.test(event.involvedObject.name));
            assert.ok(listing, "a postgres-restore-list-<time> Job was created");
            assert.equal(await plane.client.get("batch/v1", "Job", namespace, listing.involvedObject.name).then((job) => job === undefined || (job as Event).metadata.deletionTimestamp !== undefined), true, "and deleted once read");
            assert.equal((await ops(["backup", "--safety", ...stackArgs()])).code, ExitCode.Usage, "backup has no --safety");
        });

        it("logs: a running pod's main container through the API server, with --tail", async function () {
            const { plane } = deployed();
            const marker = `ops-logs-${Date.now()}`;
            plane.appendPodLog([`${marker} first`, `${marker} last`]);
            const all = await ops(["logs", "api", ...stackArgs()]);
            assert.equal(all.code, ExitCode.Ok, all.stderr);
            assert.match(all.stdout, new RegExp(`${marker} first\n${marker} last\n$`));
            const tail = await ops(["logs", "api", "--tail", "1", ...stackArgs()]);
            assert.equal(tail.code, ExitCode.Ok, tail.stderr);
            assert.equal(tail.stdout, `${marker} last\n`);
            const noContainer = await ops(["logs", "api", "--container", "nope", ...stackArgs()]);
            assert.equal(noContainer.code, ExitCode.NotFound);
            assert.match(noContainer.stderr, /Deployment\/api has no container "nope"; its containers: api/);
        });

        it("exec: runs the command through the Exec websocket API and passes its output and failure on", async function () {
            const ok = await ops(["exec", "redis", ...stackArgs(), "--", "sh", "-c", "echo from-exec; echo to-stderr >&2"]);
            assert.equal(ok.code, 0, ok.stderr);
            assert.equal(ok.stdout, "from-exec\n");
            assert.match(ok.stderr, /to-stderr/);
            const failing = await ops(["exec", "redis", ...stackArgs(), "--", "sh", "-c", "exit 3"]);
            assert.notEqual(failing.code, 0);
            assert.match(failing.stderr, /exit status 3/);
        });

        it("restart: sets restartedAt on the pod template and the Deployment rolls out again", async function () {
            const { plane, namespace } = deployed();
            const at = new Date("2026-12-02T05:15:00.000Z");
            const run = await ops(["restart", "frontend", ...stackArgs()], { now: at });
            assert.equal(run.code, ExitCode.Ok, run.stderr);
            interface Deployment extends KubeObject {
                metadata: KubeObject["metadata"] & { generation?: number };
                spec: { template: { metadata: { annotations?: Record<string, string> } } };
            }
            const deployment = await plane.client.get<Deployment>("apps/v1", "Deployment", namespace, "frontend");
            assert.equal(deployment?.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"], at.toISOString());
            interface ReplicaSet extends KubeObject {
                metadata: KubeObject["metadata"] & { ownerReferences?: { name: string }[] };
            }
            await waitFor("a second ReplicaSet of frontend", READY_TIMEOUT_MS, async () => {
                const sets = await plane.client.list<ReplicaSet>("apps/v1", "ReplicaSet", namespace);
                return sets.filter((set) => set.metadata.ownerReferences?.some((owner) => owner.name === "frontend")).length >= 2;
            });
            await waitForWorkloads(plane.client, namespace);
            const status = await ops(["status", ...stackArgs()]);
            assert.match(status.stdout, /^Deployment\/frontend\s+(\d+)\/\1\s+\d+\s+complete$/m);
        });

        it("names the valid services when a service is unknown (exit 3)", async function () {
            const run = await ops(["restart", "databse", ...stackArgs()]);
            assert.equal(run.code, ExitCode.NotFound);
            assert.match(run.stderr, /unknown service "databse" in namespace \S+; valid services: .*\banalyzer\b.*\bapi\b.*\bpostgres\b.*\bredis\b/);
        });

        it("names the server URL when the cluster is unreachable (exit 4)", async function () {
            const [port] = await freePorts(1);
            const kubeconfig = fs.readFileSync(deployed().plane.kubeconfigPath, "utf8").replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`);
            const file = path.join(dir, "unreachable.kubeconfig");
            fs.writeFileSync(file, kubeconfig);
            const run = await ops(["status", "--kubeconfig", file, "--namespace", deployed().namespace]);
            assert.equal(run.code, ExitCode.Unreachable, run.stderr);
            assert.match(run.stderr, new RegExp(`the cluster is unreachable at https://127\\.0\\.0\\.1:${port}`));
        });

        it("says how to deploy a stack that has no outputs (exit 3), through the real Pulumi CLI", async function () {
            const binDir = engineBinaries();
            const home = fs.mkdtempSync(path.join(dir, "pulumi-"));
            fs.mkdirSync(path.join(home, "state"));
            fs.writeFileSync(path.join(home, "Pulumi.yaml"), "name: nsip-ops-test\nruntime: nodejs\n");
            const env = {
                ...process.env,
                PATH: `${binDir}:${process.env["PATH"] ?? ""}`,
                PULUMI_HOME: path.join(home, "pulumi-home"),
                PULUMI_BACKEND_URL: `file://${path.join(home, "state")}`,
                PULUMI_CONFIG_PASSPHRASE: "nsip-ops-test",
                PULUMI_SKIP_UPDATE_CHECK: "true",
            };
            execFileSync("pulumi", ["stack", "init", "empty", "--non-interactive"], { cwd: home, env, stdio: "pipe" });
            const empty = await ops(["status", "--stack", "empty"], { env, cwd: home });
            assert.equal(empty.code, ExitCode.NotFound, empty.stderr);
            assert.match(empty.stderr, /stack empty has no outputs: deploy it with `pulumi up --stack empty`/);
            const missing = await ops(["status", "--stack", "absent"], { env, cwd: home });
            assert.equal(missing.code, ExitCode.NotFound, missing.stderr);
            assert.match(missing.stderr, /stack absent does not exist .*pulumi up --stack absent/);
        });
    });
}
