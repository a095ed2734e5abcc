import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { createCluster, EKS_ADDONS, EksAddonName, EksCluster, ExistingCluster, LocalCluster } from "../components/cluster";
import { isSecretOutput, ResourceRecorder, stopMocks, valueOf } from "./support/pulumi-mocks";

const PROVIDER = "pulumi:providers:kubernetes";
const KUBECONFIG = "apiVersion: v1\nkind: Config\ncurrent-context: staging\n";

describe("cluster: existing", () => {
    after(stopMocks);

    it("builds the provider from the given kubeconfig (secret) and context", async () => {
        const recorder = await ResourceRecorder.start();
        const cluster = new ExistingCluster("shared", {
            clusterName: "shared-staging",
            kubeconfig: pulumi.secret(KUBECONFIG),
            context: "staging",
            registry: { server: "registry.example.com:5000", namespace: "acme/nsip" },
            storageClassName: "fast-ssd",
        });
        await recorder.settle();

        const provider = recorder.one(PROVIDER);
        assert.strictEqual(provider.inputs.kubeconfig, KUBECONFIG);
        assert.ok(provider.secretInputs.includes("kubeconfig"));
        assert.strictEqual(provider.inputs.context, "staging");
        assert.strictEqual(String(provider.inputs.enableServerSideApply), "true");
        assert.strictEqual(await valueOf(cluster.kubeconfig), KUBECONFIG);
        assert.ok(await isSecretOutput(cluster.kubeconfig));
        assert.strictEqual(await valueOf(cluster.clusterName), "shared-staging");
        assert.strictEqual(await valueOf(cluster.storageClassName!), "fast-ssd");
        assert.deepStrictEqual(cluster.edge, { kind: "generic" });
        assert.strictEqual(recorder.resources.filter((r) => r.custom).length, 1, "manages nothing but the provider");
    });

    it("uses a bare context from the default kubeconfig when no kubeconfig text is given", async () => {
        const recorder = await ResourceRecorder.start();
        const cluster = new ExistingCluster("ctx", { clusterName: "kind-dev", context: "kind-dev", registry: { server: "ghcr.io", namespace: "acme" } });
        await recorder.settle();
        const provider = recorder.one(PROVIDER);
        assert.strictEqual(provider.inputs.kubeconfig, undefined);
        assert.strictEqual(provider.inputs.context, "kind-dev");
        assert.strictEqual(await valueOf(cluster.kubeconfig), "");
        assert.strictEqual(cluster.storageClassName, undefined);
    });

    it("pushes to <server>/<namespace>/<image> with the configured credentials as a secret, waiting for nothing", async () => {
        const recorder = await ResourceRecorder.start();
        const cluster = new ExistingCluster("reg", {
            clusterName: "c",
            kubeconfig: KUBECONFIG,
            registry: { server: "ghcr.io", namespace: "acme/nsip", username: "bot", password: pulumi.secret("s3cret") },
        });
        await recorder.settle();
        const registry = cluster.registry;
        assert.ok(registry);
        assert.strictEqual(await valueOf(registry.repositoryUrl("api")), "ghcr.io/acme/nsip/api");
        assert.ok(registry.credentials);
        assert.deepStrictEqual(await valueOf(registry.credentials), { server: "ghcr.io", username: "bot", password: "s3cret" });
        assert.ok(await isSecretOutput(registry.credentials));
        assert.deepStrictEqual(registry.pushDependsOn, []);
    });

    it("has no registry when the stack deploys prebuilt images", async () => {
        await ResourceRecorder.start();
        const cluster = new ExistingCluster("prebuilt", { clusterName: "c", kubeconfig: KUBECONFIG });
        assert.strictEqual(cluster.registry, undefined);
    });

    it("rejects a cluster with neither kubeconfig nor context, and half a credential pair", async () => {
        await ResourceRecorder.start();
        assert.throws(() => new ExistingCluster("a", { clusterName: "a", registry: { server: "r", namespace: "n" } }), /kubeconfig, a context, or both/);
        assert.throws(
            () => new ExistingCluster("b", { clusterName: "b", context: "x", registry: { server: "r", namespace: "n", username: "only-me" } }),
            /both username and password/,
        );
    });
});

describe("cluster: createCluster", () => {
    after(stopMocks);

    it("picks the implementation from `provider` and passes the rest through", async () => {
        const recorder = await ResourceRecorder.start();
        const local = createCluster("dev", { provider: "local", clusterName: "nsip-dev", registryPort: 5001, apiPort: 6550, edgeHostPort: 8088, imageNamespace: "nsip" });
        const existing = createCluster("ext", { provider: "existing", clusterName: "x", context: "x", registry: { server: "r", namespace: "n" } });
        const eks = createCluster("prod", {
            provider: "eks",
            clusterName: "nsip-prod",
            serviceCidr: "172.20.0.0/16",
            network: { cidrBlock: "10.0.0.0/16", availabilityZoneCount: 2, natGateways: "single" },
            publicAccessCidrs: ["203.0.113.0/24"],
            adminPrincipalArns: ["arn:aws:iam::123456789012:role/deployer"],
            logRetentionDays: 90,
            nodeGroup: { instanceTypes: ["t3.large"], minSize: 2, maxSize: 3, desiredSize: 2, diskSizeGiB: 40, amiType: "AL2023_x86_64_STANDARD" },
            addonVersions: Object.fromEntries(EKS_ADDONS.map((name) => [name, "default"])) as Record<EksAddonName, string>,
            registry: { imageNames: ["api"], repositoryPrefix: "nsip", encryption: "AES256", untaggedExpiryDays: 7, keepTaggedImages: 10 },
            protectData: false,
        });
        await recorder.settle();
        assert.ok(local instanceof LocalCluster);
        assert.ok(existing instanceof ExistingCluster);
        assert.ok(eks instanceof EksCluster);
        assert.deepStrictEqual([local.edge.kind, existing.edge.kind, eks.edge.kind], ["local", "generic", "aws-nlb"]);
        const components = recorder.resources.filter((r) => r.type.startsWith("nsip:cluster:") && r.parent === null).map((r) => r.type).sort();
        assert.deepStrictEqual(components, ["nsip:cluster:EksCluster", "nsip:cluster:ExistingCluster", "nsip:cluster:LocalCluster"]);
        // Each cluster brings exactly one Kubernetes provider, a child of its component.
        assert.strictEqual(recorder.ofType(PROVIDER).length, 3);
    });
});
