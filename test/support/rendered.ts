import type { ResourceRecord } from "../../tools/render/recorder";
import type { RenderedStack } from "./render-helper";

/** Helpers to query a rendered stack: resources by type, manifests by kind and name, dependency closure. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = Record<string, any>;

export function manifestsOf(stack: RenderedStack, kind?: string): Manifest[] {
    return Object.values(stack.manifests).filter((m) => kind === undefined || m.kind === kind) as Manifest[];
}

export function manifest(stack: RenderedStack, kind: string, name: string): Manifest {
    const found = manifestsOf(stack, kind).find((m) => m.metadata?.name === name);
    if (!found) throw new Error(`no ${kind} named ${name} in the render (have: ${manifestsOf(stack, kind).map((m) => m.metadata?.name).join(", ")})`);
    return found;
}

export function resourcesOfType(stack: RenderedStack, type: string): ResourceRecord[] {
    return stack.resources.filter((r) => r.type === type);
}

/** Every URN a resource waits on, directly or through the resources it waits on. */
export function dependencyClosure(stack: RenderedStack, urn: string): Set<string> {
    const byUrn = new Map(stack.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const queue = [...(byUrn.get(urn)?.dependencies ?? [])];
    while (queue.length > 0) {
        const next = queue.pop()!;
        if (seen.has(next)) continue;
        seen.add(next);
        const resource = byUrn.get(next);
        if (!resource) continue;
        queue.push(...resource.dependencies);
    }
    return seen;
}

/** Pod templates with their owner, for every workload kind that runs pods. */
export function podTemplates(stack: RenderedStack): { owner: string; labels: Record<string, string>; spec: Manifest }[] {
    const out: { owner: string; labels: Record<string, string>; spec: Manifest }[] = [];
    for (const m of manifestsOf(stack)) {
        const template = m.kind === "CronJob" ? m.spec?.jobTemplate?.spec?.template : ["Deployment", "StatefulSet", "Job", "DaemonSet"].includes(m.kind) ? m.spec?.template : undefined;
        if (template) out.push({ owner: `${m.kind}/${m.metadata.name}`, labels: template.metadata?.labels ?? {}, spec: template.spec });
    }
    return out;
}

/** Parses Kubernetes CPU and memory quantities into cores and bytes. */
export function cpuCores(quantity: string): number {
    return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

export function bytes(quantity: string): number {
    const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
    const match = /^([0-9.]+)([A-Za-z]*)$/.exec(quantity);
    if (!match) throw new Error(`not a quantity: ${quantity}`);
    return Number(match[1]) * (units[match[2]] ?? 1);
}
