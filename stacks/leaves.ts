import { z } from "zod";
import type * as v from "./values";

/**
 * The leaf builders of the config schema (schema.ts and its backup part, backup-config.ts): each leaf checks its value
 * with one message that says what was expected, and carries `domain` metadata, the kind of value it is, which the
 * property test (test/support/config-arbitraries.ts) generates values from.
 */

/** The kinds of string a leaf may hold; the property test has a generator for each. */
export type StringDomain =
    | "cpu"
    | "memory"
    | "ephemeralStorage"
    | "volumeSize"
    | "dnsLabel"
    | "dnsSubdomain"
    | "hostName"
    | "labelValue"
    | "vpcCidr"
    | "publicAccessCidr"
    | "cron"
    | "nginxSize"
    | "redisMemory"
    | "registryServer"
    | "repositoryPrefix"
    | "corsOrigin"
    | "httpUrl"
    | "awsRegion"
    | "acmArn"
    | "iamArn"
    | "instanceType"
    | "kubernetesVersion"
    | "eksAddonVersion"
    | "imageByDigest"
    | "grafanaUser"
    | "text";

/** Rejects the value (or its item at `path`) with this message; the loader reports an issue's path and message, never a custom issue's code. */
export function fail<T>(ctx: z.core.$RefinementCtx<T>, message: string, path: PropertyKey[] = []): void {
    // Stryker disable next-line StringLiteral: equivalent, no reader of the schema's issues looks at a custom issue's code
    ctx.addIssue({ code: "custom", message, path });
}

/** A string leaf checked by one function: one message per bad value, saying what was expected. */
export function checked(domain: StringDomain, check: v.Check<string>) {
    return z
        .string()
        .superRefine((value, ctx) => {
            const problem = check(value);
            if (problem !== undefined) fail(ctx, problem);
        })
        .meta({ domain });
}

/** An integer leaf with its accepted range in the message; the range is also the generator's domain. */
export function integer(min: number, max: number, why = "") {
    const message = `an integer from ${min} to ${max}${why}`;
    return z
        .number({ error: message })
        .superRefine((value, ctx) => {
            if (!Number.isInteger(value) || value < min || value > max) fail(ctx, message);
        })
        .meta({ domain: "integer", min, max });
}

export const flag = z.boolean({ error: "true or false" });
