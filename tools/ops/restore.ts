import type * as k8s from "@kubernetes/client-node";
import { randomBytes } from "crypto";
import * as readline from "readline";
import { BACKUP_NAME_PATTERN, RESTORE_CONTAINER, RESTORE_NAME, RESTORE_PEER, RESTORE_SAFETY_CLAIM, RestoreMode, RestoreSource } from "../../components/services/postgres/restore-names";
import { BackupEntry, createJob, jobFromCronJob, jobOutcome, LISTING_JOB, runListing, stamp, waitForJob } from "./backups";
import { ExitCode, ExitCodeValue, OpsError } from "./errors";
import { formatAge, formatBytes } from "./format";
import { Kube, messageOf } from "./kube";

/**
 * `ops restore`: puts a PostgreSQL backup back, through the Kubernetes API only.
 *
 *   1. plan     a Job from the `postgres-restore` template verifies the backup (missing, truncated, corrupt: refused,
 *               exit 3) and reports what the database holds now; nothing is changed
 *   2. confirm  the plan is shown; a terminal prompt, or --yes; without either nothing is created at all (exit 14)
 *   3. stop     the api Deployment is scaled to 0 (an HPA stops scaling a target at 0 replicas) and its pods are gone
 *   4. restore  a Job takes the safety dump (claim postgres-restore-safety), then restores in one transaction
 *   5. migrate  the migration Job is created again from the deployed one's spec
 *   6. verify   a Job counts the rows again; every table of the backup must hold the rows its manifest records
 *   7. start    the api goes back to its previous replicas, in a `finally`: also when 4-6 fail
 *
 * With `source: "safety"` the same flow restores one of the safety dumps earlier restores took: the undo of a restore.
 */

export interface RestoreOptions {
    /** A backup name (20261202T030000Z); undefined restores the newest complete backup. */
    from?: string;
    /** The backup store (default), or the safety dumps earlier restores took (`ops restore --safety`: an undo). */
    source?: RestoreSource;
    /** Skip the prompt (scripts, CI). */
    yes: boolean;
    /** Asks the operator; present only when there is a terminal (see `terminalConfirm`). */
    confirm?: (question: string) => Promise<boolean>;
    /** Where progress and the plan go, line by line. */
    out: (line: string) => void;
    /** The api Deployment to stop; default `api`. */
    apiDeployment?: string;
    /** Bounds of the waits; defaults fit a real cluster (the restore Job's own deadline is 3 h). */
    timeouts?: Partial<RestoreTimeouts>;
}

export interface RestoreTimeouts {
    /** A plan, restore or verify Job. */
    jobMs: number;
    /** The api's pods going away, and coming back ready. */
    rolloutMs: number;
    pollMs: number;
}

const DEFAULT_TIMEOUTS: RestoreTimeouts = { jobMs: 3 * 3600_000 + 600_000, rolloutMs: 600_000, pollMs: 2000 };

/** A backup's manifest, as pg-backup.sh writes it. */
export interface BackupManifest {
    name: string;
    createdAt: string;
    database: string;
    sizeBytes: number;
    tables: Record<string, number>;
}

/** pg-restore.sh facts: what the database holds. */
export interface DatabaseFacts {
    database: string;
    sizeBytes: number;
    tables: Record<string, number>;
}

export interface RestorePlan {
    backup: BackupManifest;
    current: DatabaseFacts;
}

export interface RestoreResult {
    plan: RestorePlan;
    /** Rows per table after the restore and the migrations. */
    tables: Record<string, number>;
    /** The claim holding the safety dump of the database that was replaced. */
    safetyDumpClaim: string;
    /** That safety dump's name: `ops restore --safety --from <it>` puts the replaced database back. */
    safetyDump: string;
    /** The api's replicas before (and again after) the restore. */
    apiReplicas: number;
    jobs: { plan: string; restore: string; migrations: string; verify: string };
}

/** A confirm callback on an interactive terminal, or undefined (then only --yes can confirm). */
export function terminalConfirm(input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin, output: NodeJS.WritableStream = process.stdout): RestoreOptions["confirm"] {
    if (input.isTTY !== true) return undefined;
    return (question) =>
        new Promise((resolve) => {
            const prompt = readline.createInterface({ input, output });
            prompt.question(`${question} [y/N] `, (answer) => {
                prompt.close();
                resolve(/^y(es)?$/i.test(answer.trim()));
            });
        });
}

type CronJob = k8s.V1CronJob;
type Job = k8s.V1Job;

/**
 * Exit codes of a restore (errors.ts; README, Operations): `RestoreRefused`, `SafetyDumpFailed`, `RestoreRolledBack` and
 * `RestoreUnverified` are pg-restore.sh's exits 3-6; `ConfirmationNeeded` and `Declined` change nothing; a missing
 * template or migration Job is `NotFound`, a wait that runs out `Timeout`; the cluster's own errors as every command's.
 */
export async function restore(kube: Kube, options: RestoreOptions): Promise<RestoreResult> {
    const { out } = options;
    const namespace = kube.namespace;
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const apiName = options.apiDeployment ?? "api";
    const source = options.source ?? "backups";
    const what = source === "safety" ? "safety dump" : "backup";
    if (options.from !== undefined && !BACKUP_NAME_PATTERN.test(options.from)) {
        const listing = source === "safety" ? "ops backups --safety" : "ops backups";
        throw new OpsError(ExitCode.Usage, `--from must be a ${what} name like 20261202T030000Z (see \`${listing}\`), not "${options.from}"`);
    }
    if (!options.yes && !options.confirm) {
        throw new OpsError(ExitCode.ConfirmationNeeded, "a restore replaces the whole database: run it on a terminal to confirm, or pass --yes. Nothing was done.");
    }

    const jobs = new JobRunner(kube, timeouts, out);

    // Everything the restore needs, checked before anything is created.
    const template = await readRestoreTemplate(kube);
    await refuseConcurrentRestore(kube);
    const migrations = await latestMigrationJob(kube);
    const apiScale = await kube.optional(`read the scale of Deployment ${apiName}`, () => kube.apps.readNamespacedDeploymentScale({ name: apiName, namespace }));
    if (!apiScale) throw new OpsError(ExitCode.NotFound, `no Deployment ${apiName} in namespace ${namespace} to stop during the restore`);
    const apiReplicas = apiScale.spec?.replicas ?? 0;

    out(`Checking ${what} ${options.from ?? "(latest)"}${source === "safety" ? ` in claim ${RESTORE_SAFETY_CLAIM}` : ""} in the cluster...`);
    const planJob = await jobs.fromTemplate(template, { mode: "plan", from: options.from ?? "latest", source });
    const plan = parsePlan(await jobs.result(planJob, `checking the ${what}`), planJob);
    for (const line of describePlan(plan, new Date(), source)) out(line);

    if (!options.yes) {
        const confirmed = await options.confirm!(`Replace database ${plan.current.database} with ${what} ${plan.backup.name}?`);
        if (!confirmed) throw new OpsError(ExitCode.Declined, "not confirmed: nothing was changed");
    }

    out(`Stopping the api (${apiReplicas} replica(s) now) so nothing writes during the restore...`);
    let restoreJob = "";
    let migrationJob = "";
    let verifyJob = "";
    let tables: Record<string, number> = {};
    let safetyDump = "";
    let failure: unknown;
    try {
        await scaleDeployment(kube, apiName, 0, timeouts);
        out(`Restoring ${plan.backup.name}: safety dump into claim ${RESTORE_SAFETY_CLAIM} first, then one transaction...`);
        restoreJob = await jobs.fromTemplate(template, { mode: "restore", from: plan.backup.name, source });
        safetyDump = parseJson<{ safetyDump?: string }>(await jobs.result(restoreJob, "restoring"), restoreJob).safetyDump ?? "";
        out(`Restored; the database it replaced is safety dump ${safetyDump}. Running the migrations...`);
        migrationJob = await jobs.rerun(migrations, "restore");
        await jobs.result(migrationJob, "running the migrations after the restore");
        out("Verifying the restored rows...");
        verifyJob = await jobs.fromTemplate(template, { mode: "facts", from: plan.backup.name, source });
        const facts = parseJson<DatabaseFacts>(await jobs.result(verifyJob, "verifying"), verifyJob);
        tables = facts.tables;
        const differing = Object.entries(plan.backup.tables).filter(([table, rows]) => tables[table] !== rows);
        if (differing.length > 0) {
            throw new OpsError(
                ExitCode.RestoreUnverified,
                `restored ${plan.backup.name}, but these tables differ from its manifest after the migrations: ${differing.map(([table, rows]) => `${table} ${tables[table] ?? "missing"} (backup ${rows})`).join(", ")}`,
            );
        }
    } catch (error) {
        // After the restore committed, the way back is the safety dump it took.
        failure = safetyDump === "" ? error : new OpsError(exitCodeOf(error), `${messageOf(error)}; ${undoHint(safetyDump)}`);
    }
    // Always: a failed restore leaves the database as it was, and the api must run again either way.
    out(`Bringing the api back to ${apiReplicas} replica(s)...`);
    try {
        await scaleDeployment(kube, apiName, apiReplicas, timeouts);
    } catch (error) {
        const restart = `the api could not be brought back to ${apiReplicas} replica(s): ${messageOf(error)}; run \`kubectl -n ${namespace} scale deployment/${apiName} --replicas=${apiReplicas}\``;
        if (failure === undefined) throw new OpsError(exitCodeOf(error), restart);
        throw new OpsError(exitCodeOf(failure), `${messageOf(failure)}; and ${restart}`);
    }
    if (failure !== undefined) throw failure;
    out(`Done: ${plan.backup.name} restored and verified; ${undoHint(safetyDump)}.`);
    return { plan, tables, safetyDumpClaim: RESTORE_SAFETY_CLAIM, safetyDump, apiReplicas, jobs: { plan: planJob, restore: restoreJob, migrations: migrationJob, verify: verifyJob } };
}

function undoHint(safetyDump: string): string {
    if (safetyDump === "") return `the database it replaced is the newest safety dump in claim ${RESTORE_SAFETY_CLAIM} (\`ops backups --safety\` lists them)`;
    return `the database it replaced is safety dump ${safetyDump} in claim ${RESTORE_SAFETY_CLAIM} (\`ops restore --safety --from ${safetyDump}\` puts it back)`;
}

/** `ops backups --safety`: the safety dumps restores took, listed by a Job from the restore template (which mounts their claim). */
export async function listSafetyDumps(kube: Kube, timeoutSeconds: number): Promise<BackupEntry[]> {
    const template = await readRestoreTemplate(kube);
    const name = `${RESTORE_NAME}-list-${stamp(new Date()).toLowerCase()}-${randomBytes(2).toString("hex")}`;
    const holder = await nodeHoldingClaims(kube, template);
    const job = restoreJob(template, name, { mode: "list", from: "latest", source: "safety" }, LISTING_JOB, holder?.node);
    return runListing(kube, job, RESTORE_CONTAINER, timeoutSeconds);
}

/**
 * The node where a running pod holds a claim the restore pod mounts. The claims are ReadWriteOnce, attached to one node
 * at a time: on a multi-node cluster a restore pod placed elsewhere waits until that pod ends (a backup on the PVC
 * target holds the backup claim for minutes). Pinned to that node, it starts at once.
 */
export async function nodeHoldingClaims(kube: Kube, template: CronJob): Promise<{ node: string; pods: string[] } | undefined> {
    const volumes = template.spec?.jobTemplate.spec?.template.spec?.volumes ?? [];
    const claims = new Set(volumes.flatMap((volume) => (volume.persistentVolumeClaim ? [volume.persistentVolumeClaim.claimName] : [])));
    if (claims.size === 0) return undefined;
    const pods = (await kube.call("list the pods", () => kube.core.listNamespacedPod({ namespace: kube.namespace }))).items;
    const holders = pods.filter(
        (pod) =>
            pod.spec?.nodeName !== undefined &&
            !["Succeeded", "Failed"].includes(pod.status?.phase ?? "") &&
            (pod.spec.volumes ?? []).some((volume) => volume.persistentVolumeClaim !== undefined && claims.has(volume.persistentVolumeClaim.claimName)),
    );
    const nodes = [...new Set(holders.map((pod) => pod.spec!.nodeName!))];
    // Holders on two nodes cannot both have a ReadWriteOnce claim attached: nothing to follow then.
    return nodes.length === 1 ? { node: nodes[0]!, pods: holders.map((pod) => pod.metadata?.name ?? "") } : undefined;
}

async function readRestoreTemplate(kube: Kube): Promise<CronJob> {
    const template = await kube.optional(`read CronJob ${RESTORE_NAME}`, () => kube.batch.readNamespacedCronJob({ name: RESTORE_NAME, namespace: kube.namespace }));
    if (!template) throw new OpsError(ExitCode.NotFound, `no restore template (CronJob ${RESTORE_NAME}) in namespace ${kube.namespace}: is nsip:backup.enabled true, and the stack deployed?`);
    return template;
}

/** What a Job from the restore template does: pg-restore-job.sh's RESTORE_MODE, RESTORE_FROM and RESTORE_SOURCE. */
interface RestoreStep {
    mode: RestoreMode;
    from: string;
    source: RestoreSource;
}

/**
 * What `kubectl create job --from=cronjob/postgres-restore` does, with the step set on every container that reads it,
 * and pinned to `node` when one is given (see `nodeHoldingClaims`).
 */
export function restoreJob(template: CronJob, name: string, step: RestoreStep, extra: Partial<k8s.V1JobSpec> = {}, node?: string): Job {
    const values: Record<string, string> = { RESTORE_MODE: step.mode, RESTORE_FROM: step.from, RESTORE_SOURCE: step.source };
    const setEnv = (container: k8s.V1Container): k8s.V1Container => ({
        ...container,
        env: (container.env ?? []).map((env) => (values[env.name] === undefined ? env : { name: env.name, value: values[env.name] })),
    });
    const onNode = (pod: k8s.V1PodSpec): k8s.V1PodSpec =>
        node === undefined
            ? pod
            : {
                  ...pod,
                  affinity: {
                      ...pod.affinity,
                      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] }] } },
                  },
              };
    const job = jobFromCronJob(template, name, (pod) => onNode({ ...pod, initContainers: pod.initContainers?.map(setEnv), containers: pod.containers.map(setEnv) }), extra);
    job.metadata = {
        ...job.metadata,
        labels: { ...job.metadata?.labels, "nsip.dev/restore-mode": step.mode },
        annotations: { ...job.metadata?.annotations, "nsip.dev/restore-from": step.from, "nsip.dev/restore-source": step.source },
    };
    return job;
}

/** The plan as the operator reads it: the backup's time, the database's size, rows now and in the backup. */
export function describePlan(plan: RestorePlan, now: Date, source: RestoreSource = "backups"): string[] {
    const age = formatAge(now.getTime() - new Date(plan.backup.createdAt).getTime());
    const lines = [
        `${source === "safety" ? "Safety dump" : "Backup"} ${plan.backup.name}: taken ${plan.backup.createdAt} (${age} ago), ${formatBytes(plan.backup.sizeBytes)} compressed, verified against its manifest.`,
        `It replaces the whole database ${plan.current.database} (${formatBytes(plan.current.sizeBytes)} now).`,
    ];
    const names = [...new Set([...Object.keys(plan.current.tables), ...Object.keys(plan.backup.tables)])].sort();
    const width = Math.max(5, ...names.map((name) => name.length));
    lines.push(`  ${"table".padEnd(width)}  ${"rows now".padStart(10)}  ${"in backup".padStart(10)}`);
    for (const name of names) {
        const rows = (value: number | undefined) => (value === undefined ? "-" : String(value)).padStart(10);
        lines.push(`  ${name.padEnd(width)}  ${rows(plan.current.tables[name])}  ${rows(plan.backup.tables[name])}`);
    }
    return lines;
}

/** Creates restore Jobs from the template and the migration Job from its deployed twin, and reads their results. */
class JobRunner {
    private readonly suffix = `${stamp(new Date()).toLowerCase()}-${randomBytes(2).toString("hex")}`;

    constructor(
        private readonly kube: Kube,
        private readonly timeouts: RestoreTimeouts,
        private readonly out: (line: string) => void,
    ) {}

    async fromTemplate(template: CronJob, step: RestoreStep): Promise<string> {
        const name = `${RESTORE_NAME}-${step.mode}-${this.suffix}`;
        const holder = await nodeHoldingClaims(this.kube, template);
        if (holder !== undefined) this.out(`${holder.pods.join(", ")} on node ${holder.node} ${holder.pods.length === 1 ? "holds" : "hold"} a claim the ${step.mode} Job mounts: it runs on that node too.`);
        await createJob(this.kube, restoreJob(template, name, step, {}, holder?.node));
        return name;
    }

    /** The migration Job again: its deployed spec without what the Job controller added (selector, controller-uid labels). */
    async rerun(source: Job, purpose: string): Promise<string> {
        const strip = (labels: Record<string, string> | undefined) =>
            Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !["controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name"].includes(key)));
        const { selector: _selector, manualSelector: _manual, template, ...spec } = source.spec!;
        const name = `${source.metadata!.name!.slice(0, 63 - purpose.length - this.suffix.length - 2)}-${purpose}-${this.suffix}`;
        await createJob(this.kube, {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: { name, namespace: this.kube.namespace, labels: strip(source.metadata!.labels), annotations: { "nsip.dev/rerun-of": source.metadata!.name! } },
            spec: { ...spec, template: { ...template, metadata: { ...template.metadata, labels: strip(template.metadata?.labels) } } },
        });
        return name;
    }

    /** Waits for the Job to finish; its restore container's termination message on success, an OpsError otherwise. */
    async result(name: string, doing: string): Promise<string> {
        const outcome = await waitForJob(this.kube, name, this.timeouts.jobMs / 1000, undefined, this.timeouts.pollMs);
        const pods = (await this.kube.call(`list the pods of Job ${name}`, () => this.kube.core.listNamespacedPod({ namespace: this.kube.namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` }))).items;
        const statuses = pods.flatMap((pod) => [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]);
        if (outcome.state === "complete") {
            return statuses.find((status) => status.name === RESTORE_CONTAINER)?.state?.terminated?.message ?? "";
        }
        const failed = statuses.map((status) => status.state?.terminated).find((terminated) => terminated !== undefined && terminated.exitCode !== 0);
        if (failed === undefined) throw new OpsError(ExitCode.Failed, `${doing} failed: Job ${name}: ${outcome.reason || "no pod reported an exit code"}`);
        throw failureOf(failed.exitCode, scriptMessage(failed.message ?? failed.reason ?? ""), name, doing);
    }
}

/** pg-restore.sh's exit codes (3-6), as ops reports them: its own code and what the operator must know. */
const SCRIPT_EXITS: Record<number, [ExitCodeValue, string]> = {
    3: [ExitCode.RestoreRefused, "backup refused, the database was not touched"],
    4: [ExitCode.SafetyDumpFailed, "the safety dump failed, nothing was restored"],
    5: [ExitCode.RestoreRolledBack, "the restore failed and was rolled back, the database is as it was"],
    6: [ExitCode.RestoreUnverified, "restored, but the row counts differ from the backup's manifest"],
};

function failureOf(scriptExit: number, message: string, job: string, doing: string): OpsError {
    const known = SCRIPT_EXITS[scriptExit];
    return known ? new OpsError(known[0], `${known[1]}: ${message} (Job ${job})`) : new OpsError(ExitCode.Failed, `${doing} failed with exit code ${scriptExit}: ${message} (Job ${job})`);
}

/** The script's own ERROR line out of the log tail the kubelet keeps as the termination message. */
export function scriptMessage(tail: string): string {
    const errors = tail.split("\n").filter((line) => line.includes("ERROR: "));
    return errors.length > 0 ? errors[errors.length - 1].slice(errors[errors.length - 1].indexOf("ERROR: ") + "ERROR: ".length).trim() : tail.trim().split("\n").slice(-3).join(" | ");
}

/** Two restores at once would stop and start the api under each other: an unfinished restore Job (not a listing) blocks a new one. */
async function refuseConcurrentRestore(kube: Kube): Promise<void> {
    const list = await kube.call("list the restore Jobs", () =>
        kube.batch.listNamespacedJob({ namespace: kube.namespace, labelSelector: `app.kubernetes.io/name=${RESTORE_PEER},nsip.dev/restore-mode!=list` }),
    );
    const running = list.items.filter((job) => job.metadata?.deletionTimestamp === undefined && jobOutcome(job) === undefined).map((job) => job.metadata?.name ?? "");
    if (running.length > 0) {
        throw new OpsError(
            ExitCode.Failed,
            `another restore is in progress (unfinished Job ${running.join(", ")}); wait for it, or delete it if it is stale: kubectl -n ${kube.namespace} delete job ${running.join(" ")}`,
        );
    }
}

async function latestMigrationJob(kube: Kube): Promise<Job> {
    const namespace = kube.namespace;
    const list = await kube.call("list the migration Jobs", () => kube.batch.listNamespacedJob({ namespace, labelSelector: "app.kubernetes.io/name=migrations" }));
    const deployed = list.items.filter((job) => job.metadata?.annotations?.["nsip.dev/rerun-of"] === undefined);
    const newest = deployed.sort((a, b) => (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0)).pop();
    if (!newest) throw new OpsError(ExitCode.NotFound, `no migration Job in namespace ${namespace} (label app.kubernetes.io/name=migrations) to run after the restore: is the stack deployed?`);
    return newest;
}

/** Scales through the scale subresource and waits: to 0 until no pod is left, otherwise until all are ready. */
async function scaleDeployment(kube: Kube, name: string, replicas: number, timeouts: RestoreTimeouts): Promise<void> {
    const namespace = kube.namespace;
    const scale = await kube.call(`read the scale of Deployment ${name}`, () => kube.apps.readNamespacedDeploymentScale({ name, namespace }));
    if (scale.spec?.replicas !== replicas) {
        await kube.call(`scale Deployment ${name} to ${replicas}`, () => kube.apps.replaceNamespacedDeploymentScale({ name, namespace, body: { ...scale, spec: { replicas } } }));
    }
    const selector = scale.status?.selector ?? "";
    await poll(`Deployment ${name} to run ${replicas} ready replica(s)`, timeouts.rolloutMs, timeouts.pollMs, async () => {
        const deployment = await kube.call(`read Deployment ${name}`, () => kube.apps.readNamespacedDeployment({ name, namespace }));
        const status = deployment.status ?? {};
        if (replicas === 0) {
            const pods = (await kube.call(`list the pods of Deployment ${name}`, () => kube.core.listNamespacedPod({ namespace, labelSelector: selector }))).items;
            return (status.replicas ?? 0) === 0 && pods.length === 0 ? true : undefined;
        }
        const current = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
        return current && (status.readyReplicas ?? 0) >= replicas && (status.updatedReplicas ?? 0) >= replicas ? true : undefined;
    });
}

async function poll<T>(what: string, timeoutMs: number, intervalMs: number, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new OpsError(ExitCode.Timeout, `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}

function parsePlan(message: string, job: string): RestorePlan {
    const plan = parseJson<RestorePlan>(message, job);
    if (typeof plan.backup?.name !== "string" || typeof plan.current?.tables !== "object") {
        throw new OpsError(ExitCode.Failed, `Job ${job} reported no plan (backup and current database): ${message.slice(0, 200)}`);
    }
    return plan;
}

function parseJson<T>(message: string, job: string): T {
    try {
        return JSON.parse(message) as T;
    } catch {
        throw new OpsError(ExitCode.Failed, `Job ${job} finished, but its result is not the JSON pg-restore-job.sh writes: "${message.slice(0, 200)}"`);
    }
}

function exitCodeOf(error: unknown): ExitCodeValue {
    return error instanceof OpsError ? error.exitCode : ExitCode.Failed;
}
