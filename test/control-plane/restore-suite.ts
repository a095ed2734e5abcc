import { strict as assert } from "assert";
import { KubeObject } from "../../tools/k8s/client";
import { ExitCode, OpsError } from "../../tools/ops/errors";
import { Kube } from "../../tools/ops/kube";
import { runOps } from "../../tools/ops/main";
import { PassThrough } from "stream";
import { restore, RestoreOptions, RestorePlan } from "../../tools/ops/restore";
import { waitFor } from "../../tools/k8s/control-plane";
import { finishPod, READY_TIMEOUT_MS, StackOnControlPlane, waitForWorkloads } from "./support";

/**
 * `ops restore`'s orchestration against the real control plane with the dev render applied: real Jobs, the real
 * Job and Deployment controllers, scheduling and kwok nodes. kwok runs no containers, so the test plays the kubelet
 * for the restore pods only: the template is pinned to a node label no node has, and the test reports each pod's
 * outcome (exit code and termination message, as pg-restore-job.sh would leave them). Everything else (the migration
 * Job's pods, the api's pods going and coming back) is the controllers' and kwok's own doing.
 */

const PLAYED = { "nsip.test/kubelet": "played-by-the-test" };
const BACKUP = "20261201T030000Z";
/** The safety dump the played restore reports having taken. */
const SAFETY_DUMP = "20261202T050000Z";

interface Pod extends KubeObject {
    metadata: KubeObject["metadata"] & { labels?: Record<string, string> };
    spec: { containers: { name: string; image: string; env?: { name: string; value?: string }[] }[]; initContainers?: unknown[] };
    status?: { phase?: string };
}
interface Job extends KubeObject {
    metadata: KubeObject["metadata"] & { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: { template: { spec: Pod["spec"] } };
    status?: { conditions?: { type: string; status: string }[] };
}
interface Scale extends KubeObject {
    spec: { replicas?: number };
    status?: { readyReplicas?: number };
}

/** What the test's "kubelet" reports for one restore pod. */
interface Outcome {
    exitCode: number;
    message: string;
}
type Script = (mode: string, from: string, source: string) => Outcome;

const plan: RestorePlan = {
    backup: { name: BACKUP, createdAt: "2026-12-01T03:00:00Z", database: "nsip", sizeBytes: 48213, tables: { "public.images": 3, "public.schema_migrations": 4 } },
    current: { database: "nsip", sizeBytes: 8_421_123, tables: { "public.images": 7, "public.schema_migrations": 4 } },
};
const succeeds: Script = (mode) => ({
    exitCode: 0,
    message: JSON.stringify(
        mode === "plan" ? plan : mode === "restore" ? { restored: BACKUP, safetyDump: SAFETY_DUMP, tables: plan.backup.tables } : { database: "nsip", sizeBytes: 50_000, tables: plan.backup.tables },
    ),
});

/** Runs on the dev render renders.cp.ts deployed (after its own tests and the other ops commands'); changes the api's scale and adds an HPA. */
export function describeRestore(deployment: () => StackOnControlPlane): void {
    describe("ops restore on a real control plane (dev render)", function () {
        this.timeout(READY_TIMEOUT_MS * 2);
        let deployed: StackOnControlPlane;
        /** Restore Jobs that existed before these tests (renders.cp.ts instantiates the template once). */
        let earlierRestoreJobs: string[];
        let kube: Kube;
        let namespace: string;
        /** Pods the test's "kubelet" reported, in order: mode, backup, and the api's replicas at that moment. */
        let played: { mode: string; from: string; source: string; apiReplicas: number; apiPods: number }[];
        let script: Script = succeeds;
        let player: { stop: () => Promise<void> } | undefined;
        /** Set by a test: before a restore pod's outcome is reported, the api's HPA must have seen the api at 0. */
        let awaitHpaDisabled = false;

        const client = () => deployed.plane.client;
        const apiReplicas = async () => (await client().get<Scale>("apps/v1", "Deployment", namespace, "api"))?.spec.replicas;
        const apiReady = async (replicas: number) =>
            waitFor(`the api's ${replicas} replicas to be ready`, READY_TIMEOUT_MS, async () => (await client().get<Scale>("apps/v1", "Deployment", namespace, "api"))?.status?.readyReplicas === replicas, 500);
        const jobs = async (selector: string) => client().list<Job>("batch/v1", "Job", namespace, selector);
        const newRestoreJobs = async () => (await jobs("app.kubernetes.io/name=restore")).map((job) => job.metadata.name).filter((name) => !earlierRestoreJobs.includes(name));
        const run = (overrides: Partial<RestoreOptions>, lines: string[] = []) =>
            restore(kube, { yes: true, out: (line) => lines.push(line), timeouts: { jobMs: READY_TIMEOUT_MS, rolloutMs: READY_TIMEOUT_MS, pollMs: 500 }, ...overrides });
        const rejection = async (promise: Promise<unknown>): Promise<OpsError> => {
            try {
                await promise;
            } catch (error) {
                assert.ok(error instanceof OpsError, `an OpsError, got ${error}`);
                return error;
            }
            return assert.fail("the restore should have failed");
        };

        before(async function () {
            deployed = deployment();
            namespace = deployed.namespace;
            earlierRestoreJobs = (await jobs("app.kubernetes.io/name=restore")).map((job) => job.metadata.name);
            kube = new Kube({ kubeconfig: { file: deployed.plane.kubeconfigPath }, namespace });
            await waitForWorkloads(client(), namespace);
            // Two api replicas, so "back to its previous scale" is not the render's default of one.
            await client().call("PATCH", `/apis/apps/v1/namespaces/${namespace}/deployments/api/scale`, { spec: { replicas: 2 } }, "application/merge-patch+json");
            await apiReady(2);
            // Prod's api runs under an HPA (minimum 3); here one with a minimum of 2, run by the real HPA controller, which
            // would put back a count below its minimum unless the target is at 0 (then scaling is disabled).
            await client().call("POST", `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`, {
                apiVersion: "autoscaling/v2",
                kind: "HorizontalPodAutoscaler",
                metadata: { name: "api" },
                spec: {
                    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" },
                    minReplicas: 2,
                    maxReplicas: 4,
                    metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
                },
            });
            await client().call(
                "PATCH",
                `/apis/batch/v1/namespaces/${namespace}/cronjobs/postgres-restore`,
                { spec: { jobTemplate: { spec: { template: { spec: { nodeSelector: PLAYED } } } } } },
                "application/merge-patch+json",
            );
            player = playRestorePods();
        });

        after(async function () {
            await player?.stop();
        });

        beforeEach(() => {
            played = [];
            script = succeeds;
            awaitHpaDisabled = false;
        });

        interface Autoscaler extends KubeObject {
            status?: { conditions?: { type: string; status: string; reason?: string }[] };
        }
        const hpaDisabled = async () =>
            ((await client().get<Autoscaler>("autoscaling/v2", "HorizontalPodAutoscaler", namespace, "api"))?.status?.conditions ?? []).some(
                (c) => c.type === "ScalingActive" && c.status === "False" && c.reason === "ScalingDisabled",
            );

        /** Reports an exit for every restore pod that is still pending, as the kubelet would after the script ran. */
        function playRestorePods(): { stop: () => Promise<void> } {
            let running = true;
            const loop = (async () => {
                while (running) {
                    const pods = await client().list<Pod>("v1", "Pod", namespace, "app.kubernetes.io/name=restore").catch(() => []);
                    for (const pod of pods.filter((p) => p.status?.phase === "Pending")) {
                        const env = (name: string) => pod.spec.containers[0].env?.find((e) => e.name === name)?.value ?? "";
                        const outcome = script(env("RESTORE_MODE"), env("RESTORE_FROM"), env("RESTORE_SOURCE"));
                        if (awaitHpaDisabled && env("RESTORE_MODE") === "restore") {
                            await waitFor("the api's HPA to report scaling disabled at 0 replicas", READY_TIMEOUT_MS, hpaDisabled, 1000);
                        }
                        played.push({ mode: env("RESTORE_MODE"), from: env("RESTORE_FROM"), source: env("RESTORE_SOURCE"), apiReplicas: (await apiReplicas()) ?? -1, apiPods: (await client().list("v1", "Pod", namespace, "app.kubernetes.io/name=api")).length });
                        await finishPod(client(), namespace, pod, outcome.exitCode, outcome.message);
                    }
                    await new Promise((resolve) => setTimeout(resolve, 300));
                }
            })();
            return {
                stop: async () => {
                    running = false;
                    await loop;
                },
            };
        }

        it("refuses without a terminal and without --yes, before creating anything", async function () {
            const error = await rejection(run({ yes: false, confirm: undefined }));
            assert.equal(error.exitCode, ExitCode.ConfirmationNeeded);
            assert.match(error.message, /--yes/);
            assert.deepEqual(await newRestoreJobs(), []);
            assert.equal(await apiReplicas(), 2);
        });

        it("names what is missing when the stack has no restore template, before creating anything", async function () {
            const elsewhere = new Kube({ kubeconfig: { file: deployed.plane.kubeconfigPath }, namespace: "default" });
            const error = await rejection(restore(elsewhere, { yes: true, out: () => undefined }));
            assert.equal(error.exitCode, ExitCode.NotFound);
            assert.match(error.message, /no restore template \(CronJob postgres-restore\) in namespace default/);
            assert.deepEqual(await newRestoreJobs(), []);
        });

        it("npm run ops -- restore: the command line reaches the same flow, with its exit codes", async function () {
            const ops = async (...argv: string[]) => {
                const [stdout, stderr] = [new PassThrough(), new PassThrough()];
                const io = { stdout, stderr, stdin: new PassThrough(), interactive: false, env: {}, cwd: process.cwd() };
                const code = await runOps(["restore", "--kubeconfig", deployed.plane.kubeconfigPath, "--namespace", namespace, ...argv], io);
                return { code, stdout: String(stdout.read() ?? ""), stderr: String(stderr.read() ?? "") };
            };
            const unconfirmed = await ops("--latest");
            assert.equal(unconfirmed.code, ExitCode.ConfirmationNeeded);
            assert.match(unconfirmed.stderr, /^ops: a restore replaces the whole database: run it on a terminal to confirm, or pass --yes/);
            assert.equal((await ops("--from", "yesterday", "--yes")).code, ExitCode.Usage);
            assert.equal((await ops("--from", BACKUP, "--latest", "--yes")).code, ExitCode.Usage);
            const badUndo = await ops("--safety", "--from", "last-night", "--yes");
            assert.equal(badUndo.code, ExitCode.Usage);
            assert.match(badUndo.stderr, /--from must be a safety dump name like 20261202T030000Z \(see `ops backups --safety`\), not "last-night"/);
            assert.deepEqual(played, [], "nothing ran");

            script = (mode) => (mode === "plan" ? { exitCode: 3, message: "ERROR: refused: backup 20261201T030000Z not found in /backups\n" } : assert.fail(`no ${mode} Job after a refusal`));
            const refused = await ops("--from", BACKUP, "--yes");
            assert.equal(refused.code, ExitCode.RestoreRefused);
            assert.match(refused.stderr, /backup refused, the database was not touched: refused: backup 20261201T030000Z not found in \/backups/);
            assert.match(refused.stdout, /Checking backup 20261201T030000Z/);
        });

        it("refuses while another restore Job is unfinished, naming it", async function () {
            interface CronJob extends KubeObject {
                spec: { jobTemplate: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } };
            }
            const template = (await client().get<CronJob>("batch/v1", "CronJob", namespace, "postgres-restore"))!;
            // Another operator's restore, prepared and not finished (suspended: it has no pod yet).
            const other = "postgres-restore-restore-other";
            await client().call("POST", `/apis/batch/v1/namespaces/${namespace}/jobs`, {
                apiVersion: "batch/v1",
                kind: "Job",
                metadata: { name: other, labels: { ...template.spec.jobTemplate.metadata.labels, "nsip.dev/restore-mode": "restore" } },
                spec: { ...template.spec.jobTemplate.spec, suspend: true },
            });
            try {
                const error = await rejection(run({ from: BACKUP }));
                assert.equal(error.exitCode, ExitCode.Failed);
                assert.match(error.message, /another restore is in progress \(unfinished Job postgres-restore-restore-other\)/);
                assert.deepEqual(played, [], "no Job of its own ran");
                assert.equal(await apiReplicas(), 2);
            } finally {
                await client().call("DELETE", `/apis/batch/v1/namespaces/${namespace}/jobs/${other}?propagationPolicy=Background`);
            }
        });

        it("shows the plan and changes nothing when the operator answers no", async function () {
            const lines: string[] = [];
            const questions: string[] = [];
            const error = await rejection(run({ yes: false, from: BACKUP, confirm: async (question) => (questions.push(question), false) }, lines));
            assert.equal(error.exitCode, ExitCode.Declined);
            assert.deepEqual(questions, [`Replace database nsip with backup ${BACKUP}?`]);
            const shown = lines.join("\n");
            assert.match(shown, /taken 2026-12-01T03:00:00Z/);
            assert.match(shown, /database nsip \(8\.0 MiB now\)/);
            assert.match(shown, /public\.images\s+7\s+3/);
            // Only the plan ran, and it was given the chosen backup; the api never stopped.
            assert.deepEqual(played.map((p) => [p.mode, p.from, p.apiReplicas]), [["plan", BACKUP, 2]]);
            assert.deepEqual((await jobs("nsip.dev/restore-mode=restore")).length, 0);
            assert.equal(await apiReplicas(), 2);
        });

        it("with --yes: stops the api, restores the chosen backup, runs the migrations, verifies, brings the api back", async function () {
            const migrationsBefore = await jobs("app.kubernetes.io/name=migrations");
            awaitHpaDisabled = true;
            const result = await run({ from: BACKUP });
            assert.deepEqual(
                played.map((p) => [p.mode, p.from]),
                [["plan", BACKUP], ["restore", BACKUP], ["facts", BACKUP]],
            );
            const restoring = played.find((p) => p.mode === "restore")!;
            assert.deepEqual([restoring.apiReplicas, restoring.apiPods], [0, 0], "no api pod runs while the restore runs, though its HPA's minimum is 2 and the HPA controller had looked");
            assert.equal(played[0].apiReplicas, 2, "the plan runs before the api is stopped");
            // The migrations ran again, from the deployed Job's spec, to completion by the real Job controller.
            const migrationsAfter = await jobs("app.kubernetes.io/name=migrations");
            assert.equal(migrationsAfter.length, migrationsBefore.length + 1);
            const rerun = migrationsAfter.find((job) => job.metadata.name === result.jobs.migrations)!;
            assert.equal(rerun.metadata.annotations?.["nsip.dev/rerun-of"], migrationsBefore[0].metadata.name);
            assert.deepEqual(rerun.spec.template.spec.containers.map((c) => c.image), migrationsBefore[0].spec.template.spec.containers.map((c) => c.image));
            assert.ok(rerun.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True"));
            // The restore Job came from the template: same pod, the chosen backup set.
            const restoreJob = (await client().get<Job>("batch/v1", "Job", namespace, result.jobs.restore))!;
            assert.equal(restoreJob.spec.template.spec.containers[0].env?.find((e) => e.name === "RESTORE_FROM")?.value, BACKUP);
            assert.equal(await apiReplicas(), 2, "the api is back at its previous scale");
            await apiReady(2);
            assert.deepEqual(result.tables, plan.backup.tables);
            assert.equal(result.safetyDumpClaim, "postgres-restore-safety");
            assert.equal(result.safetyDump, SAFETY_DUMP, "the safety dump the restore Job reported");
            assert.equal((restoreJob.spec.template.spec as { affinity?: unknown }).affinity, undefined, "no pod holds its claims: the scheduler chooses the node");
            assert.deepEqual([...new Set(played.map((p) => p.source))], ["backups"]);
        });

        it("a running pod holding the backup claim (a PVC-target backup): every restore Job is pinned to its node", async function () {
            interface CronJob extends KubeObject {
                spec: { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } };
            }
            interface Holder extends KubeObject {
                spec: { nodeName?: string };
                status?: { phase?: string };
            }
            interface PinnedJob extends KubeObject {
                spec: { template: { spec: { affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: unknown[] } } } } } };
            }
            // A backup pod that keeps running (kwok completes Job pods; a bare pod stays up), with the CronJob's own pod spec.
            const backupPod = (await client().get<CronJob>("batch/v1", "CronJob", namespace, "postgres-backup"))!.spec.jobTemplate.spec.template.spec;
            const holder = "backup-holder";
            await client().call("POST", `/api/v1/namespaces/${namespace}/pods`, { apiVersion: "v1", kind: "Pod", metadata: { name: holder }, spec: { ...backupPod, restartPolicy: "Never" } });
            try {
                let node = "";
                await waitFor("the holder pod to run on a node", READY_TIMEOUT_MS, async () => {
                    const pod = await client().get<Holder>("v1", "Pod", namespace, holder);
                    node = pod?.spec.nodeName ?? "";
                    return pod?.status?.phase === "Running" && node !== "";
                }, 500);
                const lines: string[] = [];
                const result = await run({ from: BACKUP }, lines);
                assert.deepEqual(played.map((p) => p.mode), ["plan", "restore", "facts"]);
                for (const job of [result.jobs.plan, result.jobs.restore, result.jobs.verify]) {
                    const affinity = (await client().get<PinnedJob>("batch/v1", "Job", namespace, job))!.spec.template.spec.affinity;
                    assert.deepEqual(affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [{ matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] }], job);
                }
                assert.ok(lines.includes(`${holder} on node ${node} holds a claim the restore Job mounts: it runs on that node too.`), lines.join("\n"));
            } finally {
                await client().call("DELETE", `/api/v1/namespaces/${namespace}/pods/${holder}?gracePeriodSeconds=0`);
            }
            await apiReady(2);
        });

        it("--safety undoes a restore: every Job reads the safety claim, and the undo keeps a safety dump of its own", async function () {
            const undo = SAFETY_DUMP;
            const undoneBy = "20261202T060000Z";
            script = (mode, from, source) =>
                mode === "plan"
                    ? { exitCode: 0, message: JSON.stringify({ ...plan, backup: { ...plan.backup, name: from, createdAt: "2026-12-02T05:00:00Z" } }) }
                    : mode === "restore"
                      ? { exitCode: 0, message: JSON.stringify({ restored: from, safetyDump: undoneBy, tables: plan.backup.tables }) }
                      : succeeds(mode, from, source);
            const lines: string[] = [];
            const questions: string[] = [];
            const result = await run({ yes: false, source: "safety", from: undo, confirm: async (question) => (questions.push(question), true) }, lines);
            assert.deepEqual(
                played.map((p) => [p.mode, p.from, p.source]),
                [["plan", undo, "safety"], ["restore", undo, "safety"], ["facts", undo, "safety"]],
            );
            assert.deepEqual(questions, [`Replace database nsip with safety dump ${undo}?`]);
            const shown = lines.join("\n");
            assert.match(shown, new RegExp(`^Checking safety dump ${undo} in claim postgres-restore-safety`, "m"));
            assert.match(shown, new RegExp(`^Safety dump ${undo}: taken 2026-12-02T05:00:00Z`, "m"));
            assert.match(shown, new RegExp(`^Done: ${undo} restored and verified; the database it replaced is safety dump ${undoneBy} in claim postgres-restore-safety \\(\`ops restore --safety --from ${undoneBy}\` puts it back\\)\\.$`, "m"));
            assert.equal(result.safetyDump, undoneBy);
            const restoreJob = (await client().get<Job>("batch/v1", "Job", namespace, result.jobs.restore))!;
            assert.equal(restoreJob.metadata.annotations?.["nsip.dev/restore-source"], "safety");
            assert.equal(await apiReplicas(), 2, "the api is back at its previous scale");
            await apiReady(2);
        });

        it("rows that differ after the restore committed: exit 13, and the message names the safety dump that undoes it", async function () {
            script = (mode, from, source) =>
                mode === "facts" ? { exitCode: 0, message: JSON.stringify({ database: "nsip", sizeBytes: 50_000, tables: { ...plan.backup.tables, "public.images": 2 } }) } : succeeds(mode, from, source);
            const error = await rejection(run({ from: BACKUP }));
            assert.equal(error.exitCode, ExitCode.RestoreUnverified);
            assert.match(error.message, /these tables differ from its manifest after the migrations: public\.images 2 \(backup 3\)/);
            assert.match(error.message, new RegExp(`the database it replaced is safety dump ${SAFETY_DUMP} in claim postgres-restore-safety \\(\`ops restore --safety --from ${SAFETY_DUMP}\` puts it back\\)`));
            assert.equal(await apiReplicas(), 2, "the api is back at its previous scale");
            await apiReady(2);
        });

        it("a backup refused by the plan: the script's exit 3 and reason, the api never stopped", async function () {
            script = (mode) =>
                mode === "plan"
                    ? { exitCode: 3, message: `2026-12-02T05:00:00Z ERROR: refused: ${BACKUP}.dump does not match its sha256 (corrupt)\n` }
                    : assert.fail(`no ${mode} Job after a refusal`);
            const error = await rejection(run({ from: BACKUP }));
            assert.equal(error.exitCode, ExitCode.RestoreRefused);
            assert.match(error.message, /^backup refused, the database was not touched: refused: 20261201T030000Z\.dump does not match its sha256 \(corrupt\)/);
            assert.deepEqual(played.map((p) => p.mode), ["plan"]);
            assert.equal(await apiReplicas(), 2);
        });

        it("a restore Job that fails: the error names the refusal, and the api is back at its previous scale", async function () {
            script = (mode, from, source) =>
                mode === "restore"
                    ? { exitCode: 3, message: `2026-12-02T05:00:00Z backup check\n2026-12-02T05:00:01Z ERROR: refused: backup ${from} not found in /backups\n` }
                    : succeeds(mode, from, source);
            const error = await rejection(run({}));
            assert.equal(error.exitCode, ExitCode.RestoreRefused);
            assert.match(error.message, /backup refused, the database was not touched: refused: backup 20261201T030000Z not found in \/backups/);
            // "latest" went to the plan; the restore was given the backup the plan resolved, never "latest" again.
            assert.deepEqual(played.map((p) => [p.mode, p.from]), [["plan", "latest"], ["restore", BACKUP]]);
            assert.equal(played[1].apiReplicas, 0);
            assert.equal(await apiReplicas(), 2, "the api is back at its previous scale");
            await apiReady(2);
        });
    });
}
