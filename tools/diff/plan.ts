import { stringify } from "yaml";
import { buildManifests } from "../render/manifests";
import type { OutputRecord, ResourceRecord } from "../render/recorder";
import type { Json, JsonObject } from "../render/values";
import { KubernetesProviderFlags, replacementReasons, sameJson } from "./replacements";

/** One stack's offline render, as `npm run render` writes it (resources.json, outputs.json). */
export interface RenderFiles {
    resources: ResourceRecord[];
    outputs: Record<string, OutputRecord>;
}

export type Action = "replace" | "delete" | "update" | "create";

export interface ResourceChange {
    action: Action;
    urn: string;
    type: string;
    name: string;
    /** `Kind namespace/name` for a Kubernetes object, else the resource name. */
    title: string;
    /** Leaf paths whose values differ (update and replace). */
    changedFields: string[];
    /** The changed fields that force the replacement, "`path`" each (replace only). */
    replaceReasons: string[];
    /** The object as YAML before and after (a Kubernetes manifest with Secret data redacted, or the inputs). */
    before?: string;
    after?: string;
}

export interface OutputChange {
    name: string;
    before?: OutputRecord;
    after?: OutputRecord;
}

export interface StackPlan {
    changes: ResourceChange[];
    outputs: OutputChange[];
}

const STACK_TYPE = "pulumi:pulumi:Stack";
const ACTION_ORDER: Action[] = ["replace", "delete", "update", "create"];

/**
 * What `pulumi up` would do to a stack deployed from `base` when given `head`, as far as the offline renders
 * show it: resources are matched by URN (a renamed resource is a delete plus a create, as for the engine
 * without aliases), their inputs compared, and a changed input the provider cannot update in place marks
 * the resource replaced. Kubernetes objects are compared as their manifests (autonames filled in, Secret
 * values redacted); everything else by its inputs, where Pulumi secrets are already redacted by the render.
 */
export function planStack(base: RenderFiles, head: RenderFiles): StackPlan {
    const before = comparable(base);
    const after = comparable(head);
    const flags = kubernetesProviderFlags(head.resources);
    const changes: ResourceChange[] = [];
    for (const urn of [...new Set([...before.keys(), ...after.keys()])].sort()) {
        const old = before.get(urn);
        const next = after.get(urn);
        if (old === undefined && next !== undefined) {
            changes.push({ ...identity(next), action: "create", changedFields: [], replaceReasons: [], after: toYaml(next.body) });
        } else if (old !== undefined && next === undefined) {
            changes.push({ ...identity(old), action: "delete", changedFields: [], replaceReasons: [], before: toYaml(old.body) });
        } else if (old !== undefined && next !== undefined) {
            const changedFields = [...changedPaths(old.body, next.body, ""), ...optionChanges(old.resource, next.resource)];
            if (changedFields.length === 0) continue;
            const reasons = replacementReasons(next.resource.type, old.body, next.body, flags);
            changes.push({
                ...identity(next),
                action: reasons.length > 0 ? "replace" : "update",
                changedFields,
                replaceReasons: reasons,
                before: toYaml(old.body),
                after: toYaml(next.body),
            });
        }
    }
    changes.sort((a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action) || compare(a.urn, b.urn));
    return { changes, outputs: outputChanges(base.outputs, head.outputs) };
}

export function isNoop(plan: StackPlan): boolean {
    return plan.changes.length === 0 && plan.outputs.length === 0;
}

interface Comparable {
    resource: ResourceRecord;
    title: string;
    /** What is compared and shown: the manifest of a Kubernetes object, else the inputs. */
    body: JsonObject;
}

function comparable(render: RenderFiles): Map<string, Comparable> {
    const manifests = new Map(buildManifests(render.resources).map((manifest) => [manifest.urn, manifest.object]));
    const result = new Map<string, Comparable>();
    for (const resource of render.resources) {
        if (resource.type === STACK_TYPE) continue;
        const manifest = manifests.get(resource.urn);
        result.set(resource.urn, { resource, title: manifest ? kubernetesTitle(manifest) : resource.name, body: manifest ?? resource.inputs });
    }
    return result;
}

function identity(entry: Comparable): Pick<ResourceChange, "urn" | "type" | "name" | "title"> {
    return { urn: entry.resource.urn, type: entry.resource.type, name: entry.resource.name, title: entry.title };
}

function kubernetesTitle(object: JsonObject): string {
    const metadata = (object["metadata"] ?? {}) as JsonObject;
    const name = String(metadata["name"] ?? metadata["generateName"] ?? "?");
    return `${String(object["kind"])} ${typeof metadata["namespace"] === "string" ? `${metadata["namespace"]}/` : ""}${name}`;
}

/** The Kubernetes provider's Secret/ConfigMap mutability (both false when there is none, as in the provider). */
function kubernetesProviderFlags(resources: ResourceRecord[]): KubernetesProviderFlags {
    const provider = resources.find((resource) => resource.type === "pulumi:providers:kubernetes");
    const flag = (key: string): boolean => provider !== undefined && String(provider.inputs[key]) === "true";
    return { enableSecretMutable: flag("enableSecretMutable"), enableConfigMapMutable: flag("enableConfigMapMutable") };
}

/** Leaf paths where two JSON values differ; a list item is addressed by index, a whole added/removed subtree by its root. */
function changedPaths(before: Json | undefined, after: Json | undefined, at: string): string[] {
    if (sameJson(before, after)) return [];
    if (isObject(before) && isObject(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        return keys.flatMap((key) => changedPaths(before[key], after[key], childPath(at, key)));
    }
    if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
        return before.flatMap((item, index) => changedPaths(item, after[index], `${at}[${index}]`));
    }
    return [at === "" ? "(whole object)" : at];
}

/** `a.b`, or `a["nsip.dev/env-checksum"]` for a key that is not a plain identifier. */
function childPath(at: string, key: string): string {
    if (!/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return `${at}[${JSON.stringify(key)}]`;
    return at === "" ? key : `${at}.${key}`;
}

function optionChanges(before: ResourceRecord, after: ResourceRecord): string[] {
    const options = ["protect", "retainOnDelete", "provider"] as const;
    return options.filter((option) => before[option] !== after[option]).map((option) => `(option) ${option}`);
}

function outputChanges(before: Record<string, OutputRecord>, after: Record<string, OutputRecord>): OutputChange[] {
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return names
        .filter((name) => before[name]?.secret !== after[name]?.secret || !sameJson(before[name]?.value, after[name]?.value))
        .map((name) => ({ name, before: before[name], after: after[name] }));
}

function toYaml(body: JsonObject): string {
    return stringify(body, { lineWidth: 0, aliasDuplicateObjects: false });
}

function isObject(value: Json | undefined): value is JsonObject {
    return value !== null && value !== undefined && typeof value === "object" && !Array.isArray(value);
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
