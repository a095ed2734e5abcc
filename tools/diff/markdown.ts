import { createPatch } from "diff";
import type { Action, OutputChange, ResourceChange, StackPlan } from "./plan";
import { isNoop } from "./plan";

export const NO_CHANGES = "no changes";

export interface StackReport {
    stack: string;
    plan: StackPlan;
}

export interface MarkdownOptions {
    /** e.g. "`main` (3f2c1ab)": what the working tree is compared with. */
    baseLabel: string;
    /** A comment longer than this drops the folded per-object diffs (GitHub caps a comment at 65,536 characters). */
    maxChars: number;
}

const HEADINGS: Record<Action, string> = {
    replace: "Replaced, i.e. deleted and created again",
    delete: "Deleted",
    update: "Updated in place",
    create: "Added",
};
const VERBS: Record<Action, string> = { replace: "to replace", delete: "to delete", update: "to update", create: "to add" };
const MAX_FIELDS_LISTED = 8;

/** The pull-request comment: "no changes" alone when no stack changes, else one section per stack. */
export function renderMarkdown(reports: StackReport[], options: MarkdownOptions): string {
    if (reports.every((report) => isNoop(report.plan))) return `${NO_CHANGES}\n`;
    const full = document(reports, options, true);
    if (full.length <= options.maxChars) return full;
    const short = document(reports, options, false);
    return `${short}\n_The per-object diffs are left out: with them this comment would exceed ${options.maxChars} characters. ` +
        "Run the command above locally to see them._\n";
}

function document(reports: StackReport[], options: MarkdownOptions, withDiffs: boolean): string {
    return reports.map((report) => stackSection(report, options, withDiffs)).join("\n");
}

function stackSection({ stack, plan }: StackReport, options: MarkdownOptions, withDiffs: boolean): string {
    const lines = [`### Stack \`${stack}\`: offline plan against ${options.baseLabel}`, ""];
    if (isNoop(plan)) {
        lines.push(NO_CHANGES, "");
        return lines.join("\n");
    }
    lines.push(`**${summary(plan)}**`, "");
    for (const action of Object.keys(HEADINGS) as Action[]) {
        const changes = plan.changes.filter((change) => change.action === action);
        if (changes.length === 0) continue;
        lines.push(`#### ${HEADINGS[action]} (${changes.length})`, "");
        for (const change of changes) lines.push(...resourceItem(change, withDiffs));
        lines.push("");
    }
    if (plan.outputs.length > 0) {
        lines.push(`#### Outputs changed (${plan.outputs.length})`, "", "| output | before | after |", "|---|---|---|");
        for (const output of plan.outputs) lines.push(outputRow(output));
        lines.push("");
    }
    return lines.join("\n");
}

function summary(plan: StackPlan): string {
    const counts = (Object.keys(VERBS) as Action[])
        .map((action) => [action, plan.changes.filter((change) => change.action === action).length] as const)
        .filter(([, count]) => count > 0)
        .map(([action, count]) => `${count} ${VERBS[action]}`);
    if (plan.outputs.length > 0) counts.push(`${plan.outputs.length} output${plan.outputs.length === 1 ? "" : "s"} changed`);
    return counts.join(", ");
}

function resourceItem(change: ResourceChange, withDiffs: boolean): string[] {
    let line = `- ${code(change.title)} ${code(change.type)}`;
    if (change.action === "replace") line += `: replaced because ${change.replaceReasons.join(", ")} cannot change in place`;
    else if (change.action === "update") line += `: ${fieldList(change.changedFields)}`;
    const lines = [line];
    const body = withDiffs ? folded(change) : undefined;
    // Indented under the list item, so the fold belongs to it.
    if (body !== undefined) lines.push(...body.flatMap((text) => text.split("\n")).map((text) => (text === "" ? "" : `  ${text}`)));
    return lines;
}

function fieldList(fields: string[]): string {
    const shown = fields.slice(0, MAX_FIELDS_LISTED).map(code).join(", ");
    return fields.length > MAX_FIELDS_LISTED ? `${shown} and ${fields.length - MAX_FIELDS_LISTED} more` : shown;
}

/** The object's diff (or, for an addition, the whole object) folded under the item. Deletions show nothing more. */
function folded(change: ResourceChange): string[] | undefined {
    if (change.action === "delete") return undefined;
    if (change.action === "create") return details("manifest", "yaml", change.after ?? "");
    const patch = createPatch(change.title, change.before ?? "", change.after ?? "", "base", "working tree", { context: 3 });
    // Drop jsdiff's "Index:" and "====" lines; keep the ---/+++ header and the hunks.
    const body = patch.split("\n").slice(2).join("\n");
    return details("diff", "diff", body);
}

function details(summaryText: string, language: string, text: string): string[] {
    const fence = "`".repeat(Math.max(3, longestBacktickRun(text) + 1));
    return ["<details><summary>" + summaryText + "</summary>", "", fence + language, text.replace(/\n$/, ""), fence, "", "</details>"];
}

function outputRow(output: OutputChange): string {
    return `| ${code(output.name)} | ${outputCell(output.before)} | ${outputCell(output.after)} |`;
}

function outputCell(record: OutputChange["before"]): string {
    if (record === undefined) return "_(none)_";
    if (record.secret) return "_secret_";
    const text = typeof record.value === "string" ? record.value : JSON.stringify(record.value);
    return code(text.replace(/\|/g, "\\|"));
}

function code(text: string): string {
    const fence = "`".repeat(longestBacktickRun(text) + 1);
    const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
    return `${fence}${pad}${text}${pad}${fence}`;
}

function longestBacktickRun(text: string): number {
    return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}
