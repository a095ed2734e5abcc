import fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { readProject, resolveConfig } from "../../tools/render/config";
import { parseStackConfig } from "../../stacks/load";
import { configSchema, NsipConfig, StringDomain } from "../../stacks/schema";
import { AWS_REGIONS, CLOUDWATCH_RETENTION_DAYS, partitionOf } from "../../stacks/values";

/**
 * Stack configs generated from the schema's own domain (stacks/schema.ts): the schema is walked,
 * and every leaf's `domain` metadata (or its enum, literal, boolean or integer range) picks a
 * generator of values inside it, or of mutated values outside it. A generated config is a stack
 * file plus overrides, as `pulumi config set` would leave it, and lists what was mutated and how.
 */

type Schema = z.ZodType;
type Path = (string | number)[];

export type MutationKind = "invalid-value" | "wrong-type" | "unknown-key";

export interface Mutation {
    kind: MutationKind;
    /** Path inside the config, section first: ["services", "api", "replicas"]. */
    path: Path;
    value: unknown;
}

export interface GeneratedConfig {
    stack: "dev" | "prod";
    /** Top-level `nsip:*` keys replacing the stack file's (as `renderStack`'s configOverrides takes them). */
    overrides: Record<string, unknown>;
    /** Valid-domain values set on top of the stack file, by path. */
    changes: { path: Path; value: unknown }[];
    mutations: Mutation[];
}

/** What a value generator may depend on: the cluster region (ARNs must agree with it). */
interface Context {
    region: string;
}

type Gen = (ctx: Context) => fc.Arbitrary<unknown>;

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * How many standard AZs a region offers depends on the region and the AWS account; the VPC component
 * checks it against the region at `pulumi up` (and the schema caps the count at what the component
 * builds). The render's mocked regions have 3 zones, so valid configs ask for at most 3.
 */
const MOCKED_REGION_ZONES = 3;

export function stackFileConfig(stack: string): Record<string, unknown> {
    const doc = parseYaml(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    return doc.config;
}

// ---------------------------------------------------------------------------------------------
// Values per domain: inside it, and just outside it

const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/);
const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
const hex64 = fc.stringMatching(/^[a-f0-9]{64}$/);
const publicFirstOctet = fc.integer({ min: 1, max: 99 }).filter((o) => o !== 10);

function networkAddress(octets: number[], prefix: number): string {
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const network = address - (address % 2 ** (32 - prefix));
    return `${[24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join(".")}/${prefix}`;
}
const octet = fc.integer({ min: 0, max: 255 });

const valid: Record<StringDomain, Gen> = {
    cpu: () => fc.oneof(fc.integer({ min: 1, max: 4000 }).map((n) => `${n}m`), fc.integer({ min: 1, max: 4 }).map(String), fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 9 })).map(([a, b]) => `${a}.${b}`)),
    memory: () => fc.oneof(fc.integer({ min: 16, max: 4096 }).map((n) => `${n}Mi`), fc.integer({ min: 1, max: 4 }).map((n) => `${n}Gi`), fc.integer({ min: 17, max: 4000 }).map((n) => `${n}M`)),
    ephemeralStorage: () => fc.oneof(fc.integer({ min: 1, max: 4096 }).map((n) => `${n}Mi`), fc.integer({ min: 1, max: 8 }).map((n) => `${n}Gi`)),
    volumeSize: () => fc.oneof(fc.integer({ min: 1, max: 200 }).map((n) => `${n}Gi`), fc.integer({ min: 1, max: 2 }).map((n) => `${n}Ti`)),
    dnsLabel: () => label,
    dnsSubdomain: () => fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join(".")),
    hostName: () => fc.tuple(label, label, fc.constantFrom("com", "org", "io", "net")).map((parts) => parts.join(".")),
    labelValue: () => fc.tuple(fc.nat(9), fc.nat(99), fc.nat(99), fc.option(fc.stringMatching(/^[a-z0-9]{1,6}$/), { nil: undefined })).map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ""}`),
    vpcCidr: () =>
        fc.oneof(
            fc.tuple(octet, octet, fc.integer({ min: 16, max: 24 })).map(([b, c, p]) => networkAddress([10, b, c, 0], p)),
            fc.tuple(fc.integer({ min: 16, max: 31 }), octet, fc.integer({ min: 16, max: 24 })).map(([b, c, p]) => networkAddress([172, b, c, 0], p)),
            fc.tuple(octet, fc.integer({ min: 16, max: 24 })).map(([c, p]) => networkAddress([192, 168, c, 0], p)),
        ),
    publicAccessCidr: () =>
        fc.oneof(fc.constant("0.0.0.0/0"), fc.tuple(publicFirstOctet, octet, octet, octet, fc.integer({ min: 8, max: 32 })).map(([a, b, c, d, p]) => networkAddress([a, b, c, d], p))),
    cron: () =>
        fc.oneof(
            fc.constantFrom("@daily", "@hourly", "@weekly"),
            fc
                .tuple(
                    fc.oneof(fc.nat(59).map(String), fc.integer({ min: 1, max: 30 }).map((n) => `*/${n}`)),
                    fc.oneof(fc.nat(23).map(String), fc.constant("*"), fc.tuple(fc.nat(11), fc.integer({ min: 12, max: 23 })).map(([a, b]) => `${a}-${b}`)),
                    fc.oneof(fc.constant("*"), fc.integer({ min: 1, max: 28 }).map(String)),
                    fc.oneof(fc.constant("*"), fc.integer({ min: 1, max: 12 }).map(String), fc.constant("JAN-JUN")),
                    fc.oneof(fc.constant("*"), fc.nat(6).map(String), fc.constant("MON-FRI")),
                )
                .map((fields) => fields.join(" ")),
        ),
    // Above the default 10 MiB upload limit, so most values also pass the edge/api rule.
    nginxSize: () => fc.oneof(fc.integer({ min: 11, max: 1024 }).map((n) => `${n}m`), fc.integer({ min: 11 * 1024, max: 100_000 }).map((n) => `${n}k`)),
    // Within 3/4 of the default 384Mi Redis limit, so most values also pass the Redis rule.
    redisMemory: () => fc.oneof(fc.integer({ min: 1, max: 288 }).map((n) => `${n}mb`), fc.integer({ min: 1, max: 300 }).map((n) => `${n}m`), fc.integer({ min: 1024, max: 200_000 }).map((n) => `${n}kb`)),
    registryServer: () => fc.tuple(label, fc.constantFrom("example.com", "internal", "io"), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(([host, domain, port]) => `${host}.${domain}${port ? `:${port}` : ""}`),
    repositoryPrefix: () => fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 3 }).map((parts) => parts.join("/")),
    corsOrigin: () => fc.oneof(valid.hostName({ region: "" }).map((host) => `https://${host}`), fc.integer({ min: 1, max: 65535 }).map((port) => `http://localhost:${port}`)),
    httpUrl: () => fc.tuple(label, label).map(([owner, repo]) => `https://github.com/${owner}/${repo}`),
    awsRegion: () => fc.constantFrom(...AWS_REGIONS),
    acmArn: ({ region }) => fc.tuple(digits(12), fc.uuid({ version: 4 })).map(([account, id]) => `arn:${partitionOf(region)}:acm:${region}:${account}:certificate/${id}`),
    iamArn: ({ region }) => fc.tuple(digits(12), fc.constantFrom("role", "user"), fc.stringMatching(/^[A-Za-z0-9+=,.@_-]{1,64}$/)).map(([account, type, name]) => `arn:${partitionOf(region)}:iam::${account}:${type}/${name}`),
    instanceType: () => fc.constantFrom("m6i.large", "m7g.xlarge", "c7i.2xlarge", "t3.medium", "r6i.large"),
    kubernetesVersion: () => fc.integer({ min: 28, max: 35 }).map((minor) => `1.${minor}`),
    // Mostly "default", so most configs also pass the kube-proxy minor rule.
    eksAddonVersion: () =>
        fc.oneof(
            { arbitrary: fc.constant("default"), weight: 4 },
            { arbitrary: fc.tuple(fc.nat(40), fc.nat(40), fc.nat(20), fc.integer({ min: 1, max: 60 })).map(([a, b, c, n]) => `v${a}.${b}.${c}-eksbuild.${n}`), weight: 1 },
        ),
    imageByDigest: () => fc.tuple(valid.registryServer({ region: "" }), valid.repositoryPrefix({ region: "" }), hex64).map(([server, repo, digest]) => `${server}/${repo}@sha256:${digest}`),
    grafanaUser: () => fc.stringMatching(/^[A-Za-z0-9._@-]{1,64}$/),
    text: () => fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
};

const invalid: Record<StringDomain, Gen> = {
    cpu: () => fc.oneof(fc.integer({ min: 1, max: 4096 }).map((n) => `${n}Mi`), fc.constantFrom("0", "0m", "0.0005", "-1", "1e3", "lots", "1025", ".5")),
    memory: () => fc.oneof(fc.integer({ min: 1, max: 4096 }).map((n) => `${n}m`), fc.constantFrom("8Mi", "1.5", "2Ti", "0", "512mi", "1Gb")),
    ephemeralStorage: () => fc.oneof(fc.integer({ min: 1, max: 4096 }).map((n) => `${n}m`), fc.constantFrom("512Ki", "2Ti", "1.5")),
    volumeSize: () => fc.oneof(fc.integer({ min: 1, max: 1023 }).map((n) => `${n}Mi`), fc.constantFrom("17Ti", "5m", "10GB")),
    dnsLabel: () => fc.oneof(label.map((l) => `${l}-`), label.map((l) => `-${l}`), label.map((l) => l.toUpperCase() + "X"), fc.constant("a".repeat(64)), fc.constant("a_b")),
    dnsSubdomain: () => fc.constantFrom("", "Fast", "a..b", ".gp3", "gp3."),
    hostName: () => fc.oneof(label, label.map((l) => `${l}..example.com`), label.map((l) => `https://${l}.example.com`), fc.constant("1.2.3.4")),
    labelValue: () => fc.constantFrom("1.0+build", "-1", "1.", "a".repeat(64), "v 1", ""),
    vpcCidr: () =>
        fc.oneof(
            fc.constantFrom("10.0.0.0/8", "10.40.1.0/16", "300.0.0.0/16", "198.51.100.0/24", "10.40.0.0/25", "10.40.0.0", "10.040.0.0/16"),
            fc.integer({ min: 25, max: 40 }).map((p) => `10.40.0.0/${p}`),
        ),
    publicAccessCidr: () => fc.constantFrom("10.0.0.0/8", "192.168.1.0/24", "1.2.3.4/24", "1.2.3.0/33", "256.1.1.0/24", "127.0.0.1/32", "1.2.3.4"),
    cron: () => fc.constantFrom("60 3 * * *", "0 24 * * *", "0 3 0 * *", "0 3 * 13 *", "0 3 * * 7", "0 3 * *", "*/0 * * * *", "0 5-1 * * *", "@reboot", "CRON_TZ=UTC 0 3 * * *"),
    nginxSize: () => fc.constantFrom("11mb", "1.5m", "0", "2048m", "11M", "11g", "100"),
    redisMemory: () => fc.constantFrom("256Mi", "0", "2048gb", "256MB", "1.5mb", "100kb"),
    registryServer: () => fc.oneof(valid.registryServer({ region: "" }).map((s) => `https://${s}`), valid.registryServer({ region: "" }).map((s) => `${s}/team`), fc.constantFrom("r.example.com:0", "r.example.com:70000", "-r.example.com")),
    repositoryPrefix: () => fc.constantFrom("", "/nsip", "nsip/", "team//nsip", "Team", "a___b"),
    corsOrigin: () => fc.oneof(valid.hostName({ region: "" }).map((h) => `https://${h}/`), valid.hostName({ region: "" }).map((h) => `https://${h}/app`), fc.constantFrom("*", "app.example.com", "ftp://app.example.com", "https://app.example.com:443")),
    httpUrl: () => fc.constantFrom("git@github.com:team/nsip.git", "github.com/team/nsip", "ftp://example.com/nsip"),
    awsRegion: () => fc.constantFrom("eu-west-9", "EU-WEST-1", "global", "us-east"),
    acmArn: ({ region }) => fc.constantFrom(`arn:aws:acm:${region}:12345678901:certificate/00000000-0000-4000-8000-000000000000`, "arn:aws:iam::123456789012:server-certificate/nsip", `arn:aws:acm:${region}:123456789012:certificate/nope`),
    iamArn: () => fc.constantFrom("arn:aws:iam::123456789012:group/admins", "arn:aws:iam::12345678901:role/admin", "arn:aws:iam::123456789012:roleadmin", "arn:aws:sts::123456789012:assumed-role/a/b"),
    instanceType: () => fc.constantFrom("m6i", "M6i.large", ".large", "m6i.large ", "mac2.metal"),
    kubernetesVersion: () => fc.constantFrom("1.5", "v1.35", "1.35.0", "2"),
    eksAddonVersion: () => fc.constantFrom("1.13.2-eksbuild.4", "v1.13.2", "v1.13-eksbuild.1", "latest", "Default", "v1.13.2-eksbuild."),
    imageByDigest: () => fc.constantFrom("ghcr.io/team/api:1.2.0", `ghcr.io/team/api___v2@sha256:${"0".repeat(64)}`, `ghcr.io/team/api@sha256:${"0".repeat(63)}`, `GHCR.io/team/api@sha256:${"0".repeat(64)}`),
    grafanaUser: () => fc.constantFrom("admin user", "", "a".repeat(65), "admin;drop"),
    text: () => fc.constant(""),
};

// ---------------------------------------------------------------------------------------------
// Walking the schema

interface Meta {
    domain?: string;
    min?: number;
    max?: number;
}

function defOf(schema: Schema): Record<string, unknown> & { type: string } {
    return (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
}

function metaOf(schema: Schema): Meta {
    return (z.globalRegistry.get(schema) ?? {}) as Meta;
}

function unwrapOptional(schema: Schema): { schema: Schema; optional: boolean } {
    const def = defOf(schema);
    return def.type === "optional" ? { schema: def.innerType as Schema, optional: true } : { schema, optional: false };
}

/** A value inside a leaf's domain. */
function validLeaf(schema: Schema, ctx: Context): fc.Arbitrary<unknown> {
    const def = defOf(schema);
    const meta = metaOf(schema);
    // nsip:backup.target is left to its default: its variants hang on the cluster and on secrets (stacks/backup-config.ts).
    if (meta.domain === "backupTarget") return fc.constant(undefined);
    switch (def.type) {
        case "boolean":
            return fc.boolean();
        case "enum":
            return fc.constantFrom(...Object.values(def.entries as Record<string, string>));
        case "literal":
            return fc.constantFrom(...(def.values as unknown[]));
        case "number":
            if (meta.domain === "integer") return fc.integer({ min: meta.min!, max: meta.max! });
            if (meta.domain === "cloudwatchRetention") return fc.constantFrom(...CLOUDWATCH_RETENTION_DAYS);
            if (meta.domain === "ratio") return fc.double({ min: 0.001, max: 0.999, noNaN: true }).map((r) => Math.round(r * 1000) / 1000);
            if (meta.domain === "seconds") return fc.double({ min: meta.min!, max: meta.max!, noNaN: true }).map((s) => Math.max(meta.min!, Math.round(s * 1000) / 1000));
            throw new Error(`no generator for number domain ${meta.domain}`);
        case "string": {
            const generate = valid[meta.domain as StringDomain];
            if (generate === undefined) throw new Error(`no generator for string domain ${JSON.stringify(meta.domain)}: add one to config-arbitraries.ts`);
            return generate(ctx);
        }
        case "array": {
            const lengths = (def.checks as { _zod: { def: { check: string; minimum?: number; maximum?: number } } }[] | undefined) ?? [];
            const min = lengths.find((c) => c._zod.def.check === "min_length")?._zod.def.minimum ?? 0;
            return fc.uniqueArray(validLeaf(def.element as Schema, ctx), { minLength: min, maxLength: Math.max(min, 3), selector: (item) => JSON.stringify(item) });
        }
        case "object":
            return validObject(schema, ctx);
        case "optional":
            return fc.option(validLeaf(def.innerType as Schema, ctx), { nil: undefined, freq: 2 });
        default:
            throw new Error(`no generator for schema type ${def.type}`);
    }
}

/** A value outside a leaf's domain that still has the leaf's JSON type. */
function invalidLeaf(schema: Schema, ctx: Context): fc.Arbitrary<unknown> | undefined {
    const def = defOf(schema);
    const meta = metaOf(schema);
    switch (def.type) {
        case "enum":
            return fc.constantFrom("none", "Default", `${Object.values(def.entries as Record<string, string>)[0]} `);
        case "number":
            if (meta.domain === "integer") return fc.constantFrom(meta.min! - 1, meta.max! + 1, meta.min! + 0.5);
            if (meta.domain === "cloudwatchRetention") return fc.constantFrom(0, 2, 100, 4000);
            if (meta.domain === "ratio") return fc.constantFrom(0, 1, 1.5, -0.1);
            if (meta.domain === "seconds") return fc.constantFrom(0, 601, -1);
            return undefined;
        case "string":
            return invalid[meta.domain as StringDomain](ctx);
        default:
            return undefined;
    }
}

/** A value of another JSON type than the leaf's. */
function wrongType(schema: Schema): fc.Arbitrary<unknown> {
    const type = defOf(schema).type;
    if (type === "number" || type === "boolean") return fc.constantFrom("three", "yes");
    if (type === "array" || type === "object") return fc.constantFrom("x", 3);
    return fc.constantFrom(42, true, ["x"]);
}

function validObject(schema: Schema, ctx: Context): fc.Arbitrary<Record<string, unknown>> {
    const shape = defOf(schema).shape as Record<string, Schema>;
    return fc.record(Object.fromEntries(Object.entries(shape).map(([key, child]) => [key, validLeaf(child, ctx)]))).map((record) =>
        Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)),
    );
}

interface Leaf {
    path: Path;
    schema: Schema;
}

/** The leaves (scalars and arrays of scalars) under a schema, for the cluster option of the given provider. */
function leavesOf(schema: Schema, prefix: Path, provider: string): Leaf[] {
    if (metaOf(schema).domain === "backupTarget") return [];
    const { schema: inner } = unwrapOptional(schema);
    const def = defOf(inner);
    if (def.type === "object") return Object.entries(def.shape as Record<string, Schema>).flatMap(([key, child]) => leavesOf(child, [...prefix, key], provider));
    if (def.type === "union") {
        const option = (def.options as Schema[]).find((o) => (defOf((defOf(o).shape as Record<string, Schema>).provider).values as unknown[])[0] === provider)!;
        return leavesOf(option, prefix, provider).filter((leaf) => leaf.path[leaf.path.length - 1] !== "provider");
    }
    if (def.type === "array") return [{ path: prefix, schema: inner }, { path: [...prefix, 0], schema: def.element as Schema }];
    return [{ path: prefix, schema: inner }];
}

const clusterOption = (provider: string): Schema =>
    (defOf(configSchema.shape.cluster).options as Schema[]).find((o) => (defOf((defOf(o).shape as Record<string, Schema>).provider).values as unknown[])[0] === provider)!;

// ---------------------------------------------------------------------------------------------
// Whole configs

function setAt(root: Record<string, unknown>, p: Path, value: unknown): void {
    let node: Record<string, unknown> = root;
    for (const part of p.slice(0, -1)) {
        const next = node[part as string];
        if (typeof next !== "object" || next === null) node[part as string] = typeof p[p.indexOf(part) + 1] === "number" ? [] : {};
        node = node[part as string] as Record<string, unknown>;
    }
    node[p[p.length - 1] as string] = value;
}

/** A complete cluster of a provider, every leaf in its domain, with the cross-field orderings a real stack keeps. */
function clusterArbitrary(provider: "eks" | "existing", region: string): fc.Arbitrary<Record<string, unknown>> {
    return validObject(clusterOption(provider), { region }).map((cluster) => {
        const out: Record<string, unknown> = { ...cluster, provider };
        if (provider === "eks") {
            const sizes = [cluster.nodeGroup as Record<string, number>].map((n) => [n.minSize, n.desiredSize, n.maxSize].sort((a, b) => a - b))[0];
            out.region = region;
            out.availabilityZones = Math.min(out.availabilityZones as number, MOCKED_REGION_ZONES);
            out.nodeGroup = { ...(cluster.nodeGroup as object), minSize: sizes[0], desiredSize: sizes[1], maxSize: sizes[2] };
        } else {
            const registry = cluster.registry as Record<string, unknown> | undefined;
            if (registry) {
                // Secrets as the CLI stores them: `pulumi config set --secret --path`.
                if ((registry.username === undefined) !== (registry.password === undefined)) {
                    delete registry.password;
                    delete registry.username;
                }
                if (registry.password !== undefined) registry.password = { secure: `v1:${String(registry.password)}` };
            }
            if (out.kubeconfig !== undefined) out.kubeconfig = { secure: "v1:kubeconfig" };
            if (out.kubeconfig === undefined && out.context === undefined) out.context = "team";
        }
        return out;
    });
}

export interface GenerateOptions {
    /** Most leaves changed per config. */
    maxChanges?: number;
}

/** Configs of a stack: its file, perhaps another cluster provider, then up to maxChanges leaves set inside their domain or mutated. */
export function stackConfigArbitrary(stack: "dev" | "prod", options: GenerateOptions = {}): fc.Arbitrary<GeneratedConfig> {
    const maxChanges = options.maxChanges ?? 4;
    const base = stackFileConfig(stack);
    const baseProvider = (base["nsip:cluster"] as { provider: string }).provider;
    const providers = stack === "prod" ? ["eks", "eks", "eks", "existing"] : ["local", "local", "local", "existing", "eks"];

    return fc
        .tuple(fc.constantFrom(...providers), fc.constantFrom("eu-west-1", "us-east-2", "ap-southeast-2", "eu-central-1"))
        .chain(([provider, region]) => {
            const prodRegion = ((base["nsip:cluster"] as { region?: string }).region ?? "eu-west-1") as string;
            const ctx: Context = { region: provider === baseProvider && provider === "eks" ? prodRegion : region };
            const cluster =
                provider === baseProvider ? fc.constant(structuredClone(base["nsip:cluster"]) as Record<string, unknown>) : clusterArbitrary(provider as "eks" | "existing", ctx.region);
            const sections = Object.keys(configSchema.shape).filter((key) => key !== "environment" && key !== "cluster");
            const leaves = [
                ...sections.flatMap((section) => leavesOf(configSchema.shape[section as keyof typeof configSchema.shape] as Schema, [section], provider)),
                ...leavesOf(configSchema.shape.cluster, ["cluster"], provider),
            ];
            type Kind = MutationKind | "valid";
            const kinds = (mutating: boolean): fc.Arbitrary<Kind> =>
                mutating
                    ? fc.oneof({ weight: 2, arbitrary: fc.constant<Kind>("valid") }, { weight: 2, arbitrary: fc.constant<Kind>("invalid-value") }, { weight: 1, arbitrary: fc.constantFrom<Kind>("wrong-type", "unknown-key") })
                    : fc.constant<Kind>("valid");
            const change = (mutating: boolean) =>
                fc.tuple(fc.constantFrom(...leaves), kinds(mutating)).chain(([leaf, kind]) => {
                    if (kind === "valid" && leaf.path.join(".") === "cluster.availabilityZones") {
                        return fc.integer({ min: 2, max: MOCKED_REGION_ZONES }).map((value) => ({ leaf, value, kind: undefined as MutationKind | undefined }));
                    }
                    if (kind === "valid") return validLeaf(leaf.schema, ctx).map((value) => ({ leaf, value, kind: undefined as MutationKind | undefined }));
                    if (kind === "invalid-value") {
                        const bad = invalidLeaf(leaf.schema, ctx);
                        if (bad) return bad.map((value) => ({ leaf, value, kind: kind as MutationKind | undefined }));
                    }
                    if (kind === "unknown-key") return fc.constantFrom("replcas", "enabeld", "extra").map((value) => ({ leaf, value, kind: "unknown-key" as MutationKind | undefined }));
                    return wrongType(leaf.schema).map((value) => ({ leaf, value, kind: "wrong-type" as MutationKind | undefined }));
                });
            // Half the configs change values inside their domains only; the other half may also mutate.
            const changes = fc.boolean().chain((mutating) => fc.array(change(mutating), { maxLength: maxChanges }));
            const extras = provider === "existing" || provider === "eks" ? fc.tuple(valid.hostName(ctx), fc.boolean(), validObject(unwrapOptional((defOf(configSchema.shape.images).shape as Record<string, Schema>).prebuilt).schema, ctx)) : fc.constant(undefined);
            return fc.tuple(cluster, changes, extras).map(([clusterValue, changes, extra]) => {
                const overrides: Record<string, unknown> = structuredClone(base);
                const sectionValues: Record<string, Record<string, unknown>> = {};
                for (const [key, value] of Object.entries(overrides)) {
                    if (key.startsWith("nsip:") && typeof value === "object" && value !== null) sectionValues[key.slice(5)] = value as Record<string, unknown>;
                }
                const section = (name: string) => (sectionValues[name] ??= {});
                sectionValues.cluster = clusterValue;
                if (extra && provider !== baseProvider) {
                    const [hostname, usePrebuilt, prebuilt] = extra;
                    section("edge").hostname = hostname;
                    if (provider === "eks") delete section("edge").tlsCertificateArn;
                    if (provider === "existing" && (usePrebuilt || clusterValue.registry === undefined)) section("images").prebuilt = prebuilt;
                    // Backups go to S3: off elsewhere (the prod floor asks for them on EKS only).
                    if (provider !== "eks") section("backup").enabled = false;
                }
                const mutations: Mutation[] = [];
                const applied: { path: Path; value: unknown }[] = [];
                for (const { leaf, value, kind } of changes) {
                    const [name, ...rest] = leaf.path as [string, ...Path];
                    if (kind === "unknown-key") {
                        const parent = rest.slice(0, -1);
                        if (typeof parent[parent.length - 1] === "number") continue;
                        const keyPath = [...parent, value as string];
                        setAt(section(name), keyPath, 1);
                        mutations.push({ kind, path: [name, ...keyPath], value: 1 });
                        continue;
                    }
                    setAt(section(name), rest, value);
                    // A later change to the same value (or to what holds it) replaces an earlier one.
                    const overlaps = (other: Path) => {
                        const n = Math.min(other.length, leaf.path.length);
                        return other.slice(0, n).every((part, i) => part === leaf.path[i]);
                    };
                    for (const list of [mutations, applied] as { path: Path }[][]) {
                        for (let i = list.length - 1; i >= 0; i--) if (overlaps(list[i].path)) list.splice(i, 1);
                    }
                    if (kind) mutations.push({ kind, path: leaf.path, value });
                    else applied.push({ path: leaf.path, value });
                }
                for (const [name, value] of Object.entries(sectionValues)) overrides[`nsip:${name}`] = value;
                return { stack, overrides, changes: applied, mutations };
            });
        });
}

/** `nsip:a.b[0].c`, as the loader names keys. */
export function keyPath(p: Path): string {
    const [head, ...rest] = p;
    return `nsip:${String(head)}` + rest.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("");
}

export type Verdict = { accepted: true; config: NsipConfig; secretKeys: string[] } | { accepted: false; error: unknown };

/** What the program's loader says of a generated config, given the values exactly as the CLI (and the render) hand them over. */
export function loadGenerated(generated: GeneratedConfig): Verdict {
    const resolved = resolveConfig(readProject(REPO_ROOT), { stack: generated.stack, overrides: generated.overrides });
    try {
        return { accepted: true, config: parseStackConfig(resolved.values, { stack: generated.stack, secretKeys: resolved.secretKeys }), secretKeys: resolved.secretKeys };
    } catch (error) {
        return { accepted: false, error };
    }
}
