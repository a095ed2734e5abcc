import type { ResourceRecord } from "./recorder";

/**
 * A short picture of what `pulumi up` would create: the component hierarchy, and under each component
 * its custom resources counted by type. Stable order: components by type then name, counts by type.
 */
export function summaryTree(resources: ResourceRecord[]): string {
    const children = new Map<string, ResourceRecord[]>();
    for (const resource of resources) {
        const siblings = children.get(resource.parent ?? "") ?? [];
        siblings.push(resource);
        children.set(resource.parent ?? "", siblings);
    }
    // A node counts itself, as `pulumi preview` counts components and the stack among the resources to create.
    const count = (urn: string): number => (children.get(urn) ?? []).reduce((total, child) => total + count(child.urn), 1);

    const lines: string[] = [];
    const visit = (node: ResourceRecord, prefix: string, childPrefix: string): void => {
        lines.push(`${prefix}${node.name} (${node.type}, ${plural(count(node.urn), "resource")})`);
        const below = children.get(node.urn) ?? [];
        const components = below.filter((child) => !child.custom).sort((a, b) => byKey(a, b));
        const counts = new Map<string, number>();
        for (const child of below.filter((c) => c.custom)) {
            counts.set(child.type, (counts.get(child.type) ?? 0) + 1);
        }
        const entries: Array<{ text?: string; component?: ResourceRecord }> = [
            ...[...counts.keys()].sort().map((type) => ({ text: `${type} ×${counts.get(type)}` })),
            ...components.map((component) => ({ component })),
        ];
        entries.forEach((entry, index) => {
            const last = index === entries.length - 1;
            const branch = childPrefix + (last ? "└── " : "├── ");
            const continuation = childPrefix + (last ? "    " : "│   ");
            if (entry.component !== undefined) {
                visit(entry.component, branch, continuation);
            } else {
                lines.push(`${branch}${entry.text}`);
            }
        });
    };
    for (const root of (children.get("") ?? []).sort(byKey)) {
        visit(root, "", "");
    }
    return lines.join("\n");
}

function byKey(a: ResourceRecord, b: ResourceRecord): number {
    const left = `${a.type}\u0000${a.name}`;
    const right = `${b.type}\u0000${b.name}`;
    return left < right ? -1 : left > right ? 1 : 0;
}

function plural(count: number, noun: string): string {
    return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
