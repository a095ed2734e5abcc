import type * as k8s from "@kubernetes/client-node";
import { Writable } from "stream";
import type { OpsContext } from "./commands";
import { ExitCode, OpsError } from "./errors";
import { formatAge, formatBytes, table } from "./format";
import { Kube } from "./kube";
import { BACKUP_CRONJOB } from "./status";

/**
 * `backup` and `backups` both start a Job from the postgres-backup CronJob, so they run with exactly the
 * pod the schedule runs (image, ServiceAccount, volumes, credentials, NetworkPolicy, Pod Security):
 * `backup` as is (what `kubectl create job --from=cronjob/postgres-backup` does), `backups` with the
 * backup container swapped for a one-line lister that prints the manifests the scripts wrote.
 */

export async function readBackupCronJob(kube: Kube): Promise<k8s.V1CronJob> {
    const cronJob = await kube.optional(`read CronJob ${BACKUP_CRONJOB}`, () => kube.batch.readNamespacedCronJob({ name: BACKUP_CRONJOB, namespace: kube.namespace }));
    if (cronJob === undefined) {
        throw new OpsError(ExitCode.NotFound, `no CronJob ${BACKUP_CRONJOB} in namespace ${kube.namespace}: backups are off for this stack (nsip:backup.enabled)`);
    }
    return cronJob;
}

/** 20261202T030405Z: sortable, and the form the backup names take. */
export function stamp(at: Date): string {
    return at.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** The Job `kubectl create job --from=cronjob/<name>` creates: the template's metadata and spec, owned by the CronJob. */
export function jobFromCronJob(cronJob: k8s.V1CronJob, name: string, podSpec?: (spec: k8s.V1PodSpec) => k8s.V1PodSpec, extra: Partial<k8s.V1JobSpec> = {}): k8s.V1Job {
    const template = cronJob.spec?.jobTemplate;
    const jobSpec = template?.spec;
    if (jobSpec === undefined || cronJob.metadata?.uid === undefined) {
        throw new OpsError(ExitCode.Failed, `CronJob ${cronJob.metadata?.name} has no job template`);
    }
    const podTemplate = jobSpec.template;
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name,
            labels: template?.metadata?.labels,
            annotations: { ...(template?.metadata?.annotations ?? {}), "cronjob.kubernetes.io/instantiate": "manual" },
            ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: cronJob.metadata.name ?? BACKUP_CRONJOB, uid: cronJob.metadata.uid, controller: true }],
        },
        spec: {
            ...jobSpec,
            ...extra,
            template: { ...podTemplate, spec: podSpec === undefined || podTemplate.spec === undefined ? podTemplate.spec : podSpec(podTemplate.spec) },
        },
    };
}

type JobOutcome = { state: "complete" } | { state: "failed"; reason: string };

export function jobOutcome(job: k8s.V1Job): JobOutcome | undefined {
    const conditions = job.status?.conditions ?? [];
    if (conditions.some((condition) => condition.type === "Complete" && condition.status === "True")) {
        return { state: "complete" };
    }
    const failed = conditions.find((condition) => condition.type === "Failed" && condition.status === "True");
    return failed === undefined ? undefined : { state: "failed", reason: `${failed.reason ?? "Failed"}: ${failed.message ?? ""}`.trim() };
}

export async function createJob(kube: Kube, job: k8s.V1Job): Promise<void> {
    await kube.call(`create Job ${job.metadata?.name}`, () => kube.batch.createNamespacedJob({ namespace: kube.namespace, body: job }));
}

export async function waitForJob(kube: Kube, name: string, timeoutSeconds: number, progress?: Writable, pollMs = 2000): Promise<JobOutcome> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    let lastActive = -1;
    for (;;) {
        const job = await kube.call(`read Job ${name}`, () => kube.batch.readNamespacedJob({ name, namespace: kube.namespace }));
        const outcome = jobOutcome(job);
        if (outcome !== undefined) {
            return outcome;
        }
        const active = job.status?.active ?? 0;
        if (progress !== undefined && active !== lastActive) {
            progress.write(`Job ${name}: ${active} pod(s) running\n`);
            lastActive = active;
        }
        if (Date.now() > deadline) {
            throw new OpsError(ExitCode.Timeout, `Job ${name} did not finish within ${formatAge(timeoutSeconds * 1000)} (it keeps running; check it with: npm run ops -- status)`);
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
}

export async function backup(context: OpsContext): Promise<number> {
    const { kube } = context.stack;
    const cronJob = await readBackupCronJob(kube);
    const name = `${BACKUP_CRONJOB}-manual-${stamp(context.now()).toLowerCase()}`;
    await createJob(kube, jobFromCronJob(cronJob, name));
    context.io.stdout.write(`Job ${name} created from CronJob ${BACKUP_CRONJOB}\n`);
    if (!context.args.wait) {
        return ExitCode.Ok;
    }
    const outcome = await waitForJob(kube, name, context.args.timeoutSeconds, context.io.stderr);
    if (outcome.state === "failed") {
        throw new OpsError(ExitCode.Failed, `backup Job ${name} failed (${outcome.reason}); its pods' logs: kubectl logs -n ${kube.namespace} job/${name} --all-containers`);
    }
    context.io.stdout.write(`backup Job ${name} complete\n`);
    return ExitCode.Ok;
}

/** The lister's container name and its one-line programs, per target. */
export const LISTER_CONTAINER = "list";
/** PVC target: one JSON line per manifest, by the scripts' own lister (pg-lib.sh). */
export const PVC_LIST_SCRIPT = '. /scripts/pg-lib.sh; list_manifests "$BACKUP_DIR"';

/**
 * The listing pod: the CronJob's pod with its backup container replaced by the lister. On a PVC target the
 * pg-dump container (which mounts the claim) runs the manifest loop; on S3 the upload container (which holds
 * the credentials) runs `s3-backup.sh list`, and the dump init container is dropped.
 */
export function listerPodSpec(spec: k8s.V1PodSpec): k8s.V1PodSpec {
    const onClaim = (spec.volumes ?? []).some((volume) => volume.persistentVolumeClaim !== undefined);
    const source = onClaim ? spec.containers.find((container) => container.name === "pg-dump") : spec.containers.find((container) => container.name === "upload");
    if (source === undefined) {
        throw new OpsError(ExitCode.Failed, `the ${BACKUP_CRONJOB} pod has no ${onClaim ? "pg-dump" : "upload"} container: is this stack's backup CronJob from an older release?`);
    }
    const command = onClaim ? ["sh", "-c", PVC_LIST_SCRIPT] : ["/scripts/s3-backup.sh", "list"];
    const lister: k8s.V1Container = { ...source, name: LISTER_CONTAINER, command, args: undefined };
    return { ...spec, initContainers: undefined, containers: [lister], restartPolicy: "Never" };
}

export interface BackupEntry {
    name: string;
    sizeBytes: number;
    /** When the backup was taken: from its name (UTC, 20261202T030000Z). */
    createdAt: Date;
}

/** The lister's output: JSON lines among the scripts' log lines (stderr shares the log). */
export function parseListing(text: string): BackupEntry[] {
    const entries: BackupEntry[] = [];
    for (const line of text.split("\n")) {
        const trimmed = line.trim();
        if (!trimmed.startsWith("{")) {
            continue;
        }
        let parsed: { name?: unknown; sizeBytes?: unknown };
        try {
            parsed = JSON.parse(trimmed) as typeof parsed;
        } catch {
            continue;
        }
        const createdAt = typeof parsed.name === "string" ? nameTime(parsed.name) : undefined;
        if (typeof parsed.name === "string" && typeof parsed.sizeBytes === "number" && createdAt !== undefined) {
            entries.push({ name: parsed.name, sizeBytes: parsed.sizeBytes, createdAt });
        }
    }
    return entries.sort((a, b) => b.name.localeCompare(a.name));
}

export function nameTime(name: string): Date | undefined {
    const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(name);
    return match === null ? undefined : new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`);
}

export function backupsTable(entries: readonly BackupEntry[], now: Date): string {
    return table(
        ["NAME", "CREATED", "AGE", "SIZE"],
        entries.map((entry) => [entry.name, entry.createdAt.toISOString(), formatAge(now.getTime() - entry.createdAt.getTime()), formatBytes(entry.sizeBytes)]),
    );
}

export async function backups(context: OpsContext): Promise<number> {
    const { kube } = context.stack;
    const cronJob = await readBackupCronJob(kube);
    const name = `${BACKUP_CRONJOB}-list-${stamp(context.now()).toLowerCase()}`;
    const entries = await runListing(kube, jobFromCronJob(cronJob, name, listerPodSpec, LISTING_JOB), LISTER_CONTAINER, context.args.timeoutSeconds);
    context.io.stdout.write(entries.length === 0 ? "no backups yet\n" : backupsTable(entries, context.now()));
    return ExitCode.Ok;
}

/** A listing Job: no retries, a short deadline, and gone a few minutes after it ends (kept that long for a look when it fails). */
export const LISTING_JOB: Partial<k8s.V1JobSpec> = { backoffLimit: 0, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 300 };

/** Creates the listing Job, waits for it, reads the backups its container printed (JSON lines in its log), deletes it. */
export async function runListing(kube: Kube, job: k8s.V1Job, container: string, timeoutSeconds: number): Promise<BackupEntry[]> {
    const name = job.metadata?.name ?? "";
    await createJob(kube, job);
    const outcome = await waitForJob(kube, name, timeoutSeconds);
    const pods = await kube.call(`list pods of Job ${name}`, () => kube.core.listNamespacedPod({ namespace: kube.namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` }));
    const pod = pods.items[0]?.metadata?.name;
    if (pod === undefined) {
        throw new OpsError(ExitCode.Failed, `Job ${name} has no pod to read the listing from`);
    }
    const chunks: Buffer[] = [];
    const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
            chunks.push(Buffer.from(chunk));
            done();
        },
    });
    await kube.logs({ pod, container }, sink);
    const output = Buffer.concat(chunks).toString("utf8");
    if (outcome.state === "failed") {
        throw new OpsError(ExitCode.Failed, `listing Job ${name} failed (${outcome.reason}):\n${output.trim()}`);
    }
    await kube.call(`delete Job ${name}`, () => kube.batch.deleteNamespacedJob({ name, namespace: kube.namespace, propagationPolicy: "Background" }));
    return parseListing(output);
}
