import { stringify } from "yaml";
import { applyCheckDefaults } from "./mocks";
import type { ResourceRecord } from "./recorder";
import { Json, JsonObject, SECRET_PLACEHOLDER } from "./values";

export interface Manifest {
    /** File name inside `manifests/`, stable across renders. */
    file: string;
    urn: string;
    object: JsonObject;
}

/** Helm's install order: the numeric file prefix, so `kubectl apply -f manifests/` creates dependencies first. */
const APPLY_ORDER = [
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodDisruptionBudget", "ServiceAccount", "Secret",
    "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleBinding", "Role", "RoleBinding", "Service", "DaemonSet", "Pod", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
];
const UNLISTED_KIND_RANK = 99;
const REDACTED_BASE64 = Buffer.from(SECRET_PLACEHOLDER).toString("base64");

/** One manifest per Kubernetes object the program declares (providers, components and patches are not objects). */
export function buildManifests(resources: ResourceRecord[]): Manifest[] {
    const used = new Set<string>();
    return resources
        .filter((resource) => resource.custom && resource.type.startsWith("kubernetes:") && !/(Patch|List)$/.test(resource.type))
        .map((resource) => {
            const object = toObject(resource);
            const file = uniqueName(fileName(object), used);
            return { file, urn: resource.urn, object };
        });
}

export function manifestYaml(manifest: Manifest): string {
    return stringify(manifest.object, { lineWidth: 0, aliasDuplicateObjects: false });
}

function toObject(resource: ResourceRecord): JsonObject {
    const checked = applyCheckDefaults(resource.type, resource.name, resource.inputs) as JsonObject;
    const object = checked["kind"] === "Secret" ? redactSecretData(checked) : checked;
    const { apiVersion, kind, metadata, ...rest } = object;
    const ordered: JsonObject = {};
    for (const [key, value] of [["apiVersion", apiVersion], ["kind", kind], ["metadata", metadata]] as const) {
        if (value !== undefined) {
            ordered[key] = value;
        }
    }
    for (const key of Object.keys(rest).sort()) {
        ordered[key] = rest[key] as Json;
    }
    return nameFirst(ordered) as JsonObject;
}

/** Secret manifests never carry values, whether or not the program marked them secret. */
function redactSecretData(secret: JsonObject): JsonObject {
    const redacted: JsonObject = { ...secret };
    for (const [field, placeholder] of [["data", REDACTED_BASE64], ["stringData", SECRET_PLACEHOLDER]] as const) {
        const values = secret[field];
        if (values !== null && typeof values === "object" && !Array.isArray(values)) {
            redacted[field] = Object.fromEntries(Object.keys(values).map((key) => [key, placeholder]));
        } else if (values !== undefined) {
            redacted[field] = placeholder;
        }
    }
    return redacted;
}

/** Kubernetes readers expect `name` first in list items (containers, ports, env); everything else stays sorted. */
function nameFirst(value: Json): Json {
    if (Array.isArray(value)) {
        return value.map(nameFirst);
    }
    if (value === null || typeof value !== "object") {
        return value;
    }
    const result: JsonObject = {};
    if ("name" in value) {
        result["name"] = nameFirst(value["name"] as Json);
    }
    for (const [key, item] of Object.entries(value)) {
        if (key !== "name") {
            result[key] = nameFirst(item);
        }
    }
    return result;
}

function fileName(object: JsonObject): string {
    const kind = typeof object["kind"] === "string" ? object["kind"] : "Object";
    const metadata = (object["metadata"] ?? {}) as JsonObject;
    const rank = APPLY_ORDER.indexOf(kind);
    const parts = [String(rank >= 0 ? rank : UNLISTED_KIND_RANK).padStart(2, "0"), kind, metadata["namespace"], metadata["name"] ?? metadata["generateName"]];
    return parts
        .filter((part): part is string => typeof part === "string" && part !== "")
        .map((part) => part.toLowerCase().replace(/[^a-z0-9.]+/g, "-").replace(/^-+|-+$/g, ""))
        .join("-");
}

function uniqueName(base: string, used: Set<string>): string {
    let candidate = `${base}.yaml`;
    for (let n = 2; used.has(candidate); n++) {
        candidate = `${base}-${n}.yaml`;
    }
    used.add(candidate);
    return candidate;
}
