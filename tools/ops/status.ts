import type * as k8s from "@kubernetes/client-node";
import { backupMaxAgeSeconds } from "../../components/services/postgres/backup-freshness";
import type { OpsContext } from "./commands";
import { ExitCode } from "./errors";
import { formatAge, formatBytes, parseQuantity, table } from "./format";
import { Kube, messageOf, Workload } from "./kube";

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
    /** The Service port the proxy is asked for, and the pod's port behind it (what NetworkPolicies name). */
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

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
    return Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
}

/**
 * Whether the namespace's NetworkPolicies let the API server's proxy reach the pods on `port`. The proxy
 * connects from the control plane, not from a pod: only a policy-free pod, a rule with no `from`, or one
 * with an ipBlock admits it. The stack's policies admit the edge (nginx) from anywhere and nothing else
 * from outside the namespace, so the other services are not probed this way.
 */
export function proxyAdmitted(policies: k8s.V1NetworkPolicy[], podLabels: Record<string, string> | undefined, port: number): boolean {
    const selecting = policies.filter(
        (policy) => matches(policy.spec?.podSelector?.matchLabels, podLabels) && (policy.spec?.policyTypes ?? ["Ingress"]).includes("Ingress"),
    );
    if (selecting.length === 0) {
        return true;
    }
    return selecting.some((policy) =>
        (policy.spec?.ingress ?? []).some(
            (rule) =>
                ((rule.ports ?? []).length === 0 || (rule.ports ?? []).some((rulePort) => rulePort.port === undefined || rulePort.port === port)) &&
                ((rule._from ?? []).length === 0 || (rule._from ?? []).some((peer) => peer.ipBlock !== undefined)),
        ),
    );
}

export async function health(context: OpsContext): Promise<number> {
    const { kube } = context.stack;
    const namespace = kube.namespace;
    const [services, workloads, policies] = await Promise.all([
        kube.call(`list Services in ${namespace}`, () => kube.core.listNamespacedService({ namespace })),
        kube.workloads(),
        kube.call(`list NetworkPolicies in ${namespace}`, () => kube.networking.listNamespacedNetworkPolicy({ namespace })),
    ]);
    const rows: string[][] = [];
    let unhealthy = 0;
    for (const service of services.items) {
        const name = service.metadata?.name ?? "";
        const selector = service.spec?.selector;
        const workload = workloads.find((candidate) => selector !== undefined && matches(selector, candidate.object.spec?.template.metadata?.labels));
        const slices = await kube.call(`list EndpointSlices of ${name}`, () =>
            kube.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name}` }),
        );
        const endpoints = slices.items.flatMap((slice) => slice.endpoints ?? []);
        const ready = endpoints.filter((endpoint) => endpoint.conditions?.ready === true).length;
        const readiness = `${ready}/${endpoints.length} endpoints ready`;
        let probe: string;
        let healthy = ready > 0;
        const endpoint = healthEndpoint(service, workload?.object.spec?.template, workload?.name ?? name);
        if (endpoint === undefined) {
            probe = "no HTTP health endpoint (readiness is the kubelet's own probe)";
        } else if (!proxyAdmitted(policies.items, workload?.object.spec?.template.metadata?.labels, endpoint.containerPort)) {
            probe = `not probed: the NetworkPolicies admit no traffic from the API server to port ${endpoint.containerPort}`;
        } else if (ready === 0) {
            probe = "not probed: no ready endpoint";
        } else {
            try {
                const response = await kube.serviceProxyGet(name, endpoint.port, endpoint.path, 10_000);
                const ok = response.status >= 200 && response.status < 300;
                healthy = healthy && ok;
                probe = `GET ${endpoint.path} on ${endpoint.port}: HTTP ${response.status}${ok ? "" : ` ${response.body.trim().slice(0, 120)}`}`;
            } catch (error) {
                healthy = false;
                probe = `GET ${endpoint.path} on ${endpoint.port} failed: ${messageOf(error)}`;
            }
        }
        unhealthy += healthy ? 0 : 1;
        rows.push([name, healthy ? "healthy" : "UNHEALTHY", readiness, probe]);
    }
    context.io.stdout.write(table(["SERVICE", "HEALTH", "READINESS", "HEALTH ENDPOINT"], rows));
    return unhealthy === 0 ? ExitCode.Ok : ExitCode.Unhealthy;
}
