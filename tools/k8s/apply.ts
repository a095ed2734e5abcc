import { buildManifests } from "../render/manifests";
import type { ResourceRecord } from "../render/recorder";
import { SECRET_PLACEHOLDER } from "../render/values";
import { KubeApiError, KubeClient, KubeObject } from "./client";
import { waitFor } from "./control-plane";

/**
 * Applies an offline render (`npm run render`) to a real API server the way `pulumi up` would:
 * every Kubernetes object with server-side apply, each only after what it depends on in
 * resources.json exists, and after the workloads it depends on are ready (Pulumi's await logic:
 * Deployments and StatefulSets rolled out, Jobs complete). Secrets get test values.
 */

export interface AppliedObject {
    urn: string;
    kind: string;
    namespace?: string;
    name: string;
    /** The API server's Warning headers for this object (admission, deprecations, validation). */
    warnings: string[];
    /** Set when the API server rejected the object. */
    error?: string;
    resourceVersion?: string;
}

export interface ApplyOptions {
    /** Upper bound for each workload the next objects wait on. */
    readyTimeoutMs?: number;
    log?: (line: string) => void;
}

/** The render's Kubernetes objects in an order that respects every dependency. */
export function objectsInApplyOrder(resources: ResourceRecord[]): { urn: string; object: KubeObject; dependsOn: string[] }[] {
    const manifests = buildManifests(resources);
    const isObject = new Set(manifests.map((manifest) => manifest.urn));
    const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));

    // Dependencies through components and non-Kubernetes resources count: an object waits for every
    // Kubernetes object reachable through its dependency edges.
    const objectDependencies = (urn: string): string[] => {
        const found = new Set<string>();
        const seen = new Set<string>();
        const stack = [...(byUrn.get(urn)?.dependencies ?? [])];
        while (stack.length > 0) {
            const next = stack.pop() as string;
            if (seen.has(next)) {
                continue;
            }
            seen.add(next);
            if (isObject.has(next)) {
                found.add(next);
            } else {
                stack.push(...(byUrn.get(next)?.dependencies ?? []));
            }
        }
        return [...found].sort();
    };

    const pending = manifests.map((manifest) => ({
        urn: manifest.urn,
        object: withTestSecrets(manifest.object as unknown as KubeObject),
        dependsOn: objectDependencies(manifest.urn),
    }));
    const ordered: typeof pending = [];
    const placed = new Set<string>();
    while (pending.length > 0) {
        const index = pending.findIndex((item) => item.dependsOn.every((urn) => placed.has(urn)));
        if (index < 0) {
            throw new Error(`dependency cycle among: ${pending.map((item) => item.urn).join(", ")}`);
        }
        const [item] = pending.splice(index, 1);
        if (item !== undefined) {
            ordered.push(item);
            placed.add(item.urn);
        }
    }
    return ordered;
}

export async function applyRender(client: KubeClient, resources: ResourceRecord[], options: ApplyOptions = {}): Promise<AppliedObject[]> {
    const readyTimeout = options.readyTimeoutMs ?? 300_000;
    const log = options.log ?? (() => undefined);
    const applied = new Map<string, { object: KubeObject; ready?: Promise<void> }>();
    const results: AppliedObject[] = [];

    for (const { urn, object, dependsOn } of objectsInApplyOrder(resources)) {
        for (const dependency of dependsOn) {
            await applied.get(dependency)?.ready;
        }
        const result: AppliedObject = {
            urn,
            kind: object.kind,
            namespace: object.metadata.namespace,
            name: object.metadata.name,
            warnings: [],
        };
        try {
            const response = await client.apply(object);
            result.warnings = response.warnings;
            result.resourceVersion = response.body.metadata.resourceVersion;
            log(`applied ${object.kind} ${object.metadata.name}${response.warnings.length ? ` (warnings: ${response.warnings.join("; ")})` : ""}`);
            const ready = waitUntilReady(client, response.body, readyTimeout);
            // A workload that never becomes ready fails whoever waits on it, and the final check.
            ready.catch(() => undefined);
            applied.set(urn, { object: response.body, ready });
        } catch (error) {
            result.error = error instanceof KubeApiError ? error.message : String(error);
            log(`rejected ${object.kind} ${object.metadata.name}: ${result.error}`);
            applied.set(urn, { object });
        }
        results.push(result);
    }
    return results;
}

/** Pulumi's await logic, reduced to what our objects need. */
export function waitUntilReady(client: KubeClient, object: KubeObject, timeoutMs: number): Promise<void> {
    const { apiVersion, kind, metadata } = object;
    const what = `${kind} ${metadata.namespace ?? ""}/${metadata.name} to become ready`;
    const fetch = () => client.get<WorkloadStatus>(apiVersion, kind, metadata.namespace, metadata.name);
    switch (kind) {
        case "Deployment":
            return waitFor(what, timeoutMs, async () => deploymentReady(await fetch()));
        case "StatefulSet":
            return waitFor(what, timeoutMs, async () => statefulSetReady(await fetch()));
        case "Job":
            return waitFor(what, timeoutMs, async () => jobComplete(await fetch()));
        default:
            return Promise.resolve();
    }
}

export interface WorkloadStatus extends KubeObject {
    metadata: KubeObject["metadata"] & { generation?: number };
    spec: { replicas?: number };
    status?: {
        observedGeneration?: number;
        replicas?: number;
        readyReplicas?: number;
        availableReplicas?: number;
        updatedReplicas?: number;
        currentRevision?: string;
        updateRevision?: string;
        succeeded?: number;
        conditions?: { type: string; status: string }[];
    };
}

export function deploymentReady(deployment: WorkloadStatus | undefined): boolean {
    if (deployment?.status === undefined) {
        return false;
    }
    const want = deployment.spec.replicas ?? 1;
    const status = deployment.status;
    return (
        (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 1) &&
        status.updatedReplicas === want &&
        status.readyReplicas === want &&
        status.availableReplicas === want &&
        (status.replicas ?? 0) === want
    );
}

export function statefulSetReady(statefulSet: WorkloadStatus | undefined): boolean {
    if (statefulSet?.status === undefined) {
        return false;
    }
    const want = statefulSet.spec.replicas ?? 1;
    const status = statefulSet.status;
    return (
        (status.observedGeneration ?? 0) >= (statefulSet.metadata.generation ?? 1) &&
        status.readyReplicas === want &&
        status.currentRevision === status.updateRevision
    );
}

export function jobComplete(job: WorkloadStatus | undefined): boolean {
    return job?.status?.conditions?.some((condition) => condition.type === "Complete" && condition.status === "True") ?? false;
}

/** Secret values are redacted in a render; the cluster gets a distinct test value per key. */
function withTestSecrets(object: KubeObject): KubeObject {
    if (object.kind !== "Secret") {
        return object;
    }
    const fill = (values: unknown, encode: boolean) => {
        if (values === null || typeof values !== "object") {
            return values;
        }
        return Object.fromEntries(
            Object.entries(values as Record<string, unknown>).map(([key, value]) => {
                const plain = `test-${object.metadata.name}-${key}`;
                const placeholder = encode ? Buffer.from(SECRET_PLACEHOLDER).toString("base64") : SECRET_PLACEHOLDER;
                return [key, value === placeholder ? (encode ? Buffer.from(plain).toString("base64") : plain) : value];
            }),
        );
    };
    return { ...object, ...(object["data"] ? { data: fill(object["data"], true) } : {}), ...(object["stringData"] ? { stringData: fill(object["stringData"], false) } : {}) };
}

interface Autoscaler extends KubeObject {
    spec: { minReplicas?: number; scaleTargetRef: { kind: string; name: string } };
}

/** What each Deployment and StatefulSet must reach: its replicas, or its HPA's minimum where one owns the count. */
export async function expectedReplicas(client: KubeClient, namespace: string): Promise<Map<string, number>> {
    const expected = new Map<string, number>();
    const autoscalers = await client.list<Autoscaler>("autoscaling/v2", "HorizontalPodAutoscaler", namespace);
    for (const kind of ["Deployment", "StatefulSet"]) {
        for (const workload of await client.list<WorkloadStatus>("apps/v1", kind, namespace)) {
            const owner = autoscalers.find((hpa) => hpa.spec.scaleTargetRef.kind === kind && hpa.spec.scaleTargetRef.name === workload.metadata.name);
            expected.set(`${kind}/${workload.metadata.name}`, owner?.spec.minReplicas ?? workload.spec.replicas ?? 1);
        }
    }
    return expected;
}

/** True once every Deployment and StatefulSet runs exactly its expected ready replicas and every Job completed. */
export async function rolledOut(client: KubeClient, namespace: string, expected: Map<string, number>): Promise<boolean> {
    for (const [key, want] of expected) {
        const [kind, name] = key.split("/") as [string, string];
        const workload = await client.get<WorkloadStatus>("apps/v1", kind, namespace, name);
        const ready = kind === "Deployment" ? deploymentReady(workload) : statefulSetReady(workload);
        if (!ready || workload?.status?.readyReplicas !== want) {
            return false;
        }
    }
    const jobs = await client.list<WorkloadStatus>("batch/v1", "Job", namespace);
    return jobs.every((job) => jobComplete(job));
}
