import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Hardening } from "../../stacks/schema";
import type { ContainerSpec, WorkloadSpec } from "./spec";

/** A container as the pod builder sees it: run-to-completion Job containers have no probes. */
export type PodContainer = Omit<ContainerSpec, "probes"> & { probes?: ContainerSpec["probes"] };
/** What the pod builder needs: a WorkloadSpec fits, and so does a Job's pod. */
export type PodInput = Pick<WorkloadSpec, "name" | "runAsUser" | "fsGroup" | "serviceAccountToken" | "stateless" | "volumes"> & {
    containers: PodContainer[];
    /** Run to completion, in order, before `containers` start; hardened exactly like them. */
    initContainers?: PodContainer[];
};

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Container = k8s.types.input.core.v1.Container;

/** Grace period for every pod; the preStop sleep and the apps' own shutdown budgets fit inside it. */
export const TERMINATION_GRACE_SECONDS = 30;
/** Lets endpoints and load balancers drop the pod before it stops accepting connections. */
export const PRE_STOP_SLEEP_SECONDS = 5;

export const DATA_VOLUME = "data";

/**
 * The pod half of the hardening profile: Pod Security Standards "restricted" for every container
 * (the rows marked yes/yes in DESIGN.md, so not configurable), emptyDirs for writable paths and,
 * from the profile, spreading and preStop. `serviceAccountName` is the ServiceAccount resource's
 * output, so the pod's owner waits for its account instead of racing it.
 */
export function podSpec(spec: PodInput, hardening: Hardening, selector: Record<string, string>, serviceAccountName: pulumi.Input<string>): PodSpec {
    const uid = spec.runAsUser;
    if (uid === 0) throw new Error(`workload ${spec.name}: runAsUser must not be 0`);

    const initContainers = spec.initContainers ?? [];
    const scratchVolumes = [...initContainers, ...spec.containers].flatMap((c) =>
        c.writablePaths.map((w) => ({ name: scratchVolumeName(c, w.path), emptyDir: { medium: w.medium, sizeLimit: w.sizeLimit } })),
    );

    return {
        serviceAccountName,
        automountServiceAccountToken: spec.serviceAccountToken ?? false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: uid,
            fsGroup: spec.fsGroup ?? uid,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
        },
        // Kubernetes rejects lifecycle hooks on init containers, hence no preStop for them.
        ...(initContainers.length > 0 ? { initContainers: initContainers.map((c) => container(c, uid, false)) } : {}),
        containers: spec.containers.map((c) => container(c, uid, hardening.zeroDowntimeRollouts)),
        volumes: [...scratchVolumes, ...(spec.volumes ?? [])],
        ...(hardening.topologySpread && spec.stateless ? spread(selector) : {}),
    };
}

function container(c: PodContainer, uid: number, preStop: boolean): Container {
    return {
        name: c.name,
        image: c.image,
        imagePullPolicy: "IfNotPresent",
        command: c.command,
        args: c.args,
        ports: c.ports.map((p) => ({ ...p, protocol: "TCP" })),
        env: c.env,
        envFrom: c.envFrom,
        resources: {
            requests: { cpu: c.resources.requests.cpu, memory: c.resources.requests.memory, "ephemeral-storage": c.resources.requests.ephemeralStorage },
            limits: { cpu: c.resources.limits.cpu, memory: c.resources.limits.memory, "ephemeral-storage": c.resources.limits.ephemeralStorage },
        },
        readinessProbe: c.probes?.readiness,
        livenessProbe: c.probes?.liveness,
        startupProbe: c.probes?.startup,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: uid,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: [
            ...c.writablePaths.map((w) => ({ name: scratchVolumeName(c, w.path), mountPath: w.path })),
            ...(c.mounts ?? []).map((m) => ({ name: m.volume, mountPath: m.mountPath, subPath: m.subPath, readOnly: !m.writable })),
            ...(c.dataMountPath ? [{ name: DATA_VOLUME, mountPath: c.dataMountPath }] : []),
        ],
        ...(c.terminationMessagePolicy ? { terminationMessagePolicy: c.terminationMessagePolicy } : {}),
        lifecycle: preStop ? { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } } : undefined,
    };
}

/**
 * The pod of a Job or CronJob: the same hardening, but run to completion, so no preStop, no spreading and
 * no restarts in place (the Job's backoffLimit and deadline bound it instead of probes).
 */
export function batchPodSpec(spec: PodInput, hardening: Hardening, serviceAccountName: pulumi.Input<string>): PodSpec {
    // Stryker disable next-line ObjectLiteral: podSpec reads only these two flags, and `{}` leaves them undefined, as falsy as false
    const runToCompletion = { ...hardening, zeroDowntimeRollouts: false, topologySpread: false };
    return { ...podSpec(spec, runToCompletion, {}, serviceAccountName), restartPolicy: "Never" };
}

/** One zone-spread constraint plus a soft host anti-affinity: survives a zone or a node, never blocks scaling. */
function spread(selector: Record<string, string>): Pick<PodSpec, "topologySpreadConstraints" | "affinity"> {
    return {
        topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
        ],
        affinity: {
            podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                    { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } } },
                ],
            },
        },
    };
}

function scratchVolumeName(c: PodContainer, path: string): string {
    // Stryker disable next-line Regex: mount paths are absolute, so the first run of slashes is the leading one
    const relative = path.replace(/^\/+/, "");
    const slug = relative.replace(/[^a-z0-9]+/gi, "-").toLowerCase() || "root";
    return `${c.name}-${slug}`.slice(0, 63).replace(/-+$/, "");
}
