import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { expectedReplicas, rolledOut } from "../../tools/k8s/apply";
import { KubeObject } from "../../tools/k8s/client";
import { CLUSTER_ADD_ONS, ControlPlane, controlPlaneBinaries, waitFor } from "../../tools/k8s/control-plane";
import { changeRecorder, EngineStack, engineBinaries, pluginVersions, REPO_ROOT } from "../../tools/pulumi/engine";
import { ENGINE_TEST_IMAGES, ENGINE_TEST_NAMESPACE, engineTestConfig, imageDigest } from "../../tools/pulumi/test-stack";

/**
 * `pulumi up`, `preview`, `refresh` and `destroy` of our program through the real engine and
 * providers, against the real control plane; the stack is tools/pulumi/test-stack.ts's.
 */

const STACK = "engine";
const NAMESPACE = ENGINE_TEST_NAMESPACE;
const IMAGES = ENGINE_TEST_IMAGES;
const digest = imageDigest;
const POLICY_ANALYZER = path.join(REPO_ROOT, "tools", "pulumi", "policy-analyzer");

describe("the Pulumi engine on the real control plane", function () {
    this.timeout(900_000);
    let plane: ControlPlane;
    let engine: EngineStack;

    before(async function () {
        const [k8sBin, pulumiBin] = [controlPlaneBinaries(), engineBinaries()];
        for (const { plugin, built, sdk } of pluginVersions(pulumiBin)) {
            // Reported on every run: a plugin older than its SDK is what this machine can build (README).
            console.log(`      plugin ${plugin}: built ${built}, npm SDK ${sdk}${built === sdk ? "" : "  <- differs"}`);
        }
        plane = await ControlPlane.start({
            binDir: k8sBin,
            ...CLUSTER_ADD_ONS.existing,
            log: () => undefined,
        });
        engine = await EngineStack.create(pulumiBin, STACK, engineTestConfig(fs.readFileSync(plane.kubeconfigPath, "utf8")));
    });

    let failed = false;
    afterEach(function () {
        if (this.currentTest?.state === "failed" && engine !== undefined) {
            failed = true;
            console.log(`      engine output (tail; whole log in ${engine.home}/engine.log):\n${engine.logTail()}`);
        }
    });

    after(async function () {
        if (!failed) engine?.remove();
        await plane?.stop();
    });

    it("a real pulumi up refuses a documentation value before creating anything; the preview only warns", async function () {
        await engine.stack.setConfig("nsip:edge.hostname", { value: "nsip.example.com" }, true);
        try {
            await assert.rejects(engine.stack.up({ ...engine.output }), (error: Error) => {
                assert.match(error.message, /nsip:edge\.hostname: nsip\.example\.com is a documentation domain \(RFC 2606\)/);
                return true;
            });
            const state = await engine.stack.exportStack();
            const created = ((state.deployment as { resources?: { type: string }[] }).resources ?? []).filter((r) => r.type !== "pulumi:pulumi:Stack");
            assert.deepEqual(created, []);
            assert.equal(await plane.client.get("v1", "Namespace", undefined, NAMESPACE), undefined);

            const preview = await engine.stack.preview({ ...engine.output });
            assert.match(preview.stdout, /nsip:edge\.hostname: nsip\.example\.com is a documentation domain/);
        } finally {
            await engine.stack.setConfig("nsip:edge.hostname", { value: "nsip.engine.test.example" }, true);
        }
    });

    it("pulumi up: every await is satisfied and the stack rolls out", async function () {
        const result = await engine.stack.up({ ...engine.output });
        assert.equal(result.summary.result, "succeeded");
        const expected = await expectedReplicas(plane.client, NAMESPACE);
        assert.ok(expected.size >= 8, `workloads: ${[...expected.keys()].join(", ")}`);
        // Pulumi waited for each workload; the HPAs' minimums follow within the controllers' sync period.
        await waitFor("the HPA minimums", 120_000, () => rolledOut(plane.client, NAMESPACE, expected), 1000);
    });

    it("exports the outputs contract, with secrets kept secret", async function () {
        const outputs = await engine.stack.outputs();
        const names = Object.keys(outputs).sort();
        assert.deepEqual(names, [
            "analyzerEndpoint", "apiEndpoint", "clusterName", "grafanaAdminPassword", "grafanaUrl", "imageDigests", "kubeconfig",
            "namespace", "postgresEndpoint", "prometheusEndpoint", "publicUrl", "redisEndpoint",
        ]);
        assert.equal(outputs["namespace"]?.value, NAMESPACE);
        assert.equal(outputs["apiEndpoint"]?.value, `api.${NAMESPACE}.svc.cluster.local:3000`);
        assert.equal(outputs["publicUrl"]?.value, "http://nsip.engine.test.example");
        assert.deepEqual(outputs["imageDigests"]?.value, IMAGES);
        assert.equal(outputs["grafanaAdminPassword"]?.secret, true);
        assert.equal(outputs["kubeconfig"]?.secret, true);
    });

    it("keeps no generated password in clear text in the state file", async function () {
        const secrets = await plane.client.list<KubeObject & { data?: Record<string, string> }>("v1", "Secret", NAMESPACE);
        const values = secrets.flatMap((secret) => Object.values(secret.data ?? {}).map((b64) => Buffer.from(b64, "base64").toString("utf8")));
        const passwords = values.filter((value) => value.length >= 16);
        assert.ok(passwords.length >= 4, "the generated passwords are in the cluster");
        const state = engine.stateText();
        assert.deepEqual(passwords.filter((password) => state.includes(password)), []);
    });

    it("pulumi preview --expect-no-changes passes right after up", async function () {
        const recorder = changeRecorder();
        await engine.stack.preview({ ...engine.output, expectNoChanges: true, onEvent: recorder.onEvent });
        assert.deepEqual(recorder.changes, []);
    });

    it("pulumi refresh changes nothing, and the preview after it is still empty", async function () {
        const refresh = await engine.stack.refresh({ ...engine.output });
        assert.equal(refresh.summary.result, "succeeded");
        const changed = Object.entries(refresh.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
        assert.deepEqual(changed, []);
        await engine.stack.preview({ ...engine.output, expectNoChanges: true });
    });

    it("one config value (the api rate limit) previews its ConfigMap and the api Deployment, nothing replaced", async function () {
        await engine.stack.setConfig("nsip:api.rateLimitPerMinute", { value: "121" }, true);
        try {
            const recorder = changeRecorder();
            await engine.stack.preview({ ...engine.output, diff: true, onEvent: recorder.onEvent });
            const summary = recorder.changes.map((change) => `${change.op} ${change.type} ${change.name}`).sort();
            assert.deepEqual(summary, [
                "update kubernetes:apps/v1:Deployment nsip-api-deployment",
                "update kubernetes:core/v1:ConfigMap nsip-api-env",
            ]);
        } finally {
            await engine.stack.removeConfig("nsip:api.rateLimitPerMinute", true);
        }
    });

    it("one prebuilt digest touches only that image's workloads (for the api: the migration Job and the health-probe template)", async function () {
        const frontend = digest("frontend", "c4");
        await engine.stack.setConfig("nsip:images.prebuilt.frontend", { value: frontend }, true);
        try {
            const recorder = changeRecorder();
            await engine.stack.preview({ ...engine.output, onEvent: recorder.onEvent });
            assert.deepEqual(recorder.changes.map((change) => `${change.op} ${change.name}`), ["update nsip-frontend-deployment"]);
        } finally {
            await engine.stack.setConfig("nsip:images.prebuilt.frontend", { value: IMAGES.frontend }, true);
        }
        await engine.stack.setConfig("nsip:images.prebuilt.api", { value: digest("api", "d5") }, true);
        try {
            const recorder = changeRecorder();
            await engine.stack.preview({ ...engine.output, onEvent: recorder.onEvent });
            const touched = recorder.changes.map((change) => `${change.op} ${change.name}`).sort();
            // The health probe runs the api image's Node, so its template follows the api's digest.
            assert.deepEqual(
                touched.filter((entry) => !/nsip-migrations-job$/.test(entry)),
                ["update nsip-api-deployment", "update nsip-health-probe-template"],
            );
            assert.ok(touched.some((entry) => /^create-replacement nsip-migrations-job$/.test(entry)), touched.join("; "));
        } finally {
            await engine.stack.setConfig("nsip:images.prebuilt.api", { value: IMAGES.api }, true);
        }
    });

    it("the policy pack runs in the engine and passes", async function () {
        const result = await engine.stack.preview({ ...engine.output, policyPacks: [POLICY_ANALYZER] });
        assert.match(result.stdout, /Policies:[\s\S]*nsip-hardening/);
        assert.doesNotMatch(result.stdout, /mandatory/);
    });

    it("a stack breaking a mandatory policy fails the preview with that policy's message", async function () {
        // Enforcing "restricted" makes the stack prod in the pack's eyes, and prod's claims must be `protect`ed.
        await engine.stack.setConfig("nsip:hardening.podSecurityLevel", { value: "restricted" }, true);
        try {
            await assert.rejects(engine.stack.preview({ ...engine.output, policyPacks: [POLICY_ANALYZER] }), (error: Error) => {
                assert.match(error.message, /\[mandatory\]\s+prod-data-protected/);
                assert.match(error.message, /PersistentVolumeClaim nsip-postgres-data: the protect resource option must be set on data in prod/);
                return true;
            });
        } finally {
            await engine.stack.removeConfig("nsip:hardening.podSecurityLevel", true);
        }
    });

    it("pulumi destroy leaves none of our objects in the cluster", async function () {
        const result = await engine.stack.destroy({ ...engine.output });
        assert.equal(result.summary.result, "succeeded");
        await waitFor(`namespace ${NAMESPACE} to be gone`, 300_000, async () => (await plane.client.get("v1", "Namespace", undefined, NAMESPACE)) === undefined, 1000);
        const leftovers: string[] = [];
        for (const [apiVersion, kind] of [["v1", "PersistentVolumeClaim"], ["storage.k8s.io/v1", "StorageClass"], ["rbac.authorization.k8s.io/v1", "ClusterRole"]]) {
            for (const object of await plane.client.list<KubeObject & { metadata: { labels?: Record<string, string> } }>(apiVersion as string, kind as string)) {
                if (object.metadata.labels?.["app.kubernetes.io/part-of"] === "nsip") leftovers.push(`${kind}/${object.metadata.name}`);
            }
        }
        assert.deepEqual(leftovers, []);
    });
});
