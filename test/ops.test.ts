import { strict as assert } from "assert";
import { PassThrough, Writable } from "stream";
import type * as k8s from "@kubernetes/client-node";
import { checkArgs, DEFAULT_TIMEOUT_SECONDS, helpText, parseArgs, parseDuration } from "../tools/ops/args";
import { backupsTable, jobFromCronJob, jobOutcome, listerPodSpec, parseListing, PVC_LIST_SCRIPT, stamp } from "../tools/ops/backups";
import { COMMANDS, defaultExecCommand, restartPatch } from "../tools/ops/commands";
import { EXIT_CODE_HELP, ExitCode, OpsError } from "../tools/ops/errors";
import { formatAge, formatBytes, parseQuantity, table } from "../tools/ops/format";
import { execResult, withTerminalSize } from "../tools/ops/kube";
import { describeVerdict, healthRow, parseProbeReport, probeResult } from "../tools/ops/health";
import { restoreJob } from "../tools/ops/restore";
import { backupFreshness, healthEndpoint, workloadRow } from "../tools/ops/status";
import { digestOf, versionVerdict } from "../tools/ops/version";

/** The pure parts of `ops`; the commands themselves run against the real control plane (test/control-plane/ops-suite.ts). */

function usageError(run: () => unknown, message: RegExp): void {
    assert.throws(run, (error: unknown) => error instanceof OpsError && error.exitCode === ExitCode.Usage && message.test(error.message));
}

const specs = Object.fromEntries(Object.entries(COMMANDS).map(([name, command]) => [name, command.spec]));
const spec = (name: string) => {
    const found = specs[name];
    assert.ok(found, name);
    return found;
};

describe("ops arguments", function () {
    it("parses a command, its service, options in any order and exec's command after --", function () {
        const args = parseArgs(["exec", "--stack", "dev", "postgres", "--container=postgres", "--", "psql", "-c", "select 1"]);
        assert.deepEqual(
            { command: args.command, positional: args.positional, rest: args.rest, stack: args.stack, container: args.container },
            { command: "exec", positional: ["postgres"], rest: ["psql", "-c", "select 1"], stack: "dev", container: "postgres" },
        );
        const logs = parseArgs(["logs", "api", "-f", "--since", "1h30m", "--tail", "20", "--kubeconfig", "k.yaml", "--namespace", "nsip"]);
        assert.deepEqual(
            { follow: logs.follow, since: logs.sinceSeconds, tail: logs.tailLines, kubeconfig: logs.kubeconfigFile, namespace: logs.namespace },
            { follow: true, since: 5400, tail: 20, kubeconfig: "k.yaml", namespace: "nsip" },
        );
        assert.equal(parseArgs(["backup", "--no-wait", "--timeout", "45m", "--stack", "prod"]).timeoutSeconds, 2700);
        assert.equal(parseArgs(["backup", "--stack", "prod"]).timeoutSeconds, DEFAULT_TIMEOUT_SECONDS);
    });

    it("rejects unknown options, missing values and bad durations with exit code 2, naming the option", function () {
        usageError(() => parseArgs(["status", "--stak", "dev"]), /unknown option --stak/);
        usageError(() => parseArgs(["status", "--stack"]), /--stack needs a value/);
        usageError(() => parseArgs(["status", "--stack", "--follow"]), /--stack needs a value/);
        usageError(() => parseArgs(["logs", "api", "--since", "yesterday"]), /--since expects a duration like 90s.*got "yesterday"/);
        usageError(() => parseArgs(["logs", "api", "--tail", "-3"]), /--tail expects a whole number/);
        usageError(() => parseArgs(["logs", "api", "--follow=yes"]), /--follow takes no value/);
    });

    it("checks each command's arguments before anything is contacted", function () {
        usageError(() => checkArgs(parseArgs(["logs", "--stack", "dev"]), spec("logs")), /ops logs needs a service name/);
        usageError(() => checkArgs(parseArgs(["status", "api", "--stack", "dev"]), spec("status")), /ops status takes no arguments, got: api/);
        usageError(() => checkArgs(parseArgs(["restart", "api", "--follow", "--stack", "dev"]), spec("restart")), /ops restart does not take --follow/);
        usageError(() => checkArgs(parseArgs(["status", "--stack", "dev", "--", "ls"]), spec("status")), /takes no command after --/);
        usageError(() => checkArgs(parseArgs(["status", "--namespace", "nsip"]), spec("status")), /needs --stack <name> \(or --outputs <file>, or both --kubeconfig and --namespace\)/);
        checkArgs(parseArgs(["status", "--kubeconfig", "k", "--namespace", "nsip"]), spec("status"));
        checkArgs(parseArgs(["exec", "redis", "--outputs", "o.json", "--", "redis-cli", "info"]), spec("exec"));
    });

    it("--safety: restore and backups take it, to work on the restores' safety dumps; other commands refuse it", function () {
        const undo = parseArgs(["restore", "--safety", "--from", "20261202T030000Z", "--stack", "dev"]);
        assert.deepEqual([undo.safety, undo.from], [true, "20261202T030000Z"]);
        assert.equal(parseArgs(["restore", "--stack", "dev"]).safety, false);
        checkArgs(undo, spec("restore"));
        checkArgs(parseArgs(["backups", "--safety", "--stack", "dev"]), spec("backups"));
        usageError(() => checkArgs(parseArgs(["backup", "--safety", "--stack", "dev"]), spec("backup")), /ops backup does not take --safety/);
        usageError(() => parseArgs(["restore", "--safety=yes"]), /--safety takes no value/);
        assert.match(helpText(specs), /--safety {14}restore, backups: the safety dumps restores took/);
    });

    it("reads durations in s, m, h and d, and combinations", function () {
        assert.deepEqual(["90s", "15m", "2h", "1h30m", "7d"].map((text) => parseDuration(text, "--since")), [90, 900, 7200, 5400, 604800]);
        usageError(() => parseDuration("0s", "--since"), /longer than zero/);
        usageError(() => parseDuration("5", "--since"), /expects a duration/);
        usageError(() => parseDuration("5m3", "--since"), /expects a duration/);
    });

    it("documents every command and every exit code in --help", function () {
        const help = helpText(specs);
        for (const name of Object.keys(COMMANDS)) {
            assert.match(help, new RegExp(`^  ${name}\\b`, "m"), name);
        }
        for (const [code] of EXIT_CODE_HELP) {
            assert.match(help, new RegExp(`^  ${code} `, "m"), `exit code ${code}`);
        }
        const codes = Object.values(ExitCode);
        assert.equal(new Set(codes).size, codes.length, "each exit code means one thing");
        assert.deepEqual(EXIT_CODE_HELP.map(([code]) => code), codes);
    });
});

describe("ops formatting", function () {
    it("formats ages like kubectl, sizes in binary units, and parses quantities", function () {
        assert.deepEqual([0, 42_000, 300_000, 3 * 3600_000, 3 * 3600_000 + 12 * 60_000, 50 * 3600_000, 7 * 86400_000].map(formatAge), ["0s", "42s", "5m", "3h", "3h12m", "2d2h", "7d"]);
        assert.deepEqual([512, 1536, 20 * 2 ** 30].map(formatBytes), ["512 B", "1.5 KiB", "20.0 GiB"]);
        assert.deepEqual(["10Gi", "500M", "1e3", "128974848", "100m"].map(parseQuantity), [10 * 2 ** 30, 500e6, 1000, 128974848, 0.1]);
        assert.ok(Number.isNaN(parseQuantity("ten")));
    });

    it("aligns table columns", function () {
        assert.equal(table(["A", "LONGER"], [["xyz", "1"], ["x", "22"]]), "A    LONGER\nxyz  1\nx    22\n");
    });
});

describe("ops status pieces", function () {
    const deployment = (replicas: number, status: k8s.V1DeploymentStatus, generation = 2): k8s.V1Deployment => ({
        metadata: { name: "api", generation },
        spec: { replicas, selector: {}, template: {} },
        status: { observedGeneration: 2, ...status },
    });

    it("calls a rollout complete only when the current template runs every replica ready", function () {
        const full = { replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3 };
        assert.equal(workloadRow({ kind: "Deployment", name: "api", object: deployment(3, full) }).rollout, "complete");
        assert.equal(workloadRow({ kind: "Deployment", name: "api", object: deployment(3, { ...full, updatedReplicas: 2 }) }).rollout, "progressing");
        assert.equal(workloadRow({ kind: "Deployment", name: "api", object: deployment(3, { ...full, replicas: 4 }) }).rollout, "progressing", "old pods still terminating");
        assert.equal(workloadRow({ kind: "Deployment", name: "api", object: deployment(3, full, 3) }).rollout, "progressing", "a new generation not yet observed");
        const statefulSet: k8s.V1StatefulSet = {
            metadata: { name: "postgres", generation: 1 },
            spec: { replicas: 1, selector: {}, serviceName: "postgres", template: {} },
            status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, currentRevision: "a", updateRevision: "b" },
        };
        assert.equal(workloadRow({ kind: "StatefulSet", name: "postgres", object: statefulSet }).rollout, "progressing");
        assert.deepEqual(workloadRow({ kind: "StatefulSet", name: "postgres", object: { ...statefulSet, status: { ...statefulSet.status, replicas: 1, updateRevision: "a" } } }), {
            workload: "StatefulSet/postgres",
            ready: 1,
            desired: 1,
            updated: 1,
            rollout: "complete",
        });
    });

    it("judges the last backup by the schedule's allowed age (the BackupTooOld threshold)", function () {
        const now = new Date("2026-12-02T05:00:00Z");
        const cronJob = (status: k8s.V1CronJobStatus, created = "2026-11-01T00:00:00Z"): k8s.V1CronJob => ({
            metadata: { creationTimestamp: new Date(created) },
            spec: { schedule: "0 3 * * *", jobTemplate: {} },
            status,
        });
        const fresh = backupFreshness(cronJob({ lastSuccessfulTime: new Date("2026-12-02T03:00:00Z") }), now);
        assert.deepEqual({ state: fresh.state, age: fresh.ageMs, allowed: fresh.allowedMs }, { state: "fresh", age: 2 * 3600_000, allowed: 27 * 3600_000 });
        assert.equal(backupFreshness(cronJob({ lastSuccessfulTime: new Date("2026-11-30T03:00:00Z") }), now).state, "stale");
        assert.equal(backupFreshness(cronJob({}), now).state, "never");
        assert.equal(backupFreshness(cronJob({}, "2026-12-02T04:00:00Z"), now).state, "none yet");
    });

    it("finds the health endpoint from the readiness probe and maps it to the Service port", function () {
        const service: k8s.V1Service = { spec: { ports: [{ name: "http", port: 3000, targetPort: 3000 as unknown as k8s.IntOrString }, { name: "metrics", port: 9100 }] } };
        const template: k8s.V1PodTemplateSpec = {
            spec: { containers: [{ name: "api", ports: [{ name: "http", containerPort: 3000 }], readinessProbe: { httpGet: { path: "/ready", port: "http" as unknown as k8s.IntOrString } } }] },
        };
        assert.deepEqual(healthEndpoint(service, template, "api"), { port: 3000, containerPort: 3000, path: "/ready" });
        const edge: k8s.V1Service = { spec: { ports: [{ name: "http", port: 80, targetPort: 8080 as unknown as k8s.IntOrString }] } };
        const nginx: k8s.V1PodTemplateSpec = { spec: { containers: [{ name: "nginx", readinessProbe: { httpGet: { path: "/healthz", port: 8080 as unknown as k8s.IntOrString } } }] } };
        assert.deepEqual(healthEndpoint(edge, nginx, "nginx"), { port: 80, containerPort: 8080, path: "/healthz" });
        // postgres: its own exec probe; the exporter sidecar's HTTP probe is not postgres' health.
        const withSidecar: k8s.V1PodTemplateSpec = {
            spec: {
                containers: [
                    { name: "postgres", readinessProbe: { exec: { command: ["pg_isready"] } } },
                    { name: "postgres-exporter", readinessProbe: { httpGet: { path: "/", port: 3000 as unknown as k8s.IntOrString } } },
                ],
            },
        };
        assert.equal(healthEndpoint(service, withSidecar, "postgres"), undefined);
    });
});

describe("ops health pieces", function () {
    const report = '{"api":{"url":"http://api.nsip.svc.cluster.local:3000/ready","ok":true,"status":200,"ms":12},' +
        '"grafana":{"url":"http://grafana.nsip.svc.cluster.local:3000/grafana/api/health","ok":false,"status":503,"detail":"database locked","ms":40},' +
        '"frontend":{"url":"http://frontend.nsip.svc.cluster.local:8080/healthz","ok":false,"detail":"fetch failed: ECONNREFUSED","ms":3}}';

    it("reads the health probe's report and says what each GET answered", function () {
        const parsed = parseProbeReport(report);
        assert.deepEqual(Object.keys(parsed).sort(), ["api", "frontend", "grafana"]);
        assert.equal(describeVerdict(parsed["api"]!), "GET /ready: HTTP 200 (12 ms)");
        assert.equal(describeVerdict(parsed["grafana"]!), "GET /grafana/api/health: HTTP 503 database locked (40 ms)");
        assert.equal(describeVerdict(parsed["frontend"]!), "GET /healthz failed: fetch failed: ECONNREFUSED");
        const failed = (message: string, pattern: RegExp) =>
            assert.throws(() => parseProbeReport(message), (error: unknown) => error instanceof OpsError && error.exitCode === ExitCode.Failed && pattern.test(error.message));
        failed("health probe: HEALTH_PROBE_TARGETS must be", /not its JSON report: "health probe: HEALTH_PROBE_TARGETS/);
        failed("[1]", /must be a JSON object of verdicts per Service/);
        failed('{"api":{"url":"http://x/ready","ok":"yes","ms":1}}', /verdict for api lacks url, ok or ms/);
    });

    it("is healthy only with a ready endpoint and, where probed, a 200-399 answer", function () {
        const ok = parseProbeReport(report)["api"];
        const bad = parseProbeReport(report)["grafana"];
        const row = (readyEndpoints: number, verdict: typeof ok | undefined, hasHttpEndpoint = true) => healthRow({ service: "s", readyEndpoints, endpoints: 2, verdict, hasHttpEndpoint });
        assert.deepEqual(row(2, ok), { healthy: true, row: ["s", "healthy", "2/2 endpoints ready", "GET /ready: HTTP 200 (12 ms)"] });
        assert.equal(row(0, ok).healthy, false, "no ready endpoint");
        assert.deepEqual(row(1, bad).row.slice(1, 3), ["UNHEALTHY", "1/2 endpoints ready"]);
        assert.deepEqual(row(2, undefined, false), { healthy: true, row: ["s", "healthy", "2/2 endpoints ready", "no HTTP health endpoint (readiness is the kubelet's own probe)"] });
        assert.match(row(2, undefined, true).row[3] ?? "", /^not probed \(no health-probe row/);
    });

    it("takes the report from the probe container's termination message, exits 0 and 1 alike; anything else fails", function () {
        const pod = (terminated: k8s.V1ContainerStateTerminated | undefined, waiting?: k8s.V1ContainerStateWaiting): k8s.V1Pod => ({
            status: { phase: "Pending", containerStatuses: [{ name: "probe", image: "i", imageID: "", ready: false, restartCount: 0, state: { terminated, waiting } }] },
        });
        assert.equal(probeResult(pod({ exitCode: 0, message: report }), "j")["api"]?.ok, true);
        assert.equal(probeResult(pod({ exitCode: 1, message: report }), "j")["grafana"]?.status, 503);
        const failure = (p: k8s.V1Pod | undefined, pattern: RegExp) =>
            assert.throws(() => probeResult(p, "health-probe-x"), (error: unknown) => error instanceof OpsError && error.exitCode === ExitCode.Failed && pattern.test(error.message));
        failure(pod({ exitCode: 2, message: "health probe: HEALTH_PROBE_TARGETS must be a non-empty JSON object" }), /Job health-probe-x\) failed with exit code 2: health probe: HEALTH_PROBE_TARGETS/);
        failure(pod(undefined, { reason: "ImagePullBackOff", message: "back-off pulling" }), /did not run to the end: ImagePullBackOff: back-off pulling/);
        failure(undefined, /did not run to the end: pod missing/);
    });
});

describe("ops backups, exec, restart, version pieces", function () {
    it("exec on a terminal: the Exec client sees the terminal's size and each resize, and nothing after the undo", async () => {
        // The library's own queue, as Exec builds it for a resizable stdout (the frames of the resize channel).
        const { isResizable, TerminalSizeQueue } = await import("@kubernetes/client-node/dist/terminal-size-queue.js");
        const terminal = Object.assign(new Writable({ write: (_chunk, _encoding, done) => done() }), { isTTY: true, rows: 24, columns: 80 });
        const stdout = new PassThrough();
        const undo = withTerminalSize(stdout, terminal);
        assert.equal(isResizable(stdout), true);
        const queue = new TerminalSizeQueue();
        const frames: unknown[] = [];
        queue.on("data", (frame: Buffer) => frames.push(JSON.parse(frame.toString())));
        queue.handleResizes(stdout as unknown as Parameters<typeof queue.handleResizes>[0]);
        terminal.rows = 50;
        terminal.columns = 132;
        terminal.emit("resize");
        undo();
        terminal.emit("resize");
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(frames, [{ height: 24, width: 80 }, { height: 50, width: 132 }]);

        const piped = new PassThrough();
        withTerminalSize(piped, new Writable({ write: (_chunk, _encoding, done) => done() }));
        assert.equal(isResizable(piped), false, "output to a pipe or file has no size to send");
    });

    const podSpec = (target: "pvc" | "s3"): k8s.V1PodSpec =>
        target === "pvc"
            ? {
                  volumes: [{ name: "scripts", configMap: { name: "postgres-backup-scripts" } }, { name: "data", persistentVolumeClaim: { claimName: "postgres-backups" } }],
                  containers: [{ name: "pg-dump", image: "postgres:16", command: ["/scripts/pg-backup.sh"], env: [{ name: "BACKUP_DIR", value: "/backups" }] }],
              }
            : {
                  volumes: [{ name: "data", emptyDir: {} }],
                  initContainers: [{ name: "pg-dump", image: "postgres:16", command: ["/scripts/pg-backup.sh"] }],
                  containers: [{ name: "upload", image: "amazon/aws-cli", command: ["/scripts/s3-backup.sh", "upload", "/backup"], env: [{ name: "BUCKET", value: "b" }] }],
              };
    const cronJob = (spec: k8s.V1PodSpec): k8s.V1CronJob => ({
        metadata: { name: "postgres-backup", uid: "uid-1" },
        spec: { schedule: "0 3 * * *", jobTemplate: { metadata: { labels: { a: "b" } }, spec: { backoffLimit: 2, template: { spec } } } },
    });

    it("a restore step sets mode, backup and source on every container that reads them (the S3 fetch too), and says so on the Job", function () {
        const step = [{ name: "RESTORE_FROM", value: "latest" }, { name: "RESTORE_SOURCE", value: "backups" }];
        const template: k8s.V1CronJob = {
            metadata: { name: "postgres-restore", uid: "uid-2" },
            spec: {
                schedule: "0 0 31 2 *",
                jobTemplate: {
                    metadata: { labels: { "app.kubernetes.io/name": "restore" } },
                    spec: {
                        template: {
                            spec: {
                                initContainers: [{ name: "fetch", image: "amazon/aws-cli", env: [{ name: "BUCKET", value: "b" }, ...step] }],
                                containers: [{ name: "restore", image: "postgres:16", env: [{ name: "RESTORE_MODE", value: "plan" }, ...step, { name: "SAFETY_DIR", value: "/safety" }] }],
                            },
                        },
                    },
                },
            },
        };
        const job = restoreJob(template, "postgres-restore-list-x", { mode: "list", from: "latest", source: "safety" }, { backoffLimit: 0 });
        const pod = job.spec!.template.spec!;
        assert.deepEqual(pod.initContainers![0].env, [{ name: "BUCKET", value: "b" }, { name: "RESTORE_FROM", value: "latest" }, { name: "RESTORE_SOURCE", value: "safety" }]);
        assert.deepEqual(pod.containers[0].env, [
            { name: "RESTORE_MODE", value: "list" },
            { name: "RESTORE_FROM", value: "latest" },
            { name: "RESTORE_SOURCE", value: "safety" },
            { name: "SAFETY_DIR", value: "/safety" },
        ]);
        assert.equal(job.metadata!.labels!["nsip.dev/restore-mode"], "list");
        assert.equal(job.metadata!.annotations!["nsip.dev/restore-source"], "safety");
        assert.equal(job.spec!.backoffLimit, 0);
        assert.equal(template.spec!.jobTemplate.spec!.template.spec!.containers[0].env![0].value, "plan", "the template itself is unchanged");
        assert.equal(pod.affinity, undefined, "no node given: the scheduler chooses");

        // Pinned to the node where a pod holds one of its ReadWriteOnce claims; other affinity is kept.
        const antiAffinity = { preferredDuringSchedulingIgnoredDuringExecution: [] };
        template.spec!.jobTemplate.spec!.template.spec!.affinity = { podAntiAffinity: antiAffinity };
        const pinned = restoreJob(template, "postgres-restore-plan-x", { mode: "plan", from: "latest", source: "backups" }, {}, "node-b").spec!.template.spec!.affinity;
        assert.deepEqual(pinned, {
            podAntiAffinity: antiAffinity,
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["node-b"] }] }] } },
        });
    });

    it("creates the Job kubectl create job --from would: the template, owned by the CronJob, marked manual", function () {
        const job = jobFromCronJob(cronJob(podSpec("pvc")), "postgres-backup-manual-x");
        assert.deepEqual(job.metadata, {
            name: "postgres-backup-manual-x",
            labels: { a: "b" },
            annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
            ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "postgres-backup", uid: "uid-1", controller: true }],
        });
        assert.deepEqual(job.spec, { backoffLimit: 2, template: { spec: podSpec("pvc") } });
        assert.equal(stamp(new Date("2026-12-02T03:04:05.678Z")), "20261202T030405Z");
    });

    it("lists with the backup pod's own container: the manifest loop on a PVC, s3-backup.sh list on S3", function () {
        const pvc = listerPodSpec(podSpec("pvc"));
        assert.deepEqual(pvc.containers.map((container) => [container.name, container.command, container.env]), [["list", ["sh", "-c", PVC_LIST_SCRIPT], [{ name: "BACKUP_DIR", value: "/backups" }]]]);
        assert.deepEqual(pvc.volumes, podSpec("pvc").volumes);
        const s3 = listerPodSpec(podSpec("s3"));
        assert.equal(s3.initContainers, undefined, "no dump before a listing");
        assert.deepEqual(s3.containers.map((container) => [container.name, container.command, container.env]), [["list", ["/scripts/s3-backup.sh", "list"], [{ name: "BUCKET", value: "b" }]]]);
    });

    it("reads the listing's JSON lines among log lines, newest first, and tabulates size and age", function () {
        const entries = parseListing(
            [
                '{"name":"20261201T030000Z","sizeBytes":1048576,"lastModified":"2026-12-01T03:00:09.000Z"}',
                "2026-12-02T03:00:00Z dumping database nsip",
                '{"name":"20261202T030000Z","sizeBytes":2048,"createdAt":"2026-12-02T03:00:00Z"}',
                '{"name":"not-a-backup","sizeBytes":1}',
                "{broken",
            ].join("\n"),
        );
        assert.deepEqual(entries.map((entry) => entry.name), ["20261202T030000Z", "20261201T030000Z"]);
        assert.equal(
            backupsTable(entries, new Date("2026-12-02T05:00:00Z")),
            "NAME              CREATED                   AGE   SIZE\n20261202T030000Z  2026-12-02T03:00:00.000Z  2h    2.0 KiB\n20261201T030000Z  2026-12-01T03:00:00.000Z  1d2h  1.0 MiB\n",
        );
    });

    it("reads a Job's outcome from its conditions", function () {
        assert.equal(jobOutcome({ status: {} }), undefined);
        assert.deepEqual(jobOutcome({ status: { conditions: [{ type: "Complete", status: "True" }] } }), { state: "complete" });
        assert.deepEqual(jobOutcome({ status: { conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }] } }), {
            state: "failed",
            reason: "BackoffLimitExceeded: Job has reached the specified backoff limit",
        });
    });

    it("opens psql and redis-cli for the data services, a shell elsewhere", function () {
        assert.match(defaultExecCommand("postgres").join(" "), /exec psql -h 127\.0\.0\.1 -U "\$POSTGRES_USER" -d "\$POSTGRES_DB"/);
        assert.match(defaultExecCommand("redis").join(" "), /REDISCLI_AUTH="\$REDIS_PASSWORD" exec redis-cli/);
        assert.deepEqual(defaultExecCommand("api"), ["sh"]);
    });

    it("takes the remote exit code from the kubelet's Status frame", function () {
        assert.deepEqual(execResult({ status: "Success" }), { exitCode: 0 });
        assert.deepEqual(execResult({ status: "Failure", reason: "NonZeroExitCode", message: "command terminated with non-zero exit code", details: { causes: [{ reason: "ExitCode", message: "3" }] } }), {
            exitCode: 3,
            message: "command terminated with non-zero exit code",
        });
        assert.equal(execResult({ status: "Failure", message: "Internal error" }).exitCode, ExitCode.Failed);
        assert.equal(execResult(undefined).exitCode, ExitCode.Failed);
    });

    it("restarts like kubectl rollout restart", function () {
        assert.deepEqual(restartPatch(new Date("2026-12-02T05:15:00Z")), { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-12-02T05:15:00.000Z" } } } } });
    });

    it("compares deployed images with the stack's digests", function () {
        const digest = `sha256:${"a".repeat(64)}`;
        const stack = `registry/nsip/api@${digest}`;
        assert.equal(digestOf(`docker-pullable://registry/nsip/api@${digest}`), digest);
        assert.equal(digestOf("nginx:1.27"), undefined);
        assert.equal(versionVerdict(true, stack, [digest], stack), "matches");
        assert.equal(versionVerdict(true, stack, [digest, `sha256:${"b".repeat(64)}`], stack), "DRIFT", "a pod still runs the old image");
        assert.equal(versionVerdict(true, `registry/nsip/api@sha256:${"c".repeat(64)}`, [], stack), "DRIFT");
        assert.equal(versionVerdict(true, stack, [], undefined), "not compared");
        assert.equal(versionVerdict(false, "postgres:16", [], undefined), "third-party");
    });
});
