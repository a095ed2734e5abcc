import type * as k8s from "@kubernetes/client-node";
import { randomBytes } from "crypto";
import { HEALTH_PROBE_CONTAINER, HEALTH_PROBE_NAME, ProbeReport, ProbeVerdict } from "../../components/services/health-probe/names";
import { createJob, jobFromCronJob, stamp, waitForJob } from "./backups";
import type { OpsContext } from "./commands";
import { ExitCode, OpsError } from "./errors";
import { table } from "./format";
import { Kube } from "./kube";
import { healthEndpoint } from "./status";

/**
 * `ops health`: per Service, readiness as Kubernetes sees it (ready endpoints in its EndpointSlices) and the verdict
 * of an in-cluster probe of its health endpoint. The probe is a Job from the `health-probe` template: a pod inside the
 * namespace, admitted by the NetworkPolicies to exactly the HTTP services' readiness ports, that GETs each one through
 * its Service and reports the answers in its termination message. The Job is deleted once read.
 */

/** Longest wait for the probe Job: the template's activeDeadlineSeconds (300) ends it before this anyway. */
const PROBE_WAIT_SECONDS = 360;

/** The probe's termination message: a JSON object of verdicts per Service, validated field by field. */
export function parseProbeReport(message: string): ProbeReport {
    let parsed: unknown;
    try {
        parsed = JSON.parse(message);
    } catch {
        throw new OpsError(ExitCode.Failed, `the health probe's result is not its JSON report: "${message.trim().slice(0, 200)}"`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new OpsError(ExitCode.Failed, `the health probe's report must be a JSON object of verdicts per Service, got ${message.trim().slice(0, 200)}`);
    }
    const report: ProbeReport = {};
    for (const [service, value] of Object.entries(parsed as Record<string, unknown>)) {
        const verdict = value as Partial<ProbeVerdict> | null;
        if (verdict === null || typeof verdict !== "object" || typeof verdict.url !== "string" || typeof verdict.ok !== "boolean" || typeof verdict.ms !== "number") {
            throw new OpsError(ExitCode.Failed, `the health probe's verdict for ${service} lacks url, ok or ms: ${JSON.stringify(value)}`);
        }
        report[service] = { url: verdict.url, ok: verdict.ok, ms: verdict.ms, ...(typeof verdict.status === "number" ? { status: verdict.status } : {}), ...(typeof verdict.detail === "string" ? { detail: verdict.detail } : {}) };
    }
    return report;
}

/** One verdict as the HEALTH ENDPOINT column shows it. */
export function describeVerdict(verdict: ProbeVerdict): string {
    const path = new URL(verdict.url).pathname;
    if (verdict.status === undefined) return `GET ${path} failed: ${verdict.detail ?? "no answer"}`;
    return `GET ${path}: HTTP ${verdict.status}${verdict.ok ? "" : verdict.detail ? ` ${verdict.detail}` : ""} (${verdict.ms} ms)`;
}

export interface ServiceHealth {
    service: string;
    readyEndpoints: number;
    endpoints: number;
    /** The probe's verdict, when the probe targets this Service. */
    verdict?: ProbeVerdict;
    /** Whether the Service's pods have an HTTP readiness endpoint behind it at all. */
    hasHttpEndpoint: boolean;
}

/** Healthy: some endpoint ready, and the probe's GET answered 200-399 where the Service is probed. */
export function healthRow(health: ServiceHealth): { healthy: boolean; row: string[] } {
    const ready = health.readyEndpoints > 0;
    const healthy = ready && (health.verdict?.ok ?? true);
    const probe =
        health.verdict !== undefined
            ? describeVerdict(health.verdict)
            : health.hasHttpEndpoint
              ? "not probed (no health-probe row for it in the traffic table)"
              : "no HTTP health endpoint (readiness is the kubelet's own probe)";
    return { healthy, row: [health.service, healthy ? "healthy" : "UNHEALTHY", `${health.readyEndpoints}/${health.endpoints} endpoints ready`, probe] };
}

/**
 * The probe container's report from its pod, or an error saying why there is none: exit 0 (all healthy) and 1 (some
 * not) carry the report; anything else (2: unusable targets, a pod that never ran) is a failed probe.
 */
export function probeResult(pod: k8s.V1Pod | undefined, job: string): ProbeReport {
    const status = pod?.status?.containerStatuses?.find((candidate) => candidate.name === HEALTH_PROBE_CONTAINER);
    const terminated = status?.state?.terminated;
    if (terminated === undefined) {
        const waiting = status?.state?.waiting;
        const why = waiting !== undefined ? `${waiting.reason ?? "waiting"}${waiting.message ? `: ${waiting.message}` : ""}` : `pod ${pod?.status?.phase ?? "missing"}`;
        throw new OpsError(ExitCode.Failed, `the health probe (Job ${job}) did not run to the end: ${why}`);
    }
    if (terminated.exitCode !== 0 && terminated.exitCode !== 1) {
        throw new OpsError(ExitCode.Failed, `the health probe (Job ${job}) failed with exit code ${terminated.exitCode}: ${(terminated.message ?? terminated.reason ?? "").trim().slice(0, 300)}`);
    }
    return parseProbeReport(terminated.message ?? "");
}

async function runProbe(kube: Kube, now: Date, timeoutSeconds: number): Promise<ProbeReport> {
    const namespace = kube.namespace;
    const template = await kube.optional(`read CronJob ${HEALTH_PROBE_NAME}`, () => kube.batch.readNamespacedCronJob({ name: HEALTH_PROBE_NAME, namespace }));
    if (template === undefined) {
        throw new OpsError(ExitCode.NotFound, `no health-probe template (CronJob ${HEALTH_PROBE_NAME}) in namespace ${namespace}: deploy this release of the stack (every environment has it)`);
    }
    const name = `${HEALTH_PROBE_NAME}-${stamp(now).toLowerCase()}-${randomBytes(2).toString("hex")}`;
    await createJob(kube, jobFromCronJob(template, name));
    try {
        const outcome = await waitForJob(kube, name, Math.min(timeoutSeconds, PROBE_WAIT_SECONDS));
        const pods = await kube.call(`list pods of Job ${name}`, () => kube.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` }));
        try {
            return probeResult(pods.items[0], name);
        } catch (error) {
            throw outcome.state === "failed" && error instanceof OpsError ? new OpsError(error.exitCode, `${error.message} (${outcome.reason})`) : error;
        }
    } finally {
        await kube.call(`delete Job ${name}`, () => kube.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: "Background" })).catch(() => undefined);
    }
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
    return Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
}

export async function health(context: OpsContext): Promise<number> {
    const { kube } = context.stack;
    const namespace = kube.namespace;
    const [services, workloads] = await Promise.all([kube.call(`list Services in ${namespace}`, () => kube.core.listNamespacedService({ namespace })), kube.workloads()]);
    const report = await runProbe(kube, context.now(), context.args.timeoutSeconds);
    const rows: string[][] = [];
    let unhealthy = 0;
    const named = new Set<string>();
    for (const service of services.items) {
        const name = service.metadata?.name ?? "";
        named.add(name);
        const selector = service.spec?.selector;
        const workload = workloads.find((candidate) => selector !== undefined && matches(selector, candidate.object.spec?.template.metadata?.labels));
        const slices = await kube.call(`list EndpointSlices of ${name}`, () => kube.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name}` }));
        const endpoints = slices.items.flatMap((slice) => slice.endpoints ?? []);
        const { healthy, row } = healthRow({
            service: name,
            readyEndpoints: endpoints.filter((endpoint) => endpoint.conditions?.ready === true).length,
            endpoints: endpoints.length,
            verdict: report[name],
            hasHttpEndpoint: healthEndpoint(service, workload?.object.spec?.template, workload?.name ?? name) !== undefined,
        });
        unhealthy += healthy ? 0 : 1;
        rows.push(row);
    }
    // A target whose Service is gone: the probe's DNS lookup failed, and the row says so.
    for (const [name, verdict] of Object.entries(report).filter(([name]) => !named.has(name))) {
        unhealthy += 1;
        rows.push([name, "UNHEALTHY", "no such Service", describeVerdict(verdict)]);
    }
    context.io.stdout.write(table(["SERVICE", "HEALTH", "READINESS", "HEALTH ENDPOINT (IN-CLUSTER PROBE)"], rows));
    return unhealthy === 0 ? ExitCode.Ok : ExitCode.Unhealthy;
}
