import { strict as assert } from "assert";
import { parseStackConfig } from "../stacks/load";
import { prodFloorViolations, statelessServices } from "../stacks/prod-floor";
import { clusterDefaults, profileDefaults } from "../stacks/profiles";
import type { NsipConfig } from "../stacks/schema";
import { stackFile, withOverrides } from "./support/stack-config";

/** The prod floor rule by rule, and the dev/prod profile columns of DESIGN.md's hardening table. */

const prod = (): NsipConfig => parseStackConfig(stackFile("prod"), { stack: "prod" });
const violations = (config: NsipConfig) => prodFloorViolations(config).map((i) => `${i.key}: ${i.message}`);

describe("prod floor, rule by rule", () => {
    it("the prod stack as shipped stands on its floor", () => {
        assert.deepEqual(violations(prod()), []);
    });

    it("dev is not held to it, however relaxed", () => {
        const config = parseStackConfig(stackFile("dev"), { stack: "dev" });
        assert.deepEqual(violations({ ...config, cluster: { ...prod().cluster } }), []);
    });

    it("each weakened hardening switch is named with what prod requires", () => {
        const config = prod();
        config.hardening = { podSecurityLevel: "baseline", podDisruptionBudgets: false, topologySpread: false, zeroDowntimeRollouts: false, protectData: false };
        assert.deepEqual(violations(config), [
            'nsip:hardening.podSecurityLevel: prod enforces "restricted", found "baseline"',
            "nsip:hardening.podDisruptionBudgets: prod requires true, found false",
            "nsip:hardening.topologySpread: prod requires true, found false",
            "nsip:hardening.zeroDowntimeRollouts: prod requires true, found false",
            "nsip:hardening.protectData: prod requires true, found false",
        ]);
    });

    it("every stateless service needs 2 replicas; 2 is enough", () => {
        const config = prod();
        assert.deepEqual([...statelessServices], ["nginx", "frontend", "api", "analyzer"]);
        for (const name of statelessServices) config.services[name].replicas = 1;
        assert.deepEqual(
            violations(config),
            statelessServices.map((name) => `nsip:services.${name}.replicas: prod runs stateless services with at least 2 replicas, found 1`),
        );
        for (const name of statelessServices) config.services[name].replicas = 2;
        assert.deepEqual(violations(config), []);
    });

    it("the api and the analyzer need an autoscaler", () => {
        const config = prod();
        delete config.services.api.autoscaling;
        delete config.services.analyzer.autoscaling;
        assert.deepEqual(violations(config), [
            "nsip:services.api.autoscaling: prod requires a HorizontalPodAutoscaler",
            "nsip:services.analyzer.autoscaling: prod requires a HorizontalPodAutoscaler",
        ]);
    });

    it("an autoscaler may not go below 2 replicas; 2 is enough", () => {
        for (const name of ["api", "analyzer"] as const) {
            const raw = withOverrides("prod", { "nsip:services": { [name]: { autoscaling: { minReplicas: 1, maxReplicas: 4, targetCpuUtilization: 70 } } } });
            assert.throws(() => parseStackConfig(raw, { stack: "prod" }), (e: Error) => e.message.includes(`nsip:services.${name}.autoscaling.minReplicas: prod requires at least 2, found 1`));
            const config = prod();
            config.services[name].autoscaling = { minReplicas: 2, maxReplicas: 4, targetCpuUtilization: 70 };
            assert.deepEqual(violations(config), []);
        }
    });

    it("TLS at the edge needs a certificate", () => {
        const config = prod();
        delete config.edge.tlsCertificateArn;
        assert.deepEqual(violations(config), ["nsip:edge.tlsCertificateArn: prod terminates TLS at the edge: an ACM certificate ARN is required"]);
    });

    it("EKS only: an open endpoint, no backups and short log retention are each named; 90 days is enough", () => {
        const config = prod();
        if (config.cluster.provider !== "eks") assert.fail("prod ships on eks");
        config.cluster.publicAccessCidrs = ["203.0.113.0/24", "0.0.0.0/0"];
        config.cluster.logRetentionDays = 89;
        config.backup.enabled = false;
        assert.deepEqual(violations(config), [
            "nsip:cluster.publicAccessCidrs: prod limits the public API endpoint to known CIDRs, found 0.0.0.0/0",
            "nsip:backup.enabled: prod on EKS backs PostgreSQL up to S3: requires true, found false",
            "nsip:cluster.logRetentionDays: prod keeps control-plane logs at least 90 days, found 89",
        ]);
        config.cluster.publicAccessCidrs = ["203.0.113.0/24"];
        config.cluster.logRetentionDays = 90;
        config.backup.enabled = true;
        assert.deepEqual(violations(config), []);
    });

    it("on an existing cluster the EKS rules do not apply; on the local one prod is refused", () => {
        const config = prod();
        config.backup.enabled = false;
        config.cluster = { provider: "existing", name: "nsip-prod", context: "prod" };
        assert.deepEqual(violations(config), []);
        config.cluster = { provider: "local", name: "nsip-prod", apiPort: 6443, registryPort: 5001, edgePort: 8080 };
        assert.deepEqual(violations(config), ['nsip:cluster.provider: prod runs on "eks" or "existing", not on the local dev cluster']);
    });
});

describe("profiles: DESIGN.md's dev and prod columns", () => {
    const dev = profileDefaults("dev");
    const prodDefaults = profileDefaults("prod");

    it("hardening: all off in dev (baseline Pod Security), all on in prod (restricted)", () => {
        assert.deepEqual(dev.hardening, { podSecurityLevel: "baseline", podDisruptionBudgets: false, topologySpread: false, zeroDowntimeRollouts: false, protectData: false });
        assert.deepEqual(prodDefaults.hardening, { podSecurityLevel: "restricted", podDisruptionBudgets: true, topologySpread: true, zeroDowntimeRollouts: true, protectData: true });
    });

    it("replicas: one of each in dev, no autoscalers; prod runs 2+ with the api HPA 3-10 and the analyzer HPA 2-6", () => {
        for (const name of statelessServices) assert.equal(dev.services[name].replicas, 1, name);
        assert.equal(dev.services.api.autoscaling, undefined);
        assert.equal(dev.services.analyzer.autoscaling, undefined);
        assert.deepEqual(prodDefaults.services.api.autoscaling, { minReplicas: 3, maxReplicas: 10, targetCpuUtilization: 70 });
        assert.deepEqual(prodDefaults.services.analyzer.autoscaling, { minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 70 });
    });

    it("dev neither caches builds in a registry nor backs up; prod does both", () => {
        assert.equal(dev.images.registryCache, false);
        assert.equal(dev.backup.enabled, false);
        assert.equal(prodDefaults.images.registryCache, true);
        assert.equal(prodDefaults.backup.enabled, true);
        assert.deepEqual(prodDefaults.backup, { enabled: true, schedule: "0 3 * * *", retentionDays: 30 });
    });

    it("dev is chattier and more permissive at the edge; prod keeps metrics longer", () => {
        assert.equal(dev.api.logLevel, "debug");
        assert.equal(prodDefaults.api.logLevel, "info");
        assert.deepEqual([dev.api.rateLimitPerMinute, prodDefaults.api.rateLimitPerMinute], [600, 120]);
        assert.deepEqual([dev.edge.apiRateLimit, prodDefaults.edge.apiRateLimit], [{ requestsPerSecond: 50, burst: 100 }, { requestsPerSecond: 20, burst: 40 }]);
        assert.deepEqual([dev.observability.retentionDays, prodDefaults.observability.retentionDays], [7, 30]);
    });

    it("every container gets 64Mi of ephemeral storage requested and 256Mi allowed unless it writes more", () => {
        assert.deepEqual(dev.services.nginx.resources, { requests: { cpu: "25m", memory: "32Mi", ephemeralStorage: "64Mi" }, limits: { cpu: "200m", memory: "64Mi", ephemeralStorage: "256Mi" } });
        assert.deepEqual(prodDefaults.services.postgres.resources.limits, { cpu: "2", memory: "2Gi", ephemeralStorage: "1Gi" });
    });

    it("cluster defaults: EKS in prod with a NAT gateway per zone and 90-day logs, one NAT and 14 days elsewhere", () => {
        assert.deepEqual(clusterDefaults("prod", "prod", undefined), {
            provider: "eks",
            name: "nsip-prod",
            kubernetesVersion: "1.35",
            availabilityZones: 3,
            vpcCidr: "10.40.0.0/16",
            natGateways: "perAz",
            adminPrincipalArns: [],
            extraLogTypes: [],
            logRetentionDays: 90,
            nodeGroup: { instanceTypes: ["m6i.large"], amiType: "AL2023_x86_64_STANDARD", minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 },
            addonVersions: {
                vpcCni: "default",
                kubeProxy: "v1.35.3-eksbuild.2",
                podIdentityAgent: "default",
                coredns: "v1.13.2-eksbuild.4",
                ebsCsiDriver: "default",
                cloudwatchObservability: "default",
            },
        });
        const devEks = clusterDefaults("dev", "staging", "eks");
        assert.deepEqual([devEks.name, devEks.provider === "eks" && devEks.natGateways, devEks.provider === "eks" && devEks.logRetentionDays], ["nsip-staging", "single", 14]);
    });

    it("cluster defaults: the local cluster in dev on ports that rarely collide; an existing cluster only gets its name", () => {
        assert.deepEqual(clusterDefaults("dev", "dev", undefined), { provider: "local", name: "nsip-dev", apiPort: 26443, registryPort: 25000, edgePort: 28080 });
        assert.deepEqual(clusterDefaults("prod", "prod", "existing"), { provider: "existing", name: "nsip-prod" });
    });
});
