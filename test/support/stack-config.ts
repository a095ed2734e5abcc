import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { NsipConfigError, parseStackConfig } from "../../stacks/load";

/** Stack config as the engine hands it to the program, and the loader's verdict on it. */

/** A stack file's `config:` map as the engine hands it to the program: every value a string, objects as JSON. */
export function stackFile(stack: string): Record<string, string> {
    const doc = parseYaml(fs.readFileSync(path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    return encode(doc.config);
}

export function encode(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** The stack file with these keys merged over it (objects one level deep, like `pulumi config set --path`). */
export function withOverrides(stack: string, overrides: Record<string, unknown>): Record<string, string> {
    const base = stackFile(stack);
    for (const [key, value] of Object.entries(overrides)) {
        const current = base[key] !== undefined && base[key].startsWith("{") ? (JSON.parse(base[key]) as Record<string, unknown>) : undefined;
        base[key] = typeof value === "string" ? value : JSON.stringify(current && typeof value === "object" ? { ...current, ...value } : value);
    }
    return base;
}

/** The loader's rejection as `key: message` lines; fails the test if the config is accepted. */
export function problems(raw: Record<string, string>, stack: string, secretKeys: string[] = []): string[] {
    try {
        parseStackConfig(raw, { stack, secretKeys });
    } catch (error) {
        assert.ok(error instanceof NsipConfigError, `expected NsipConfigError, got ${String(error)}`);
        return error.issues.map((i) => `${i.key}: ${i.message}`);
    }
    assert.fail("expected the config to be rejected");
}

/** An S3-compatible backup target with its writer and reader key pairs (as the loader sees them: plain values). */
export const S3_COMPATIBLE_TARGET = {
    kind: "s3Compatible",
    endpoint: "https://minio.example.com:9000",
    bucket: "nsip-backups",
    region: "us-east-1",
    writer: { accessKeyId: "WRITER", secretAccessKey: "writer-secret" },
    reader: { accessKeyId: "READER", secretAccessKey: "reader-secret" },
} as const;

/** The dev stack as an `existing` cluster with prebuilt images, backing up to S3_COMPATIBLE_TARGET with these keys over it. */
export function s3CompatibleStack(target: Record<string, unknown> = {}): Record<string, string> {
    const digest = (name: string) => `r.example.com/${name}@sha256:${"ab".repeat(32)}`;
    return withOverrides("dev", {
        "nsip:cluster": { provider: "existing", context: "staging" },
        "nsip:edge": { hostname: "nsip.staging.example.com" },
        "nsip:images": { prebuilt: { api: digest("api"), frontend: digest("f"), analyzer: digest("a") } },
        "nsip:backup": { target: { ...S3_COMPATIBLE_TARGET, ...target } },
    });
}
