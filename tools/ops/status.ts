import type * as k8s from "@kubernetes/client-node";
import { backupMaxAgeSeconds } from "../../components/services/postgres/backup-freshness";
import type { OpsContext } from "./commands";
import { ExitCode } from "./errors";
import { formatAge, formatBytes, parseQuantity, table } from "./format";
import { Kube, Workload } from "./kube";

/** The backup CronJob's name (components/services/postgres/backup.ts BACKUP_NAME). */
export const BACKUP_CRONJOB = "postgres-backup";

export interface WorkloadRow {
    workload: string;
    ready: number;
    desired: number;
    updated: number;
    rollout: "complete" | "progressing";
}

/** Ready/desired and whether the controller has finished rolling out the current template. */
export function workloadRow(workload: Workload): WorkloadRow {
    const { object } = workload;
    const desired = object.spec?.replicas ?? 1;
    const status = object.status;
    const ready = status?.readyReplicas ?? 0;
    const updated = status?.updatedReplicas ?? 0;
    const observed = (status?.observedGeneration ?? 0) >= (object.metadata?.generation ?? 0);
    const revisionsMatch = workload.kind === "StatefulSet" ? (object as k8s.V1StatefulSet).status?.currentRevision === (object as k8s.V1StatefulSet).status?.updateRevision : true;
    const available = workload.kind === "Deployment" ? ((object as k8s.V1Deployment).status?.availableReplicas ?? 0) >= desired : true;
    const settled = (status?.replicas ?? 0) === desired;
    const complete = observed && updated === desired && ready === desired && available && revisionsMatch && settled;
    return { workload: `${workload.kind}/${workload.name}`, ready, desired, updated, rollout: complete ? "complete" : "progressing" };
}

export interface BackupFreshness {
    schedule: string;
    lastSuccess?: Date;
    ageMs?: number;
    allowedMs: number;
    /** Fresh: the last success is within what the schedule allows (the BackupTooOld alert's threshold). */
    state: "fresh" | "stale" | "none yet" | "never";
}

/** The CronJob's status.lastSuccessfulTime against the schedule's allowed age (components/services/postgres/backup-freshness.ts). */
export function backupFreshness(cronJob: k8s.V1CronJob, now: Date): BackupFreshness {
    const schedule = cronJob.spec?.schedule ?? "";
    const allowedMs = backupMaxAgeSeconds(schedule) * 1000;
    const last = cronJob.status?.lastSuccessfulTime;
    if (last === undefined) {
        const created = cronJob.metadata?.creationTimestamp;
        const young = created !== undefined && now.getTime() - new Date(created).getTime() < allowedMs;
        return { schedule, allowedMs, state: young ? "none yet" : "never" };
    }
    const lastSuccess = new Date(last);
    const ageMs = now.getTime() - lastSuccess.getTime();
    return { schedule, lastSuccess, ageMs, allowedMs, state: ageMs <= allowedMs ? "fresh" : "stale" };
}

export function describeBackup(freshness: BackupFreshness | undefined): string {
    if (freshness === undefined) {
        return `last backup: no ${BACKUP_CRONJOB} CronJob (backups are off: nsip:backup.enabled)`;
    }
    const allowed = `allowed ${formatAge(freshness.allowedMs)} by schedule "${freshness.schedule}"`;
    switch (freshness.state) {
        case "fresh":
        case "stale":
            return `last backup: ${freshness.lastSuccess?.toISOString()} (${formatAge(freshness.ageMs ?? 0)} ago, ${freshness.state}, ${allowed})`;
        case "none yet":
            return `last backup: none yet (the CronJob is younger than the ${allowed})`;
        case "never":
            return `last backup: NEVER succeeded (${allowed})`;
    }
}

interface VolumeUsage {
    usedBytes?: number;
    capacityBytes?: number;
}

/**
 * PVC usage from the kubelets' stats summary (`/api/v1/nodes/<node>/proxy/stats/summary`, what `kubectl df-pv`
 * reads): for each node running a pod that mounts a claim, the volume's usedBytes. Nodes that do not answer
 * (no nodes/proxy permission, a kubelet without the summary API) leave the claim's usage unknown.
 */
async function claimUsage(kube: Kube, pods: k8s.V1Pod[]): Promise<Map<string, VolumeUsage>> {
    const nodes = new Set(pods.filter((pod) => (pod.spec?.volumes ?? []).some((volume) => volume.persistentVolumeClaim !== undefined)).map((pod) => pod.spec?.nodeName ?? ""));
    nodes.delete("");
    const usage = new Map<string, VolumeUsage>();
    for (const node of nodes) {
        try {
            const response = await kube.rawGet(`${kube.server.replace(/\/$/, "")}/api/v1/nodes/${node}/proxy/stats/summary`, 10_000);
            if (response.status !== 200) {
                continue;
            }
            const summary = JSON.parse(response.body) as { pods?: { volume?: { pvcRef?: { name?: string; namespace?: string }; usedBytes?: number; capacityBytes?: number }[] }[] };
            for (const volume of (summary.pods ?? []).flatMap((pod) => pod.volume ?? [])) {
                if (volume.pvcRef?.namespace === kube.namespace && volume.pvcRef.name !== undefined) {
                    usage.set(volume.pvcRef.name, { usedBytes: volume.usedBytes, capacityBytes: volume.capacityBytes });
                }
            }
        } catch {
            // Unknown usage is shown as such.
        }
    }
    return usage;
}

export async function status(context: OpsContext): Promise<number> {
    const { kube, label } = context.stack;
    const namespace = kube.namespace;
    const out = context.io.stdout;
    const [workloads, hpas, claims, pods, cronJob] = await Promise.all([
        kube.workloads(),
        kube.call(`list HorizontalPodAutoscalers in ${namespace}`, () => kube.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })),
        kube.call(`list PersistentVolumeClaims in ${namespace}`, () => kube.core.listNamespacedPersistentVolumeClaim({ namespace })),
        kube.call(`list pods in ${namespace}`, () => kube.core.listNamespacedPod({ namespace })),
        kube.optional(`read CronJob ${BACKUP_CRONJOB}`, () => kube.batch.readNamespacedCronJob({ name: BACKUP_CRONJOB, namespace })),
    ]);
    out.write(`stack ${label}, namespace ${namespace}, cluster ${kube.server}\n\n`);
    const rows = workloads.map(workloadRow);
    out.write(table(["WORKLOAD", "READY", "UP-TO-DATE", "ROLLOUT"], rows.map((row) => [row.workload, `${row.ready}/${row.desired}`, String(row.updated), row.rollout])));
    out.write("\n");
    if (hpas.items.length === 0) {
        out.write("HPAs: none\n");
    } else {
        out.write(
            table(
                ["HPA", "TARGET", "CURRENT", "MIN", "MAX"],
                hpas.items.map((hpa) => [
                    hpa.metadata?.name ?? "",
                    `${hpa.spec?.scaleTargetRef.kind}/${hpa.spec?.scaleTargetRef.name}`,
                    String(hpa.status?.currentReplicas ?? 0),
                    String(hpa.spec?.minReplicas ?? 1),
                    String(hpa.spec?.maxReplicas ?? ""),
                ]),
            ),
        );
    }
    if (claims.items.length > 0) {
        const usage = await claimUsage(kube, pods.items);
        out.write("\n");
        out.write(
            table(
                ["PVC", "STATUS", "CAPACITY", "USED"],
                claims.items.map((claim) => {
                    const name = claim.metadata?.name ?? "";
                    const capacity = claim.status?.capacity?.["storage"] ?? claim.spec?.resources?.requests?.["storage"] ?? "?";
                    const used = usage.get(name);
                    const capacityBytes = used?.capacityBytes ?? parseQuantity(capacity);
                    const usedText =
                        used?.usedBytes === undefined
                            ? "unknown (no kubelet stats)"
                            : `${formatBytes(used.usedBytes)}${Number.isFinite(capacityBytes) && capacityBytes > 0 ? ` (${Math.round((100 * used.usedBytes) / capacityBytes)}%)` : ""}`;
                    return [name, claim.status?.phase ?? "?", capacity, usedText];
                }),
            ),
        );
    }
    const freshness = cronJob === undefined ? undefined : backupFreshness(cronJob, context.now());
    out.write(`\n${describeBackup(freshness)}\n`);
    const notReady = rows.filter((row) => row.rollout !== "complete");
    const staleBackup = freshness?.state === "stale" || freshness?.state === "never";
    if (notReady.length > 0 || staleBackup) {
        const reasons = [...(notReady.length > 0 ? [`not rolled out: ${notReady.map((row) => row.workload).join(", ")}`] : []), ...(staleBackup ? ["the last backup is too old"] : [])];
        context.io.stderr.write(`ops status: ${reasons.join("; ")}\n`);
        return ExitCode.Unhealthy;
    }
    return ExitCode.Ok;
}

/** The HTTP endpoint a Service's pods are probed on: the readiness probe's httpGet, mapped to the Service port. */
export interface HealthEndpoint {
    /** The Service port, and the pod's port behind it (what NetworkPolicies name). */
    port: number;
    containerPort: number;
    path: string;
}

/** Only the service's own container counts (named like the workload, else the first): a sidecar's endpoint (an exporter's) is not the service's health. */
export function healthEndpoint(service: k8s.V1Service, template: k8s.V1PodTemplateSpec | undefined, workloadName: string): HealthEndpoint | undefined {
    const containers = template?.spec?.containers ?? [];
    const main = containers.find((container) => container.name === workloadName) ?? containers[0];
    for (const container of main === undefined ? [] : [main]) {
        const probe = container.readinessProbe?.httpGet;
        if (probe === undefined) {
            continue;
        }
        const containerPort =
            typeof probe.port === "number" ? probe.port : (container.ports ?? []).find((port) => port.name === probe.port)?.containerPort ?? Number(probe.port);
        const servicePort = (service.spec?.ports ?? []).find(
            (port) => port.targetPort === containerPort || port.targetPort === probe.port || (port.targetPort === undefined && port.port === containerPort),
        );
        if (servicePort !== undefined) {
            return { port: servicePort.port, containerPort, path: probe.path ?? "/" };
        }
    }
    return undefined;
}
