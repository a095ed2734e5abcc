import { strict as assert } from "assert";
import { parseStackConfig } from "../stacks/load";
import { encode, problems, stackFile, withOverrides } from "./support/stack-config";

/**
 * The edges of the stack config, through the public loader only: each validator's boundary values, the
 * values a validator that lost a rule or a `^`/`$` anchor would let through, and the checks that are easy
 * to lose without a test noticing (found by mutation testing, `npm run mutate`).
 */

const DIGEST = "0".repeat(64);
const UUID = "00000000-0000-4000-8000-000000000001";
const existingCluster = { provider: "existing", context: "team", registry: { server: "registry.example.com", repositoryPrefix: "team/nsip" } };
const existingEdge = { hostname: "nsip.example.com" };

/** Asserts the loader rejects `raw` with a problem matching each pattern. */
function rejects(raw: Record<string, string>, stack: string, ...expected: RegExp[]): void {
    const found = problems(raw, stack);
    for (const pattern of expected) {
        assert.ok(found.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${found.join("\n")}`);
    }
}

describe("stack config limits", () => {
    describe("EKS access: nobody locked out, nobody let in by default", () => {
        it("an empty publicAccessCidrs list is rejected (no CIDR could reach the endpoint)", () => {
            rejects(withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: [] } }), "prod", /^nsip:cluster\.publicAccessCidrs: at least one CIDR block that may reach the public API endpoint, found \[\]$/);
        });

        it("no adminPrincipalArns is rejected (a cluster nobody can administer)", () => {
            rejects(withOverrides("prod", { "nsip:cluster": { adminPrincipalArns: [] } }), "prod", /^nsip:cluster\.adminPrincipalArns: at least one IAM principal: include the role that runs pulumi up, found \[\]$/);
        });

        it("an EKS dev cluster gets no admin by default: the stack must name one", () => {
            const raw = withOverrides("dev", { "nsip:cluster": { provider: "eks", region: "eu-west-1", publicAccessCidrs: ["203.0.113.0/24"] } });
            rejects(raw, "dev", /^nsip:cluster\.adminPrincipalArns: at least one IAM principal/);
        });
    });

    describe("node group sizes", () => {
        const nodeGroup = (minSize: number, desiredSize: number, maxSize: number) => ({
            "nsip:cluster": { nodeGroup: { instanceTypes: ["m6i.large"], minSize, desiredSize, maxSize, diskSizeGiB: 50 } },
        });

        it("a fixed-size group (min = desired = max) is accepted", () => {
            const config = parseStackConfig(withOverrides("prod", nodeGroup(4, 4, 4)), { stack: "prod" });
            assert.deepEqual(config.cluster.provider === "eks" && config.cluster.nodeGroup, { instanceTypes: ["m6i.large"], amiType: "AL2023_x86_64_STANDARD", minSize: 4, desiredSize: 4, maxSize: 4, diskSizeGiB: 50 });
        });

        it("a desired size below the minimum is rejected", () => {
            rejects(withOverrides("prod", nodeGroup(3, 2, 6)), "prod", /^nsip:cluster\.nodeGroup\.desiredSize: from minSize to maxSize \(3 to 6\), found 2$/);
        });

        it("a desired size above the maximum is rejected", () => {
            rejects(withOverrides("prod", nodeGroup(3, 7, 6)), "prod", /^nsip:cluster\.nodeGroup\.desiredSize: from minSize to maxSize \(3 to 6\), found 7$/);
        });
    });

    describe("autoscaling bounds", () => {
        it("equal min and max replicas are accepted (a fixed-size autoscaler)", () => {
            const config = parseStackConfig(withOverrides("prod", { "nsip:services": { api: { autoscaling: { minReplicas: 4, maxReplicas: 4, targetCpuUtilization: 70 } } } }), { stack: "prod" });
            assert.deepEqual(config.services.api.autoscaling, { minReplicas: 4, maxReplicas: 4, targetCpuUtilization: 70 });
        });
    });

    describe("cross-field boundaries", () => {
        const res = (cpu: string, limitCpu: string, memory: string, limitMemory: string) => ({
            requests: { cpu, memory, ephemeralStorage: "64Mi" },
            limits: { cpu: limitCpu, memory: limitMemory, ephemeralStorage: "64Mi" },
        });

        it("a request equal to its limit is accepted, in other units too (Guaranteed QoS)", () => {
            const resources = res("1", "1000m", "1Gi", "1073741824");
            const config = parseStackConfig(withOverrides("dev", { "nsip:services": { api: { resources } } }), { stack: "dev" });
            assert.deepEqual(config.services.api.resources, resources);
        });

        it("Redis maxmemory of exactly 3/4 of its container's limit is accepted, one byte more is not", () => {
            // The dev redis limit is 384Mi = 402653184 bytes; 3/4 of it is 301989888 bytes, 294912kb.
            const config = parseStackConfig(withOverrides("dev", { "nsip:redis": { maxmemory: "294912kb" } }), { stack: "dev" });
            assert.equal(config.redis.maxmemory, "294912kb");
            rejects(withOverrides("dev", { "nsip:redis": { maxmemory: "301989889" } }), "dev", /^nsip:redis\.maxmemory: at most 3\/4 .*found "301989889" = 301989889 bytes$/);
        });

        it("a registry username without its password names the missing password", () => {
            const raw = withOverrides("dev", { "nsip:cluster": { ...existingCluster, registry: { ...existingCluster.registry, username: "ci" } }, "nsip:edge": existingEdge });
            assert.deepEqual(problems(raw, "dev"), ["nsip:cluster.registry.password: required with nsip:cluster.registry.username, found nothing"]);
        });

        it("an existing cluster's certificate may live in any region (the cluster has none to compare)", () => {
            const tlsCertificateArn = `arn:aws:acm:us-east-1:210987654321:certificate/${UUID}`;
            const raw = { ...stackFile("prod"), ...encode({ "nsip:cluster": existingCluster, "nsip:edge": { hostname: "nsip.acme.io", tlsCertificateArn } }) };
            assert.equal(parseStackConfig(raw, { stack: "prod" }).edge.tlsCertificateArn, tlsCertificateArn);
        });

        it("names every instance type of the other architecture, comma-separated", () => {
            const nodeGroup = { instanceTypes: ["m7g.large", "m6i.large", "c7g.xlarge"], minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 };
            rejects(
                withOverrides("prod", { "nsip:cluster": { nodeGroup } }),
                "prod",
                /^nsip:cluster\.nodeGroup\.amiType: an AMI type for the instance types' architecture \(m7g\.large is arm64, c7g\.xlarge is arm64\), found AL2023_x86_64_STANDARD \(x86_64\)$/,
            );
        });
    });

    describe("secrets", () => {
        it("a registry password in plain text is rejected", () => {
            const raw = withOverrides("dev", {
                "nsip:cluster": { ...existingCluster, registry: { ...existingCluster.registry, username: "ci", password: "hunter2" } },
                "nsip:edge": existingEdge,
            });
            rejects(raw, "dev", /^nsip:cluster\.registry\.password: must be set as a secret: pulumi config set --secret --path nsip:cluster\.registry\.password <value>$/);
        });

        it("the same password set as a secret is accepted", () => {
            const raw = withOverrides("dev", {
                "nsip:cluster": { ...existingCluster, registry: { ...existingCluster.registry, username: "ci", password: "hunter2" } },
                "nsip:edge": existingEdge,
            });
            const config = parseStackConfig(raw, { stack: "dev", secretKeys: ["nsip:cluster"] });
            assert.equal(config.cluster.provider === "existing" && config.cluster.registry?.password, "hunter2");
        });
    });

    /**
     * Every pattern-checked value, each with a value that is wrong only in its first and one wrong only in its
     * last character: a validator that lost its `^` or `$` would accept the one or the other.
     */
    describe("pattern-checked values are anchored at both ends", () => {
        const cases: { key: string; stack: string; override: (value: string) => Record<string, unknown>; good: string; badFirst: string; badLast: string; secret?: boolean }[] = [
            { key: "nsip:services.api.resources.requests.cpu", stack: "dev", override: (cpu) => ({ "nsip:services": { api: { resources: { requests: { cpu, memory: "128Mi", ephemeralStorage: "64Mi" }, limits: { cpu: "1", memory: "256Mi", ephemeralStorage: "256Mi" } } } } }), good: "250m", badFirst: "x250m", badLast: "250mx" },
            { key: "nsip:storage.postgres", stack: "dev", override: (postgres) => ({ "nsip:storage": { postgres } }), good: "2Gi", badFirst: "+2Gi", badLast: "2Gib" },
            { key: "nsip:namespace", stack: "dev", override: (namespace) => ({ "nsip:namespace": namespace }), good: "nsip-review", badFirst: "-nsip", badLast: "nsip-" },
            { key: "nsip:cluster.name", stack: "dev", override: (name) => ({ "nsip:cluster": { name } }), good: "nsip-local", badFirst: "_nsip", badLast: "nsip_" },
            { key: "nsip:cluster.region", stack: "prod", override: (region) => ({ "nsip:cluster": { region }, "nsip:edge": { tlsCertificateArn: `arn:aws:acm:${region}:123456789012:certificate/${UUID}` } }), good: "eu-central-1", badFirst: "xeu-west-1", badLast: "eu-west-1x" },
            { key: "nsip:cluster.kubernetesVersion", stack: "prod", override: (kubernetesVersion) => ({ "nsip:cluster": { kubernetesVersion, addonVersions: { kubeProxy: "default" } } }), good: "1.34", badFirst: "11.34", badLast: "1.345" },
            { key: "nsip:cluster.vpcCidr", stack: "prod", override: (vpcCidr) => ({ "nsip:cluster": { vpcCidr } }), good: "10.40.0.0/16", badFirst: "x10.40.0.0/16", badLast: "10.40.0.0/16x" },
            { key: "nsip:cluster.publicAccessCidrs[0]", stack: "prod", override: (cidr) => ({ "nsip:cluster": { publicAccessCidrs: [cidr] } }), good: "198.51.100.0/24", badFirst: "1198.51.100.0/24", badLast: "198.51.100.0/245" },
            { key: "nsip:cluster.adminPrincipalArns[0]", stack: "prod", override: (arn) => ({ "nsip:cluster": { adminPrincipalArns: [arn] } }), good: "arn:aws:iam::123456789012:user/ops", badFirst: "xarn:aws:iam::123456789012:role/admin", badLast: "arn:aws:iam::123456789012:role/admin\n" },
            { key: "nsip:cluster.registry.repositoryPrefix", stack: "dev", override: (repositoryPrefix) => ({ "nsip:cluster": { ...existingCluster, registry: { server: "registry.example.com", repositoryPrefix } }, "nsip:edge": existingEdge }), good: "team/nsip_2.x-y", badFirst: "Team/nsip", badLast: "team/nsiP" },
            { key: "nsip:images.prebuilt.api", stack: "dev", override: (api) => ({ "nsip:images": { prebuilt: { api, frontend: `ghcr.io/team/frontend@sha256:${DIGEST}`, analyzer: `ghcr.io/team/analyzer@sha256:${DIGEST}` } } }), good: `registry.example.com:5000/team/api:v1.2_3@sha256:${DIGEST}`, badFirst: `Ghcr.io/team/api@sha256:${DIGEST}`, badLast: `ghcr.io/team/api@sha256:${DIGEST}0` },
            { key: "nsip:edge.hostname", stack: "dev", override: (hostname) => ({ "nsip:edge": { hostname } }), good: "nsip-1.example.com", badFirst: "Nsip.example.com", badLast: "nsip.example.coM" },
            { key: "nsip:edge.tlsCertificateArn", stack: "prod", override: (tlsCertificateArn) => ({ "nsip:edge": { tlsCertificateArn } }), good: `arn:aws:acm:eu-west-1:123456789012:certificate/${UUID}`, badFirst: `xarn:aws:acm:eu-west-1:123456789012:certificate/${UUID}`, badLast: `arn:aws:acm:eu-west-1:123456789012:certificate/${UUID}x` },
            { key: "nsip:edge.clientMaxBodySize", stack: "dev", override: (clientMaxBodySize) => ({ "nsip:edge": { clientMaxBodySize } }), good: "12m", badFirst: "x11m", badLast: "11mb" },
            { key: "nsip:redis.maxmemory", stack: "dev", override: (maxmemory) => ({ "nsip:redis": { maxmemory } }), good: "200mb", badFirst: "x256mb", badLast: "256mbx" },
            { key: "nsip:backup.schedule", stack: "prod", override: (schedule) => ({ "nsip:backup": { schedule } }), good: "*/15 1-5 ? JAN MON-FRI", badFirst: "#0 3 * * *", badLast: "0 3 * * *#" },
        ];

        for (const c of cases) {
            describe(c.key, () => {
                it(`accepts ${JSON.stringify(c.good)}`, () => {
                    parseStackConfig(withOverrides(c.stack, c.override(c.good)), { stack: c.stack });
                });
                for (const bad of [c.badFirst, c.badLast]) {
                    it(`rejects ${JSON.stringify(bad)}, naming the key`, () => {
                        const found = problems(withOverrides(c.stack, c.override(bad)), c.stack);
                        const escaped = c.key.replace(/[.[\]]/g, (ch) => `\\${ch}`);
                        assert.ok(found.some((p) => new RegExp(`^${escaped}: `).test(p)), `expected a problem on ${c.key}, got:\n${found.join("\n")}`);
                    });
                }
            });
        }
    });
});
