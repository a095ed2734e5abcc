import { strict as assert } from "assert";
import type { OutputRecord } from "../tools/render/recorder";
import { CLUSTER_KINDS, ClusterKind, OutputSpec, STACK_OUTPUTS } from "../stacks/outputs";
import { renderToTemp, RenderToTempOptions } from "./support/render-helper";

/**
 * The outputs contract. PINNED is written out here on purpose, apart from stacks/outputs.ts: other teams
 * read these names through StackReference and `pulumi stack output`, so a change to the definition that
 * removes, renames, retypes or hides an output must fail here, saying it breaks them. Adding an output is
 * compatible: add it to stacks/outputs.ts and then here.
 */

type Pin = [type: OutputSpec["type"], secret: boolean, clusters: ClusterKind[]];
const all: ClusterKind[] = ["local", "eks", "existing"];
const PINNED: Record<string, Pin> = {
    namespace: ["string", false, all],
    publicUrl: ["string", false, all],
    grafanaUrl: ["string", false, all],
    grafanaAdminPassword: ["string", true, all],
    apiEndpoint: ["string", false, all],
    analyzerEndpoint: ["string", false, all],
    postgresEndpoint: ["string", false, all],
    redisEndpoint: ["string", false, all],
    prometheusEndpoint: ["string", false, all],
    imageDigests: ["imageDigests", false, all],
    clusterName: ["string", false, all],
    kubeconfig: ["string", true, all],
    vpcId: ["string", false, ["eks"]],
    privateSubnetIds: ["string[]", false, ["eks"]],
    publicSubnetIds: ["string[]", false, ["eks"]],
    clusterEndpoint: ["string", false, ["eks"]],
};

const BREAKS = "this breaks every consumer that reads it (StackReference, `pulumi stack output`): keep the old output, add the new one beside it (README, \"Stack outputs\")";

const digest = (name: string): string => `registry.example.com/team/${name}@sha256:${name.length.toString(16).repeat(64).slice(0, 64)}`;
const prebuilt = { api: digest("api"), frontend: digest("frontend"), analyzer: digest("analyzer") };

/** The stacks whose real exports are checked: both repository stacks on their clusters, and each on an existing cluster. */
const RENDERS: Array<{ stack: "dev" | "prod"; cluster: ClusterKind; options: RenderToTempOptions }> = [
    { stack: "dev", cluster: "local", options: {} },
    { stack: "prod", cluster: "eks", options: {} },
    {
        stack: "dev",
        cluster: "existing",
        options: { config: { "nsip:cluster": { provider: "existing", context: "staging" }, "nsip:edge": { hostname: "nsip.staging.example.com" }, "nsip:images": { prebuilt } } },
    },
    {
        stack: "prod",
        cluster: "existing",
        options: { config: { "nsip:cluster": { provider: "existing", context: "prod-eu" }, "nsip:backup": { enabled: false }, "nsip:images": { prebuilt } } },
    },
];

/** Every way a definition breaks the pinned contract, one message each; empty when compatible. */
function violations(definition: Record<string, OutputSpec>): string[] {
    const found: string[] = [];
    for (const [name, [type, secret, clusters]] of Object.entries(PINNED)) {
        const spec = definition[name];
        if (spec === undefined) {
            found.push(`output "${name}" was removed or renamed: ${BREAKS}`);
            continue;
        }
        if (spec.type !== type) found.push(`output "${name}" changed type from ${type} to ${spec.type}: ${BREAKS}`);
        if (spec.secret !== secret) found.push(secret ? `output "${name}" is no longer secret: its value would be shown` : `output "${name}" became secret: ${BREAKS}`);
        const lost = clusters.filter((kind) => !spec.clusters.includes(kind));
        if (lost.length > 0) found.push(`output "${name}" is no longer exported on ${lost.join(", ")} clusters: ${BREAKS}`);
        const gained = spec.clusters.filter((kind) => !clusters.includes(kind));
        if (gained.length > 0) found.push(`output "${name}" is now also on ${gained.join(", ")} clusters: pin that in PINNED`);
    }
    const unpinned = Object.keys(definition).filter((name) => !(name in PINNED));
    if (unpinned.length > 0) found.push(`new outputs ${unpinned.join(", ")}: adding is compatible, pin them in PINNED in this file`);
    return found;
}

function matchesType(value: unknown, type: OutputSpec["type"]): boolean {
    switch (type) {
        case "string":
            return typeof value === "string" && value !== "";
        case "string[]":
            return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === "string");
        case "imageDigests":
            return (
                typeof value === "object" &&
                value !== null &&
                JSON.stringify(Object.keys(value).sort()) === JSON.stringify(["analyzer", "api", "frontend"]) &&
                Object.values(value).every((item) => typeof item === "string" && /@sha256:[0-9a-f]{64}$/.test(item))
            );
    }
}

describe("stack outputs: the contract other teams build on", () => {
    describe("stacks/outputs.ts against the pinned contract", () => {
        it("keeps every pinned output with its type, secretness and cluster kinds", () => {
            assert.deepEqual(violations(STACK_OUTPUTS), []);
        });

        it("fails a removed, renamed, retyped, unsecreted or narrowed output, saying it breaks consumers", () => {
            const { apiEndpoint, ...definition } = STACK_OUTPUTS as Record<string, OutputSpec>;
            const changed: Record<string, OutputSpec> = {
                ...definition,
                apiUrl: apiEndpoint,
                vpcId: { ...definition["vpcId"], type: "string[]" },
                kubeconfig: { ...definition["kubeconfig"], secret: false },
                clusterName: { ...definition["clusterName"], clusters: ["eks"] },
            };
            const found = violations(changed);
            assert.deepEqual(found.map((message) => message.split(":")[0]), [
                'output "apiEndpoint" was removed or renamed',
                'output "clusterName" is no longer exported on local, existing clusters',
                'output "kubeconfig" is no longer secret',
                'output "vpcId" changed type from string to string[]',
                "new outputs apiUrl",
            ]);
            for (const index of [0, 1, 3]) assert.match(found[index], /breaks every consumer that reads it/);
        });

        it("covers every cluster kind the program supports", () => {
            assert.deepEqual([...CLUSTER_KINDS].sort(), [...all].sort());
        });
    });

    for (const { stack, cluster, options } of RENDERS) {
        describe(`what ${stack} on ${cluster === "eks" ? "an" : "a"} ${cluster} cluster really exports (offline render)`, function () {
            this.timeout(180_000);
            let outputs: Record<string, OutputRecord>;
            before(async () => {
                outputs = (await renderToTemp(stack, options)).outputs;
            });

            it("exactly the outputs the definition promises for this cluster kind", () => {
                const expected = Object.entries(STACK_OUTPUTS)
                    .filter(([, spec]) => (spec.clusters as readonly ClusterKind[]).includes(cluster))
                    .map(([name]) => name)
                    .sort();
                const missing = expected.filter((name) => !(name in outputs));
                assert.deepEqual(missing, [], `${stack}/${cluster} does not export ${missing.join(", ")}: ${BREAKS}`);
                const undeclared = Object.keys(outputs).filter((name) => !expected.includes(name));
                assert.deepEqual(undeclared, [], `${stack}/${cluster} exports ${undeclared.join(", ")}, not declared for ${cluster} in stacks/outputs.ts`);
            });

            it("each with its declared secretness and type", () => {
                for (const [name, record] of Object.entries(outputs)) {
                    const spec = (STACK_OUTPUTS as Record<string, OutputSpec>)[name];
                    assert.equal(record.secret, spec.secret, `${name}: secret is ${record.secret}, the contract says ${spec.secret}`);
                    if (!spec.secret) assert.ok(matchesType(record.value, spec.type), `${name}: ${JSON.stringify(record.value)} is not a ${spec.type}`);
                }
            });
        });
    }
});
