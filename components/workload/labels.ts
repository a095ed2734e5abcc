/** Kubernetes recommended labels (app.kubernetes.io/*), on every object the program creates. */
export const PART_OF = "nsip";

export interface WorkloadIdentity {
    /** The service name: also the Service, ServiceAccount and workload name. */
    name: string;
    /** Role in the architecture: edge, frontend, backend, worker, database, cache, monitoring. */
    component: string;
    /** The stack's instance, e.g. nsip-dev. */
    instance: string;
    version: string;
}

export function recommendedLabels(id: WorkloadIdentity): Record<string, string> {
    return {
        "app.kubernetes.io/name": id.name,
        "app.kubernetes.io/instance": id.instance,
        "app.kubernetes.io/component": id.component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/version": id.version,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** The immutable subset used in selectors: version changes must not orphan pods. */
export function selectorLabels(id: Pick<WorkloadIdentity, "name" | "instance">): Record<string, string> {
    return { "app.kubernetes.io/name": id.name, "app.kubernetes.io/instance": id.instance };
}

/** Labels for namespace-wide objects (namespace, secrets, default policies). */
export function platformLabels(instance: string, version: string): Record<string, string> {
    return recommendedLabels({ name: PART_OF, component: "platform", instance, version });
}
