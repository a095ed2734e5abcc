/**
 * The NSIP hardening rules as pure functions over plain Kubernetes objects and stack resources.
 *
 * No @pulumi/* import on purpose: the policy pack (index.ts, policies.ts) wraps these functions, and
 * the root test suite runs the very same functions over the offline render of the dev and prod stacks.
 * Every violation is one message that names the object and the field.
 */
import { podSpecOf, restrictedViolations } from "./pod-security";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = Record<string, any>;

/** Pulumi type tokens of the resources the rules look at (the test compares them with the SDKs' own tokens). */
export const types = {
    Deployment: "kubernetes:apps/v1:Deployment",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
    Pod: "kubernetes:core/v1:Pod",
    ServiceAccount: "kubernetes:core/v1:ServiceAccount",
    Service: "kubernetes:core/v1:Service",
    Namespace: "kubernetes:core/v1:Namespace",
    NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    PersistentVolumeClaim: "kubernetes:core/v1:PersistentVolumeClaim",
    KmsKey: "aws:kms/key:Key",
    EcrRepository: "aws:ecr/repository:Repository",
    LogGroup: "aws:cloudwatch/logGroup:LogGroup",
    S3Bucket: "aws:s3/bucket:Bucket",
} as const;

/** Kinds that carry a pod template (or are a pod). */
export const workloadTypes: readonly string[] = [types.Deployment, types.StatefulSet, types.DaemonSet, types.Job, types.CronJob, types.Pod];
/** Resources that hold data and must be `protect`ed in prod. */
export const dataTypes: readonly string[] = [types.PersistentVolumeClaim, types.KmsKey, types.EcrRepository, types.LogGroup, types.S3Bucket];

/** The only workloads and ServiceAccounts that may mount an API token: service discovery, node autoscaling, backup freshness. */
export const TOKEN_EXEMPT_NAMES: readonly string[] = ["prometheus", "cluster-autoscaler", "kube-state-metrics"];
const TOKEN_EXEMPT_TEXT = new Intl.ListFormat("en", { type: "conjunction" }).format(TOKEN_EXEMPT_NAMES);
/** Exporter ports: node 9100 (our apps' metrics port too), nginx 9113, redis 9121, postgres 9187. */
export const METRICS_PORTS: ReadonlySet<number> = new Set([9100, 9113, 9121, 9187]);
export const METRICS_PORT_NAME = "metrics";
export const ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";
const PSS_LEVELS = ["privileged", "baseline", "restricted"];
const RESOURCE_NAMES = ["cpu", "memory", "ephemeral-storage"];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * Reads a field that may be unknown during `pulumi preview`. The pack's props throw on an unknown value
 * (the policy SDK then downgrades the whole policy to an advisory "can't run during preview"); names only
 * label messages and decide the prometheus exemption, so an unknown name (the migration Job is named after
 * the image digest) must not stop the other checks of that object. Plain objects never throw here.
 */
function readOr<T>(read: () => T, fallback: T): T {
    try {
        return read();
    } catch {
        return fallback;
    }
}

const nameOf = (obj: K8sObject): string => readOr(() => obj.metadata?.name ?? "<unnamed>", "<known after apply>");

/** "Deployment nsip/api": how every message names its object. */
export function describeObject(obj: K8sObject): string {
    const kind = obj.kind ?? "object";
    const name = nameOf(obj);
    return obj.metadata?.namespace ? `${kind} ${obj.metadata.namespace}/${name}` : `${kind} ${name}`;
}

/** Field path of the pod spec inside the object, e.g. `spec.template.spec`. */
function podSpecPath(obj: K8sObject): string {
    switch (obj.kind) {
        case "Pod":
            return "spec";
        case "CronJob":
            return "spec.jobTemplate.spec.template.spec";
        default:
            return "spec.template.spec";
    }
}

interface ContainerRef {
    container: K8sObject;
    /** e.g. `spec.template.spec.containers[api]` */
    path: string;
    /** Runs for the life of the pod: a regular container, or a sidecar (init container with restartPolicy Always). */
    longLived: boolean;
}

function containersOf(obj: K8sObject, options: { ephemeral?: boolean } = {}): ContainerRef[] {
    const spec = podSpecOf(obj);
    if (spec === undefined) return [];
    const base = podSpecPath(obj);
    const out: ContainerRef[] = [];
    for (const c of spec.initContainers ?? []) {
        out.push({ container: c, path: `${base}.initContainers[${c.name}]`, longLived: c.restartPolicy === "Always" });
    }
    for (const c of spec.containers ?? []) out.push({ container: c, path: `${base}.containers[${c.name}]`, longLived: true });
    if (options.ephemeral) {
        for (const c of spec.ephemeralContainers ?? []) out.push({ container: c, path: `${base}.ephemeralContainers[${c.name}]`, longLived: false });
    }
    return out;
}

/** Jobs and CronJobs run to completion; so does a bare Pod that is not restarted. */
function isLongRunning(obj: K8sObject): boolean {
    if (obj.kind === "Job" || obj.kind === "CronJob") return false;
    if (obj.kind === "Pod") return (obj.spec?.restartPolicy ?? "Always") === "Always";
    return true;
}

/** JSON with sorted keys, so two probes written in a different key order compare equal. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const o = value as Record<string, unknown>;
        const entries = Object.keys(o)
            .sort()
            .filter((k) => o[k] !== undefined)
            .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`);
        // Stryker disable next-line StringLiteral: every entry starts with a quoted key, so the joined text is unambiguous without a separator
        return `{${entries.join(",")}}`;
    }
    return JSON.stringify(value);
}

export interface ImageReference {
    /** Registry and path without tag or digest, e.g. `registry:5000/nsip/api`. */
    repository: string;
    tag?: string;
    digest?: string;
}

/** Splits `[registry[:port]/]path[:tag][@digest]`; a port in the registry host is not a tag. */
export function parseImage(ref: string): ImageReference {
    const at = ref.indexOf("@");
    const nameAndTag = at >= 0 ? ref.slice(0, at) : ref;
    const digest = at >= 0 ? ref.slice(at + 1) : undefined;
    const slash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.lastIndexOf(":");
    if (colon > slash) return { repository: nameAndTag.slice(0, colon), tag: nameAndTag.slice(colon + 1), digest };
    return { repository: nameAndTag, digest };
}

/** Application images are the ones this project builds: their repository path has an `nsip` segment. */
export function isApplicationImage(ref: string): boolean {
    return `/${parseImage(ref).repository}/`.includes("/nsip/");
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

// ---------------------------------------------------------------------------------------------
// Rules over one Kubernetes object
// ---------------------------------------------------------------------------------------------

/** Pod Security Standards "restricted" (which includes "baseline") for every pod template. */
export function podSecurityViolations(obj: K8sObject): string[] {
    const spec = podSpecOf(obj);
    if (spec === undefined) return [];
    return restrictedViolations(spec).map((v) => `${describeObject(obj)}: ${podSpecPath(obj)}: ${v}`);
}

/** readOnlyRootFilesystem: true on every container (writable paths are emptyDirs). */
export function readOnlyRootFilesystemViolations(obj: K8sObject): string[] {
    return containersOf(obj)
        .filter(({ container }) => container.securityContext?.readOnlyRootFilesystem !== true)
        .map(
            ({ container, path }) =>
                `${describeObject(obj)}: ${path}.securityContext.readOnlyRootFilesystem must be true (found ${container.securityContext?.readOnlyRootFilesystem ?? "unset"})`,
        );
}

/** requests and limits for cpu, memory and ephemeral-storage on every container. */
export function resourceViolations(obj: K8sObject): string[] {
    const out: string[] = [];
    for (const { container, path } of containersOf(obj)) {
        for (const kind of ["requests", "limits"]) {
            for (const resource of RESOURCE_NAMES) {
                const value = container.resources?.[kind]?.[resource];
                if (value === undefined || value === null || value === "") out.push(`${describeObject(obj)}: ${path}.resources.${kind}.${resource} is not set`);
            }
        }
    }
    return out;
}

/** readiness and liveness probes on every long-running container, and liveness is not a copy of readiness. */
export function probeViolations(obj: K8sObject): string[] {
    if (!isLongRunning(obj)) return [];
    const out: string[] = [];
    for (const { container, path, longLived } of containersOf(obj)) {
        if (!longLived) continue;
        const where = `${describeObject(obj)}: ${path}`;
        if (!container.readinessProbe) out.push(`${where}.readinessProbe is not set`);
        if (!container.livenessProbe) out.push(`${where}.livenessProbe is not set`);
        if (container.readinessProbe && container.livenessProbe && canonical(container.readinessProbe) === canonical(container.livenessProbe)) {
            out.push(`${where}.livenessProbe is identical to readinessProbe: a liveness check must not restart pods that are merely not ready`);
        }
    }
    return out;
}

/** automountServiceAccountToken: false on ServiceAccounts and pod templates, prometheus, the autoscaler and kube-state-metrics excepted. */
export function serviceAccountTokenViolations(obj: K8sObject): string[] {
    if (TOKEN_EXEMPT_NAMES.includes(nameOf(obj))) return [];
    if (obj.kind === "ServiceAccount") {
        return obj.automountServiceAccountToken === false
            ? []
            : [`${describeObject(obj)}: automountServiceAccountToken must be false (found ${obj.automountServiceAccountToken ?? "unset"}); only ${TOKEN_EXEMPT_TEXT} get a token`];
    }
    const spec = podSpecOf(obj);
    if (spec === undefined || spec.automountServiceAccountToken === false) return [];
    return [
        `${describeObject(obj)}: ${podSpecPath(obj)}.automountServiceAccountToken must be false (found ${spec.automountServiceAccountToken ?? "unset"}); only ${TOKEN_EXEMPT_TEXT} get a token`,
    ];
}

/** Application images by digest; third-party images by a tag other than `latest` (or by digest). */
export function imageViolations(obj: K8sObject): string[] {
    const out: string[] = [];
    for (const { container, path } of containersOf(obj, { ephemeral: true })) {
        const where = `${describeObject(obj)}: ${path}.image`;
        const ref = container.image;
        if (typeof ref !== "string" || ref === "") {
            out.push(`${where} is not set`);
            continue;
        }
        const { tag, digest } = parseImage(ref);
        if (isApplicationImage(ref)) {
            if (digest === undefined || !SHA256_DIGEST.test(digest)) out.push(`${where} ${ref} is an application image and must be referenced by digest (@sha256:<64 hex>)`);
        } else if (digest !== undefined) {
            if (!SHA256_DIGEST.test(digest)) out.push(`${where} ${ref} has a malformed digest (expected sha256:<64 hex>)`);
        } else if (tag === undefined) {
            out.push(`${where} ${ref} has no tag, which means :latest; pin a version tag`);
        } else if (tag === "latest") {
            out.push(`${where} ${ref} uses the moving tag :latest; pin a version tag`);
        }
    }
    return out;
}

/** Every namespace says which Pod Security Standard admission enforces. */
export function namespaceViolations(obj: K8sObject): string[] {
    const level = obj.metadata?.labels?.[ENFORCE_LABEL];
    if (level === undefined) return [`${describeObject(obj)}: metadata.labels["${ENFORCE_LABEL}"] is not set`];
    if (!PSS_LEVELS.includes(level)) return [`${describeObject(obj)}: metadata.labels["${ENFORCE_LABEL}"] is "${level}", expected one of ${PSS_LEVELS.join(", ")}`];
    return [];
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
    const entries = Object.entries(selector ?? {});
    return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

function podTemplateLabels(obj: K8sObject): Record<string, string> | undefined {
    switch (obj.kind) {
        case "Pod":
            return obj.metadata?.labels;
        case "CronJob":
            return obj.spec?.jobTemplate?.spec?.template?.metadata?.labels;
        default:
            return obj.spec?.template?.metadata?.labels;
    }
}

/**
 * A LoadBalancer Service must not expose a metrics port: its targetPort (the port when unset) may be
 * neither a known exporter port nor the port named `metrics`, resolved through the pods the Service
 * selects among `workloads`.
 */
// Stryker disable next-line ArrayDeclaration: a non-object workload has no namespace or pod template, so it is never selected
export function loadBalancerMetricsViolations(service: K8sObject, workloads: readonly K8sObject[] = []): string[] {
    const spec: K8sObject | undefined = service.spec;
    if (spec?.type !== "LoadBalancer") return [];
    const namespace = service.metadata?.namespace;
    const selected = workloads.filter((w) => w.metadata?.namespace === namespace && selects(spec.selector, podTemplateLabels(w)));
    // Stryker disable next-line ArrayDeclaration: a string among the pod ports has no name or containerPort, so it matches no target
    const podPorts: K8sObject[] = selected.flatMap((w) => containersOf(w).flatMap(({ container }) => container.ports ?? []));
    const out: string[] = [];
    for (const [i, port] of (spec.ports ?? []).entries()) {
        const target: number | string = port.targetPort ?? port.port;
        const where = `${describeObject(service)}: spec.ports[${port.name ?? i}].targetPort ${JSON.stringify(target)}`;
        const asNumber = /^[0-9]+$/.test(String(target)) ? Number(target) : undefined;
        if (asNumber !== undefined) {
            if (METRICS_PORTS.has(asNumber)) out.push(`${where} is a metrics port (${[...METRICS_PORTS].join(", ")}); metrics are never served through a load balancer`);
            else if (podPorts.some((p) => p.containerPort === asNumber && p.name === METRICS_PORT_NAME)) out.push(`${where} is the pods' port named "${METRICS_PORT_NAME}"; metrics are never served through a load balancer`);
        } else if (target === METRICS_PORT_NAME) {
            out.push(`${where} is the port named "${METRICS_PORT_NAME}"; metrics are never served through a load balancer`);
        } else if (podPorts.some((p) => p.name === target && METRICS_PORTS.has(p.containerPort))) {
            out.push(`${where} names a pod port on a metrics port (${[...METRICS_PORTS].join(", ")}); metrics are never served through a load balancer`);
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Rules over the whole stack
// ---------------------------------------------------------------------------------------------

/** A resource as a stack policy sees it: its type, name, urn, `protect` option and properties. */
export interface StackResource {
    type: string;
    name: string;
    urn: string;
    protect: boolean;
    props: K8sObject;
}

export interface Violation {
    message: string;
    /** The resource at fault, when there is one. */
    urn?: string;
}

/** Pack config (`--policy-pack-config`): `environment: prod` forces the prod-only rules on. */
export interface PackConfig {
    environment?: string;
}

/** Prod: pack config says so, or a namespace of the stack enforces Pod Security "restricted". */
export function isProdStack(resources: readonly StackResource[], config: PackConfig = {}): boolean {
    if (config.environment === "prod") return true;
    return resources.some((r) => r.type === types.Namespace && r.props.metadata?.labels?.[ENFORCE_LABEL] === "restricted");
}

/** In prod every PVC, KMS key, ECR repository and CloudWatch log group is `protect`ed. */
export function dataProtectionViolations(resources: readonly StackResource[]): Violation[] {
    return resources
        .filter((r) => dataTypes.includes(r.type) && !r.protect)
        .map((r) => ({ urn: r.urn, message: `${r.type} ${r.name}: the protect resource option must be set on data in prod` }));
}

function isEmptySelector(selector: K8sObject | undefined): boolean {
    return selector === undefined || selector === null || ((selector.matchLabels === undefined || Object.keys(selector.matchLabels).length === 0) && (selector.matchExpressions ?? []).length === 0);
}

/** podSelector {}, policyTypes Ingress and Egress, and no rule at all. */
export function isDefaultDeny(policy: K8sObject): boolean {
    const spec = policy.spec ?? {};
    // Stryker disable next-line ArrayDeclaration: a policy type list of ["Stryker was here"] holds neither Ingress nor Egress, like []
    const policyTypes: string[] = spec.policyTypes ?? [];
    return isEmptySelector(spec.podSelector) && policyTypes.includes("Ingress") && policyTypes.includes("Egress") && (spec.ingress ?? []).length === 0 && (spec.egress ?? []).length === 0;
}

/** Every namespace of the stack (declared, or holding a workload) has a default-deny NetworkPolicy. */
export function defaultDenyViolations(resources: readonly StackResource[]): Violation[] {
    const namespaces = new Map<string, string | undefined>();
    for (const r of resources) {
        if (r.type === types.Namespace && r.props.metadata?.name) namespaces.set(r.props.metadata.name, r.urn);
    }
    for (const r of resources) {
        if (workloadTypes.includes(r.type)) {
            const ns = r.props.metadata?.namespace ?? "default";
            if (!namespaces.has(ns)) namespaces.set(ns, undefined);
        }
    }
    const denied = new Set(resources.filter((r) => r.type === types.NetworkPolicy && isDefaultDeny(r.props)).map((r) => r.props.metadata?.namespace ?? "default"));
    return [...namespaces]
        .filter(([ns]) => !denied.has(ns))
        .map(([ns, urn]) => ({
            urn,
            message: `namespace ${ns} has no default-deny NetworkPolicy (spec.podSelector {}, spec.policyTypes [Ingress, Egress], no ingress or egress rules)`,
        }));
}

/** The load-balancer rule over the stack: each LoadBalancer Service against the workloads it selects. */
export function stackLoadBalancerViolations(resources: readonly StackResource[]): Violation[] {
    const workloads = resources.filter((r) => workloadTypes.includes(r.type)).map((r) => r.props);
    return resources
        .filter((r) => r.type === types.Service)
        .flatMap((r) => loadBalancerMetricsViolations(r.props, workloads).map((message) => ({ urn: r.urn, message })));
}

// ---------------------------------------------------------------------------------------------
// The rule tables the pack is built from
// ---------------------------------------------------------------------------------------------

export interface ObjectRule {
    /** Policy name in the pack. */
    name: string;
    description: string;
    /** Pulumi types the rule applies to. */
    types: readonly string[];
    check(obj: K8sObject): string[];
}

export interface StackRule {
    name: string;
    description: string;
    /** Only prod stacks (see isProdStack); others are reported as not applicable. */
    prodOnly: boolean;
    check(resources: readonly StackResource[]): Violation[];
}

export const objectRules: readonly ObjectRule[] = [
    {
        name: "pod-security-restricted",
        description: "Pod templates pass every Pod Security Standards restricted (and baseline) check.",
        types: workloadTypes,
        check: podSecurityViolations,
    },
    {
        name: "read-only-root-filesystem",
        description: "Every container runs with securityContext.readOnlyRootFilesystem: true.",
        types: workloadTypes,
        check: readOnlyRootFilesystemViolations,
    },
    {
        name: "resource-requests-and-limits",
        description: "Every container sets requests and limits for cpu, memory and ephemeral-storage.",
        types: workloadTypes,
        check: resourceViolations,
    },
    {
        name: "readiness-and-liveness-probes",
        description: "Every long-running container has a readiness and a liveness probe, and they differ (Jobs excepted).",
        types: workloadTypes,
        check: probeViolations,
    },
    {
        name: "no-service-account-token",
        description: `automountServiceAccountToken is false on ServiceAccounts and pod templates, except ${TOKEN_EXEMPT_TEXT}.`,
        types: [...workloadTypes, types.ServiceAccount],
        check: serviceAccountTokenViolations,
    },
    {
        name: "pinned-images",
        description: "Application images (a /nsip/ repository path) by @sha256 digest; third-party images by a version tag, never latest.",
        types: workloadTypes,
        check: imageViolations,
    },
    {
        name: "namespace-pod-security-label",
        description: `Every Namespace carries the ${ENFORCE_LABEL} label with a Pod Security Standard level.`,
        types: [types.Namespace],
        check: namespaceViolations,
    },
];

export const stackRules: readonly StackRule[] = [
    {
        name: "no-metrics-through-load-balancer",
        description: `LoadBalancer Services expose no metrics port (named ${METRICS_PORT_NAME} on the pod, or ${[...METRICS_PORTS].join("/")}).`,
        prodOnly: false,
        check: stackLoadBalancerViolations,
    },
    {
        name: "default-deny-network-policy",
        description: "Every namespace has a default-deny NetworkPolicy: empty podSelector, Ingress and Egress, no rules.",
        prodOnly: false,
        check: defaultDenyViolations,
    },
    {
        name: "prod-data-protected",
        description: "In prod, every PersistentVolumeClaim, KMS key, ECR repository, CloudWatch log group and S3 bucket (backups) has protect set.",
        prodOnly: true,
        check: dataProtectionViolations,
    },
];

/** Every per-object violation of one resource, as the pack would report it (for tests and tools). */
export function objectViolations(type: string, props: K8sObject): { rule: string; message: string }[] {
    return objectRules.filter((r) => r.types.includes(type)).flatMap((r) => r.check(props).map((message) => ({ rule: r.name, message })));
}

/** Every stack-level violation, prod-only rules included only when `isProdStack`. */
export function stackViolations(resources: readonly StackResource[], config: PackConfig = {}): { rule: string; message: string; urn?: string }[] {
    const prod = isProdStack(resources, config);
    return stackRules.filter((r) => prod || !r.prodOnly).flatMap((r) => r.check(resources).map((v) => ({ rule: r.name, ...v })));
}
