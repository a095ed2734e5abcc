/**
 * Names the health-probe template (index.ts) and `ops health` (tools/ops/health.ts) share. Plain constants, so the
 * ops command does not load Pulumi to learn them.
 */

/** The template (a suspended CronJob), its ServiceAccount, NetworkPolicy and the traffic table's peer. */
export const HEALTH_PROBE_NAME = "health-probe";
/** The container that runs probe.js; `ops health` reads its termination message. */
export const HEALTH_PROBE_CONTAINER = "probe";
/** `{"<Service name>": "<URL>"}`: what the probe GETs. */
export const HEALTH_PROBE_TARGETS_ENV = "HEALTH_PROBE_TARGETS";
/** Per-target timeout of the probe, in milliseconds. */
export const HEALTH_PROBE_TIMEOUT_ENV = "HEALTH_PROBE_TIMEOUT_MS";

/** One target's verdict in the probe's report: the HTTP status it answered, or why it did not. */
export interface ProbeVerdict {
    url: string;
    /** The kubelet's rule for an httpGet probe: 200-399 is healthy. */
    ok: boolean;
    status?: number;
    /** The start of a failing answer's body, or the transport error (DNS, refused, timeout). */
    detail?: string;
    ms: number;
}

/** The probe's report: one verdict per Service name. */
export type ProbeReport = Record<string, ProbeVerdict>;
