import { strict as assert } from "assert";
import { AppliedObject, applyRender, expectedReplicas, jobComplete, objectsInApplyOrder, rolledOut, WorkloadStatus } from "../../tools/k8s/apply";
import { KubeClient, KubeObject } from "../../tools/k8s/client";
import { CLUSTER_ADD_ONS, ControlPlane, controlPlaneBinaries, waitFor } from "../../tools/k8s/control-plane";
import { RenderedStack, renderToTemp } from "../support/render-helper";

/** Generous: CI shares two cores with other work, and nothing here is a timing assertion. */
export const READY_TIMEOUT_MS = 300_000;

export interface StackOnControlPlane {
    plane: ControlPlane;
    rendered: RenderedStack;
    applied: AppliedObject[];
    namespace: string;
}

/** Starts a control plane, renders the stack and applies it; the caller stops the plane. */
export async function deployRender(stack: "dev" | "prod"): Promise<StackOnControlPlane> {
    const [plane, rendered] = await Promise.all([
        ControlPlane.start({ binDir: controlPlaneBinaries(), ...CLUSTER_ADD_ONS[stack] }),
        renderToTemp(stack),
    ]);
    try {
        const applied = await applyRender(plane.client, rendered.resources, { readyTimeoutMs: READY_TIMEOUT_MS });
        const namespaceObject = applied.find((object) => object.kind === "Namespace");
        assert.ok(namespaceObject, "the render declares a Namespace");
        return { plane, rendered, applied, namespace: namespaceObject.name };
    } catch (error) {
        await plane.stop();
        throw error;
    }
}

interface Pod extends KubeObject {
    metadata: KubeObject["metadata"] & { labels?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
    spec: { nodeName?: string };
    status?: { phase?: string };
}

/** Waits until every Deployment and StatefulSet runs its expected ready replicas (an HPA's minimum where one owns the count). */
export async function waitForWorkloads(client: KubeClient, namespace: string): Promise<Map<string, number>> {
    const expected = await expectedReplicas(client, namespace);
    await waitFor("every Deployment and StatefulSet to reach its expected ready replicas", READY_TIMEOUT_MS, () => rolledOut(client, namespace, expected), 1000);
    return expected;
}

export async function podsOf(client: KubeClient, namespace: string, workload: WorkloadStatus & { spec: { selector?: { matchLabels?: Record<string, string> } } }): Promise<Pod[]> {
    const selector = Object.entries(workload.spec.selector?.matchLabels ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
    const pods = await client.list<Pod>("v1", "Pod", namespace, selector);
    return pods.filter((pod) => pod.metadata["deletionTimestamp"] === undefined);
}

/** Every Service port has at least one ready endpoint under that port's name. */
export async function servicesWithoutReadyEndpoints(client: KubeClient, namespace: string): Promise<string[]> {
    interface Service extends KubeObject {
        spec: { ports?: { name?: string; port: number }[]; selector?: Record<string, string> };
    }
    interface EndpointSlice extends KubeObject {
        ports?: { name?: string; port?: number }[] | null;
        endpoints?: { conditions?: { ready?: boolean } }[] | null;
    }
    const missing: string[] = [];
    for (const service of await client.list<Service>("v1", "Service", namespace)) {
        const slices = await client.list<EndpointSlice>("discovery.k8s.io/v1", "EndpointSlice", namespace, `kubernetes.io/service-name=${service.metadata.name}`);
        for (const port of service.spec.ports ?? []) {
            const served = slices.some(
                (slice) =>
                    (slice.ports ?? []).some((slicePort) => (slicePort.name ?? "") === (port.name ?? "")) &&
                    (slice.endpoints ?? []).some((endpoint) => endpoint.conditions?.ready === true),
            );
            if (!served) {
                missing.push(`${service.metadata.name}:${port.name ?? port.port}`);
            }
        }
    }
    return missing;
}

/**
 * Applies the render's objects a second time, each right after reading it: a no-op apply keeps
 * every resourceVersion. Returns the objects whose version moved, with what changed.
 */
export async function objectsChangedBySecondApply(client: KubeClient, rendered: RenderedStack): Promise<string[]> {
    const changed: string[] = [];
    for (const { object } of objectsInApplyOrder(rendered.resources)) {
        const { apiVersion, kind, metadata } = object;
        const before = await client.get<KubeObject>(apiVersion, kind, metadata.namespace, metadata.name);
        const response = await client.apply(object);
        const after = response.body;
        if (before?.metadata.resourceVersion !== after.metadata.resourceVersion) {
            changed.push(`${kind}/${metadata.name}: ${describeChange(before, after)}`);
        }
    }
    return changed;
}

function describeChange(before: KubeObject | undefined, after: KubeObject): string {
    if (before === undefined) {
        return "created";
    }
    const strip = (object: KubeObject) => {
        const { resourceVersion: _rv, managedFields: _mf, ...metadata } = object.metadata;
        return { ...object, metadata };
    };
    const a = strip(before) as Record<string, unknown>;
    const b = strip(after) as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
    return keys.length === 0 ? "resourceVersion only" : `changed ${keys.join(", ")}`;
}

export async function waitForJob(client: KubeClient, namespace: string, name: string): Promise<void> {
    await waitFor(`Job ${name} to complete`, READY_TIMEOUT_MS, async () => jobComplete(await client.get<WorkloadStatus>("batch/v1", "Job", namespace, name)), 1000);
}

/**
 * Ends a pod as its kubelet would report it: kwok runs no containers, so a test plays a Job pod's end (the phase and
 * each container's terminated state with its exit code and termination message) through the status subresource.
 */
export async function finishPod(client: KubeClient, namespace: string, pod: KubeObject & { spec: { containers: { name: string; image: string }[] } }, exitCode: number, message: string): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const terminated = { exitCode, reason: exitCode === 0 ? "Completed" : "Error", message, startedAt: now, finishedAt: now };
    await client.call(
        "PATCH",
        `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/status`,
        {
            status: {
                phase: exitCode === 0 ? "Succeeded" : "Failed",
                containerStatuses: pod.spec.containers.map((c) => ({ name: c.name, image: c.image, imageID: "", ready: false, restartCount: 0, started: false, state: { terminated } })),
            },
        },
        "application/merge-patch+json",
    );
}
