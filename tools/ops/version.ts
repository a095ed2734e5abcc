import type { OpsContext } from "./commands";
import { ExitCode } from "./errors";
import { table } from "./format";

/** The images the stack builds and pushes (stacks/outputs.ts imageDigests), by the workload that runs them. */
export const BUILT_IMAGES = ["api", "frontend", "analyzer"] as const;

/** "repo@sha256:abc" -> "sha256:abc"; a tag-only reference has no digest. */
export function digestOf(reference: string | undefined): string | undefined {
    return /@(sha256:[0-9a-f]{64})$/.exec(reference ?? "")?.[1] ?? /(sha256:[0-9a-f]{64})$/.exec(reference ?? "")?.[1];
}

export interface VersionRow {
    workload: string;
    version: string;
    /** The template's image reference and the digests the running pods report (containerStatuses[].imageID). */
    image: string;
    running: string[];
    /** What the stack's imageDigests output says, for the images the stack builds. */
    stack?: string;
    verdict: "matches" | "DRIFT" | "not compared" | "third-party";
}

export function versionVerdict(built: boolean, image: string, running: readonly string[], stack: string | undefined): VersionRow["verdict"] {
    if (!built) {
        return "third-party";
    }
    if (stack === undefined) {
        return "not compared";
    }
    const wanted = digestOf(stack);
    const templateMatches = image === stack || (wanted !== undefined && digestOf(image) === wanted);
    const podsMatch = running.every((digest) => digest === wanted);
    return templateMatches && podsMatch ? "matches" : "DRIFT";
}

export async function version(context: OpsContext): Promise<number> {
    const { kube, outputs } = context.stack;
    const workloads = await kube.workloads();
    const rows: VersionRow[] = [];
    for (const workload of workloads) {
        const template = workload.object.spec?.template;
        const container = (template?.spec?.containers ?? []).find((candidate) => candidate.name === workload.name) ?? template?.spec?.containers[0];
        if (container === undefined) {
            continue;
        }
        const pods = await kube.podsOf(workload);
        const running = [
            ...new Set(
                pods
                    .flatMap((pod) => pod.status?.containerStatuses ?? [])
                    .filter((status) => status.name === container.name && status.imageID !== undefined && status.imageID !== "")
                    .map((status) => digestOf(status.imageID) ?? status.imageID),
            ),
        ];
        const built = (BUILT_IMAGES as readonly string[]).includes(workload.name);
        const stack = built ? outputs.imageDigests?.[workload.name as (typeof BUILT_IMAGES)[number]] : undefined;
        const image = container.image ?? "";
        rows.push({
            workload: `${workload.kind}/${workload.name}`,
            version: template?.metadata?.labels?.["app.kubernetes.io/version"] ?? workload.object.metadata?.labels?.["app.kubernetes.io/version"] ?? "?",
            image,
            running,
            stack,
            verdict: versionVerdict(built, image, running, stack),
        });
    }
    context.io.stdout.write(
        table(
            ["WORKLOAD", "VERSION", "IMAGE", "RUNNING DIGESTS", "STACK", "VERDICT"],
            rows.map((row) => [row.workload, row.version, row.image, row.running.join(",") || "-", row.stack ?? "-", row.verdict]),
        ),
    );
    if (outputs.imageDigests === undefined) {
        context.io.stderr.write(`ops version: stack ${context.stack.label} has no imageDigests output: nothing compared\n`);
    }
    const drift = rows.filter((row) => row.verdict === "DRIFT");
    if (drift.length > 0) {
        context.io.stderr.write(`ops version: ${drift.map((row) => row.workload).join(", ")} differ from the stack's imageDigests (run pulumi up, or wait for the rollout)\n`);
        return ExitCode.Drift;
    }
    return ExitCode.Ok;
}
