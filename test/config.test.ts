import { strict as assert } from "assert";
import { NsipConfigError, parseStackConfig } from "../stacks/load";
import { problems, stackFile, withOverrides } from "./support/stack-config";

describe("stack config", () => {
    describe("valid stacks", () => {
        it("dev: local cluster, relaxed profile, single replicas", () => {
            const config = parseStackConfig(stackFile("dev"), { stack: "dev" });
            assert.equal(config.environment, "dev");
            assert.equal(config.cluster.provider, "local");
            assert.equal(config.hardening.podSecurityLevel, "baseline");
            assert.equal(config.hardening.protectData, false);
            assert.equal(config.services.api.replicas, 1);
            assert.equal(config.services.api.autoscaling, undefined);
            assert.equal(config.observability.retentionDays, 7);
            assert.equal(config.redis.maxmemory, "256mb");
            assert.equal(config.backup.enabled, false, "dev has no S3 to back up to");
        });

        it("prod: EKS, hardened profile, HPA 3-10 at 70% CPU, 30-day retention, 90-day logs", () => {
            const config = parseStackConfig(stackFile("prod"), { stack: "prod" });
            assert.equal(config.cluster.provider, "eks");
            assert.equal(config.hardening.podSecurityLevel, "restricted");
            assert.deepEqual(config.services.api.autoscaling, { minReplicas: 3, maxReplicas: 10, targetCpuUtilization: 70 });
            assert.equal(config.observability.retentionDays, 30);
            if (config.cluster.provider !== "eks") assert.fail("prod must be eks");
            assert.equal(config.cluster.logRetentionDays, 90);
            assert.equal(config.cluster.natGateways, "perAz");
            assert.deepEqual(config.backup, { enabled: true, schedule: "0 3 * * *", retentionDays: 30 });
        });

        it("stack values merge over the defaults key by key", () => {
            const config = parseStackConfig(withOverrides("dev", { "nsip:services": { api: { replicas: 2 } } }), { stack: "dev" });
            assert.equal(config.services.api.replicas, 2);
            assert.equal(config.services.api.resources.requests.cpu, "100m", "sibling keys keep their defaults");
        });

        it("prod may harden further than its floor", () => {
            const config = parseStackConfig(withOverrides("prod", { "nsip:services": { nginx: { replicas: 4 } } }), { stack: "prod" });
            assert.equal(config.services.nginx.replicas, 4);
        });

        it("an existing cluster with a secret kubeconfig is accepted", () => {
            const raw = withOverrides("dev", {
                "nsip:cluster": { provider: "existing", kubeconfig: "apiVersion: v1", registry: { server: "registry.example.com", repositoryPrefix: "team/nsip" } },
                "nsip:edge": { hostname: "nsip.dev.example.com" },
            });
            const config = parseStackConfig(raw, { stack: "dev", secretKeys: ["nsip:cluster"] });
            assert.equal(config.cluster.provider, "existing");
        });

        it("prebuilt images by digest replace the registry on an existing cluster", () => {
            const digest = (name: string) => `registry.example.com:5000/team/${name}@sha256:${"ab".repeat(32)}`;
            const raw = withOverrides("dev", {
                "nsip:cluster": { provider: "existing", context: "staging" },
                "nsip:edge": { hostname: "nsip.staging.example.com" },
                "nsip:images": { prebuilt: { api: digest("api"), frontend: digest("frontend"), analyzer: `ghcr.io/team/analyzer:1.2.0@sha256:${"cd".repeat(32)}` } },
            });
            const config = parseStackConfig(raw, { stack: "dev" });
            assert.equal(config.images.prebuilt?.api, digest("api"));
            assert.equal(config.cluster.provider === "existing" ? config.cluster.registry : "not existing", undefined);
        });
    });

    // Each case: the raw overrides, the stack, and the messages that must appear (key path first).
    const invalid: { name: string; stack: string; raw: () => Record<string, string>; expect: RegExp[]; secretKeys?: string[] }[] = [
        { name: "an unknown top-level key (typo)", stack: "dev", raw: () => withOverrides("dev", { "nsip:replicsa": "3" }), expect: [/^nsip:replicsa: unknown key/] },
        {
            name: "a typo inside an object, with a suggestion",
            stack: "dev",
            raw: () => withOverrides("dev", { "nsip:edge": { clientMaxBodySiz: "1m" } }),
            expect: [/^nsip:edge\.clientMaxBodySiz: unknown key \(did you mean "clientMaxBodySize"\?\)/],
        },
        { name: "a string where a number belongs", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { api: { replicas: "three" } } }), expect: [/^nsip:services\.api\.replicas: expected number, found "three"/] },
        { name: "an unknown cluster provider", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "gke" } }), expect: [/^nsip:cluster\.provider: .*'eks' \| 'local' \| 'existing'.*"gke"/] },
        { name: "an unknown environment", stack: "dev", raw: () => withOverrides("dev", { "nsip:environment": "staging" }), expect: [/^nsip:environment: expected "dev" or "prod", found "staging"/] },
        { name: "a malformed CPU quantity", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { frontend: { resources: { requests: { cpu: "lots", memory: "32Mi", ephemeralStorage: "64Mi" }, limits: { cpu: "1", memory: "64Mi", ephemeralStorage: "64Mi" } } } } }), expect: [/^nsip:services\.frontend\.resources\.requests\.cpu: a Kubernetes CPU quantity/] },
        { name: "HPA max below min", stack: "prod", raw: () => withOverrides("prod", { "nsip:services": { api: { autoscaling: { minReplicas: 5, maxReplicas: 3, targetCpuUtilization: 70 } } } }), expect: [/^nsip:services\.api\.autoscaling\.maxReplicas: maxReplicas must be >= minReplicas/] },
        { name: "an invalid namespace name", stack: "dev", raw: () => withOverrides("dev", { "nsip:namespace": "NSIP_Prod" }), expect: [/^nsip:namespace: a DNS-1123 label/] },
        { name: "an EKS cluster without region", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "eks", publicAccessCidrs: ["203.0.113.0/24"] } }), expect: [/^nsip:cluster\.region: .*found nothing/] },
        { name: "a single availability zone", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { availabilityZones: 1 } }), expect: [/^nsip:cluster\.availabilityZones: at least 2 availability zones, found 1/] },
        { name: "a malformed CIDR", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: ["10.0.0.0"] } }), expect: [/^nsip:cluster\.publicAccessCidrs\[0\]: an IPv4 CIDR/] },
        { name: "a node group whose desired size is outside min..max", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { nodeGroup: { instanceTypes: ["m6i.large"], minSize: 3, desiredSize: 9, maxSize: 6, diskSizeGiB: 50 } } }), expect: [/^nsip:cluster\.nodeGroup\.desiredSize: expected minSize <= desiredSize <= maxSize/] },
        { name: "a kubeconfig in plain text", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", kubeconfig: "apiVersion: v1", registry: { server: "r.example.com", repositoryPrefix: "nsip" } } }), expect: [/^nsip:cluster\.kubeconfig: must be set as a secret/] },
        { name: "an existing cluster with neither kubeconfig nor context", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", registry: { server: "r.example.com", repositoryPrefix: "nsip" } } }), expect: [/^nsip:cluster\.kubeconfig: set kubeconfig .* or context/] },
        { name: "a non-local cluster without a public host name", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", context: "team", registry: { server: "r.example.com", repositoryPrefix: "nsip" } } }), expect: [/^nsip:edge\.hostname: required on an "existing" cluster/] },
        { name: "a local-cluster key on an EKS cluster", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { apiPort: 6443 } }), expect: [/^nsip:cluster\.apiPort: unknown key/] },
        { name: "a bad Redis eviction policy", stack: "dev", raw: () => withOverrides("dev", { "nsip:redis": { maxmemoryPolicy: "random" } }), expect: [/^nsip:redis\.maxmemoryPolicy: .*"random"/] },
        { name: "a CORS origin that is not a URL", stack: "dev", raw: () => withOverrides("dev", { "nsip:api": { corsOrigins: ["example"] } }), expect: [/^nsip:api\.corsOrigins\[0\]: .*"example"/] },
        { name: "a backup schedule that is not 5 cron fields", stack: "prod", raw: () => withOverrides("prod", { "nsip:backup": { schedule: "0 3 * *" } }), expect: [/^nsip:backup\.schedule: a 5-field cron schedule/] },
        { name: "backups on the local cluster (no S3)", stack: "dev", raw: () => withOverrides("dev", { "nsip:backup": { enabled: true } }), expect: [/^nsip:backup\.enabled: backups are written to S3 and need an "eks" cluster, found "local"/] },
        {
            name: "a prebuilt image given by tag only",
            stack: "dev",
            raw: () => withOverrides("dev", { "nsip:images": { prebuilt: { api: "ghcr.io/team/api:1.2.0", frontend: `ghcr.io/team/frontend@sha256:${"0".repeat(64)}`, analyzer: `ghcr.io/team/analyzer@sha256:${"0".repeat(64)}` } } }),
            expect: [/^nsip:images\.prebuilt\.api: an image reference by digest .*found "ghcr\.io\/team\/api:1\.2\.0"/],
        },
        {
            name: "a prebuilt image with a malformed digest, and one missing",
            stack: "dev",
            raw: () => withOverrides("dev", { "nsip:images": { prebuilt: { api: `ghcr.io/team/api@sha256:${"0".repeat(63)}`, frontend: `ghcr.io/team/frontend@sha256:${"0".repeat(64)}` } } }),
            expect: [/^nsip:images\.prebuilt\.api: an image reference by digest/, /^nsip:images\.prebuilt\.analyzer: .*found nothing/],
        },
        {
            name: "an existing cluster with neither a registry nor prebuilt images",
            stack: "dev",
            raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", context: "team" }, "nsip:edge": { hostname: "nsip.example.com" } }),
            expect: [/^nsip:cluster\.registry: required on an "existing" cluster .* or set nsip:images\.prebuilt/],
        },
        { name: "an object key given a scalar", stack: "dev", raw: () => withOverrides("dev", { "nsip:storage": "big" }), expect: [/^nsip:storage: expected object, found "big"/] },
        // The prod floor.
        { name: "prod with baseline pod security", stack: "prod", raw: () => withOverrides("prod", { "nsip:hardening": { podSecurityLevel: "baseline" } }), expect: [/^nsip:hardening\.podSecurityLevel: prod enforces "restricted", found "baseline"/] },
        { name: "prod without PodDisruptionBudgets", stack: "prod", raw: () => withOverrides("prod", { "nsip:hardening": { podDisruptionBudgets: false } }), expect: [/^nsip:hardening\.podDisruptionBudgets: prod requires true/] },
        { name: "prod without data protection", stack: "prod", raw: () => withOverrides("prod", { "nsip:hardening": { protectData: false } }), expect: [/^nsip:hardening\.protectData: prod requires true/] },
        { name: "prod with a single frontend replica", stack: "prod", raw: () => withOverrides("prod", { "nsip:services": { frontend: { replicas: 1 } } }), expect: [/^nsip:services\.frontend\.replicas: prod runs stateless services with at least 2 replicas, found 1/] },
        { name: "prod without TLS", stack: "prod", raw: () => { const raw = stackFile("prod"); raw["nsip:edge"] = JSON.stringify({ hostname: "nsip.example.com" }); return raw; }, expect: [/^nsip:edge\.tlsCertificateArn: prod terminates TLS/] },
        { name: "prod with the API endpoint open to the world", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: ["0.0.0.0/0"] } }), expect: [/^nsip:cluster\.publicAccessCidrs: prod limits the public API endpoint/] },
        { name: "prod on the local cluster", stack: "prod", raw: () => ({ ...stackFile("prod"), "nsip:cluster": JSON.stringify({ provider: "local" }) }), expect: [/^nsip:cluster\.provider: prod runs on "eks" or "existing"/] },
        { name: "prod on EKS without backups", stack: "prod", raw: () => withOverrides("prod", { "nsip:backup": { enabled: false } }), expect: [/^nsip:backup\.enabled: prod on EKS backs PostgreSQL up to S3: requires true, found false/] },
        { name: "prod keeping logs 30 days", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { logRetentionDays: 30 } }), expect: [/^nsip:cluster\.logRetentionDays: prod keeps control-plane logs at least 90 days, found 30/] },
    ];

    describe("invalid stacks are rejected with the key and what was expected", () => {
        for (const c of invalid) {
            it(c.name, () => {
                const found = problems(c.raw(), c.stack, c.secretKeys);
                for (const pattern of c.expect) {
                    assert.ok(found.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${found.join("\n")}`);
                }
            });
        }
    });

    it("reports every problem together, not just the first", () => {
        const found = problems(
            withOverrides("prod", {
                "nsip:replicsa": "3",
                "nsip:hardening": { topologySpread: false },
                "nsip:services": { api: { replicas: 1 } },
            }),
            "prod",
        );
        for (const key of ["nsip:replicsa", "nsip:hardening.topologySpread", "nsip:services.api.replicas"]) {
            assert.ok(found.some((p) => p.startsWith(`${key}:`)), `missing ${key} in:\n${found.join("\n")}`);
        }
    });

    it("the error message lists one problem per line, each naming its key", () => {
        try {
            parseStackConfig(withOverrides("dev", { "nsip:replicsa": "3", "nsip:edge": { clientMaxBodySiz: "1m" } }), { stack: "dev" });
            assert.fail("expected rejection");
        } catch (error) {
            assert.ok(error instanceof NsipConfigError);
            assert.equal(error.name, "NsipConfigError");
            const lines = error.message.split("\n");
            assert.match(lines[0], /2 problems/);
            assert.ok(lines.some((l) => l.includes("nsip:replicsa")));
            assert.ok(lines.some((l) => l.includes("nsip:edge.clientMaxBodySiz")));
        }
    });

    it("keys of other namespaces (aws:, kubernetes:) are left alone", () => {
        const raw = { ...stackFile("dev"), "aws:region": "eu-west-1", "kubernetes:enableServerSideApply": "true" };
        assert.equal(parseStackConfig(raw, { stack: "dev" }).environment, "dev");
    });
});
