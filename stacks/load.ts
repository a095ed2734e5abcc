import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { backupSecretPaths } from "./backup-config";
import { clusterDefaults, profileDefaults } from "./profiles";
import { placeholderIssues, placeholderMode } from "./placeholders";
import { prodFloorRules } from "./prod-floor";
import { ConfigIssue, ConfigRule, crossFieldRules } from "./rules";
import { configKeys, configSchema, Environment, NsipConfig } from "./schema";

export const PROJECT = "nsip";

/** Thrown before any resource is registered; the message names every bad key, one per line. */
export class NsipConfigError extends Error {
    override readonly name = "NsipConfigError";
    constructor(readonly issues: ConfigIssue[]) {
        super(`Invalid stack configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
            issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n"));
    }
}

/** Keys whose value must come from `pulumi config set --secret` when present. */
const secretPaths: readonly string[][] = [["cluster", "kubeconfig"], ["cluster", "registry", "password"], ...backupSecretPaths];

/** Reads the stack's `nsip:*` config from the Pulumi runtime. Call once, from index.ts. */
export function loadStackConfig(): NsipConfig {
    const raw = pulumi.runtime.allConfig();
    // isConfigSecret is exported by the SDK's runtime (runtime/config.js) but not declared in its typings.
    const runtime = pulumi.runtime as unknown as { isConfigSecret: (key: string) => boolean };
    const secretKeys = Object.keys(raw).filter((key) => runtime.isConfigSecret(key));
    const config = parseStackConfig(raw, { stack: pulumi.getStack(), secretKeys });
    const refused = placeholderIssues(config, placeholderMode());
    if (refused.length > 0) throw new NsipConfigError(refused);
    return config;
}

/**
 * Pure core of the loader: raw config strings (as the engine passes them) in, validated config out.
 * Stack values are merged over the environment's defaults, validated strictly, then checked
 * against the prod floor. Every problem is collected and reported together.
 */
export function parseStackConfig(raw: Record<string, string>, opts: { stack: string; secretKeys?: string[] }): NsipConfig {
    const issues: ConfigIssue[] = [];
    const values: Record<string, unknown> = {};

    for (const [fullKey, text] of Object.entries(raw)) {
        const [namespace, key] = splitKey(fullKey);
        if (namespace !== PROJECT) continue;
        if (!(configKeys as string[]).includes(key)) {
            issues.push({ key: fullKey, message: `unknown key${suggest(key, configKeys)}; expected one of ${configKeys.map((k) => `nsip:${k}`).join(", ")}` });
            continue;
        }
        values[key] = decode(text);
    }

    const envValue = values.environment ?? (opts.stack === "dev" || opts.stack === "prod" ? opts.stack : undefined);
    const envValid = envValue === "dev" || envValue === "prod";
    if (!envValid) issues.push({ key: "nsip:environment", message: `expected "dev" or "prod", found ${describe(envValue)}` });
    // With no valid environment, the rest is still checked against the dev defaults so every problem shows at once.
    const env: Environment = envValid ? envValue : "dev";

    for (const path of secretPaths) {
        const fullKey = `${PROJECT}:${path[0]}`;
        if (valueAt(values, path) !== undefined && !opts.secretKeys?.includes(fullKey)) {
            issues.push({ key: keyPath(path), message: `must be set as a secret: pulumi config set --secret --path ${keyPath(path)} <value>` });
        }
    }

    const stackCluster = isObject(values.cluster) ? values.cluster : {};
    // A provider that is none of the three gets no cluster defaults; the schema names it.
    const provider = stackCluster.provider as NsipConfig["cluster"]["provider"] | undefined;
    const merged = deepMerge(
        { ...profileDefaults(env), cluster: clusterDefaults(env, opts.stack, provider) },
        { ...values, environment: env },
    );

    const parsed = configSchema.safeParse(merged);
    const schemaIssues = parsed.success ? [] : parsed.error.issues;
    issues.push(...schemaIssues.flatMap((issue) => describeIssue(issue, merged)));

    // The rules run even when the schema rejected something: over a view of the config that lets
    // them read every accepted value, and skips a rule at the first rejected value it reads.
    const config = parsed.success ? parsed.data : acceptedValuesOnly<NsipConfig>(merged, schemaIssues);
    issues.push(...runRules(crossFieldRules, config), ...runRules(prodFloorRules, config));

    if (issues.length > 0) throw new NsipConfigError(dedupe(issues));
    return parsed.data!;
}

/** Thrown by the view of a partly invalid config when a rule reads a value the schema rejected. */
class RejectedValueRead extends Error {}

function runRules(rules: readonly ConfigRule[], config: NsipConfig): ConfigIssue[] {
    return rules.flatMap((r) => {
        try {
            return r.check(config);
        } catch (error) {
            if (error instanceof RejectedValueRead) return [];
            throw error;
        }
    });
}

/**
 * A read-only view of the merged config in which reading a value the schema rejected (or found
 * missing) throws RejectedValueRead. Unknown keys reject no value: their siblings stay readable.
 */
function acceptedValuesOnly<T>(root: Record<string, unknown>, schemaIssues: readonly z.core.$ZodIssue[]): T {
    const rejected = new Set(schemaIssues.filter((i) => i.code !== "unrecognized_keys").map((i) => JSON.stringify(i.path.map(String))));
    const view = (node: unknown, path: string[]): unknown => {
        if (typeof node !== "object" || node === null) return node;
        return new Proxy(node, {
            get(target, property, receiver) {
                const value: unknown = Reflect.get(target, property, receiver);
                // Symbols and methods (array.map) pass too: no rejected path ends in one, and view() returns functions as they are.
                const childPath = [...path, String(property)];
                if (rejected.has(JSON.stringify(childPath))) throw new RejectedValueRead();
                return view(value, childPath);
            },
            // Stryker disable next-line ArrowFunction: a trap returning undefined is as falsy as false; either makes a rule's write throw
            set: () => false,
        });
    };
    return view(root, []) as T;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
    const seen = new Set<string>();
    return issues.filter((i) => {
        const line = `${i.key}: ${i.message}`;
        if (seen.has(line)) return false;
        seen.add(line);
        return true;
    });
}

function splitKey(fullKey: string): [string, string] {
    const at = fullKey.indexOf(":");
    return at < 0 ? [PROJECT, fullKey] : [fullKey.slice(0, at), fullKey.slice(at + 1)];
}

/** The engine hands every value over as a string; objects, arrays, numbers and booleans as JSON. */
function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): ConfigIssue[] {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((unknownKey) => ({
            key: keyPath([...path, unknownKey]),
            // zod reports unknown keys of an object only, so the input there is one.
            message: `unknown key${suggest(unknownKey, Object.keys(valueAt(input, path) as object))}`,
        }));
    }
    // zod's messages (v4 en locale) start with "Invalid input: " and end with ", received <type>", or hold neither.
    // Stryker disable next-line Regex: only zod's prefix is removed, and it only ever starts a message, so the anchor changes nothing
    const withoutPrefix = issue.message.replace(/^Invalid input: /, "");
    const message = withoutPrefix.replace(/, received \w+$/, "");
    return [{ key: keyPath(path), message: `${message}, found ${describe(valueAt(input, path))}` }];
}

function keyPath(path: string[]): string {
    const [head, ...rest] = path;
    return `${PROJECT}:${head}` + rest.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("");
}

function describe(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: string[]): unknown {
    let node = root;
    for (const part of path) {
        if (!isObject(node) && !Array.isArray(node)) return undefined;
        node = (node as Record<string, unknown>)[part];
    }
    return node;
}

/** " (did you mean x?)" for the closest known key within two edits, else "". */
function suggest(key: string, known: readonly string[]): string {
    let best: string | undefined;
    let bestDistance = 3;
    for (const candidate of known) {
        const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance && d > 0) {
            best = candidate;
            bestDistance = d;
        }
    }
    return best ? ` (did you mean "${best}"?)` : "";
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; arrays and scalars from the stack replace the default. */
function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) {
        out[key] = isObject(value) && isObject(base[key]) ? deepMerge(base[key] as Record<string, unknown>, value) : value;
    }
    return out;
}
