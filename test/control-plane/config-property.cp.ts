import { strict as assert } from "assert";
import fc from "fast-check";
import { objectsInApplyOrder } from "../../tools/k8s/apply";
import { KubeApiError } from "../../tools/k8s/client";
import { CLUSTER_ADD_ONS, ControlPlane, controlPlaneBinaries } from "../../tools/k8s/control-plane";
import { renderStack } from "../../tools/render/render";
import { GeneratedConfig, loadGenerated, stackConfigArbitrary } from "../support/config-arbitraries";
import { propertySettings } from "../support/property-settings";

/**
 * Configs the loader accepts, generated from the schema's domain (the same generator as
 * test/property/config.prop.ts, fixed seed), rendered and sent to the real API server as a
 * server-side dry-run: its validation and admission (Pod Security, EKS's plugins) must accept every
 * object without a warning. Namespaces are created for real, since namespaced objects need theirs.
 */

const settings = propertySettings({ runs: 5, minutes: 6 });
/** Generated configs looked at per accepted one wanted: most generated configs are rejected on purpose. */
const SAMPLES_PER_ACCEPTED = 6;

function acceptedConfigs(stack: "dev" | "prod", wanted: number): GeneratedConfig[] {
    const samples = fc.sample(stackConfigArbitrary(stack), { numRuns: wanted * SAMPLES_PER_ACCEPTED, seed: settings.seed });
    return samples.filter((generated) => loadGenerated(generated).accepted).slice(0, wanted);
}

describe("generated stack configs the loader accepts, dry-run on a real API server", function () {
    this.timeout(settings.timeLimitMs * 2 + 300_000);
    let plane: ControlPlane;

    before(async function () {
        plane = await ControlPlane.start({ binDir: controlPlaneBinaries(), ...CLUSTER_ADD_ONS.dev });
    });

    after(async function () {
        await plane?.stop();
    });

    it("the dry-run can fail: a container requesting more CPU than its limit is rejected", async function () {
        const deployment = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "request-above-limit", namespace: "default" },
            spec: {
                selector: { matchLabels: { app: "x" } },
                template: {
                    metadata: { labels: { app: "x" } },
                    spec: { containers: [{ name: "x", image: "x@sha256:" + "0".repeat(64), resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }] },
                },
            },
        };
        await assert.rejects(plane.client.apply(deployment, { dryRun: true }), (error: unknown) => error instanceof KubeApiError && /must be less than or equal to cpu limit/.test(error.message));
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: every object of each accepted config passes server-side dry-run with no warning (${settings.runs} configs, seed ${settings.seed})`, async function () {
            const configs = acceptedConfigs(stack, settings.runs);
            assert.ok(configs.length > 0, "the generator yielded no accepted config");
            const deadline = Date.now() + settings.timeLimitMs;
            const problems: string[] = [];
            let checked = 0;
            for (const generated of configs) {
                if (Date.now() > deadline) break;
                const rendered = await renderStack({ stack, configOverrides: generated.overrides });
                const label = `config ${checked + 1} (${JSON.stringify(generated.changes.map((c) => c.path.join(".")))})`;
                for (const { object } of objectsInApplyOrder(rendered.resources)) {
                    const real = object.kind === "Namespace";
                    try {
                        const response = await plane.client.apply(object, { dryRun: !real });
                        for (const warning of response.warnings) problems.push(`${label}: ${object.kind}/${object.metadata.name}: warning: ${warning}`);
                    } catch (error) {
                        const message = error instanceof KubeApiError ? error.message : String(error);
                        problems.push(`${label}: ${object.kind}/${object.metadata.name}: ${message.slice(0, 500)}`);
                    }
                }
                checked++;
            }
            console.log(`      ${stack}: ${checked} accepted configs dry-run, ${problems.length} problems`);
            assert.ok(checked > 0);
            assert.deepEqual(problems, []);
        });
    }
});
