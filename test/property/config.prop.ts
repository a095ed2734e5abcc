import { strict as assert } from "assert";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NsipConfigError } from "../../stacks/load";
import { renderStack } from "../../tools/render/render";
import { GeneratedConfig, keyPath, loadGenerated, stackConfigArbitrary } from "../support/config-arbitraries";
import { nginxTest, promtoolCheck, redisCheck, schemaFailures } from "../support/config-tools";
import { propertySettings } from "../support/property-settings";

/**
 * Stack configs generated from the schema's own domain, valid and mutated (test/support/config-arbitraries.ts):
 * - a config the loader rejects fails with NsipConfigError (never another exception), every problem names
 *   an `nsip:` key, and every value put outside its domain is named;
 * - a config the loader accepts renders (the real program under the render's mocks: no component throws),
 *   its nginx.conf passes `nginx -t`, its Prometheus files `promtool check config/rules`, its redis.conf
 *   `redis-server`, and every Kubernetes object the OpenAPI schema (kubernetes-models).
 * The real API server's verdict on accepted configs is test/control-plane/config-property.cp.ts.
 *
 * Renders run in this process (a separate mocha suite, `npm run test:property`), since the Pulumi runtime is process-global.
 */

const settings = propertySettings({ runs: 20, minutes: 4 });

interface Tally {
    accepted: number;
    rejected: number;
    mutated: number;
}

async function checkAccepted(generated: GeneratedConfig, dir: string): Promise<void> {
    let rendered;
    try {
        rendered = await renderStack({ stack: generated.stack, configOverrides: generated.overrides });
    } catch (error) {
        assert.fail(`the loader accepted the config but the program failed: ${(error as Error).stack}`);
    }
    const configMap = (name: string): Record<string, string> => {
        const found = rendered.manifests.find((m) => m.object.kind === "ConfigMap" && (m.object.metadata as { name?: string }).name === name);
        assert.ok(found, `no ConfigMap ${name} rendered`);
        return found.object.data as Record<string, string>;
    };
    const namespace = rendered.manifests.find((m) => m.object.kind === "Namespace")!.object.metadata as { name: string };
    const verdicts = {
        nginx: nginxTest(configMap("nginx-config")["nginx.conf"], dir),
        promtool: promtoolCheck(configMap("prometheus-config"), dir, namespace.name),
        redis: redisCheck(configMap("redis-config")["redis.conf"], dir),
    };
    for (const [tool, verdict] of Object.entries(verdicts)) assert.ok(verdict.ok, `${tool} rejected the rendered file:\n${verdict.output}`);
    assert.deepEqual(await schemaFailures(rendered.manifests.map((m) => m.object as never)), []);
}

function checkRejected(generated: GeneratedConfig, error: unknown): void {
    assert.ok(error instanceof NsipConfigError, `the loader failed with something other than NsipConfigError: ${(error as Error)?.stack ?? String(error)}`);
    assert.ok(error.issues.length > 0);
    for (const issue of error.issues) {
        assert.match(issue.key, /^nsip:[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*|\[\d+\])*$/, `a problem without a key path: ${issue.key}: ${issue.message}`);
        assert.ok(issue.message.length > 0);
    }
    const keys = error.issues.map((i) => i.key);
    for (const mutation of generated.mutations) {
        const key = keyPath(mutation.path);
        assert.ok(keys.includes(key), `${mutation.kind} ${JSON.stringify(mutation.value)} at ${key} is not named; problems:\n${error.message}`);
    }
}

for (const stack of ["dev", "prod"] as const) {
    describe(`${stack}: generated stack configs`, function () {
        let dir: string;
        before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), `nsip-property-${stack}-`))));
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it(`accepted ones render and pass their tools; rejected ones name their keys (${settings.runs} runs, seed ${settings.seed})`, async function () {
            const tally: Tally = { accepted: 0, rejected: 0, mutated: 0 };
            await fc.assert(
                fc.asyncProperty(stackConfigArbitrary(stack), async (generated) => {
                    const verdict = loadGenerated(generated);
                    if (verdict.accepted) {
                        tally.accepted++;
                        assert.deepEqual(generated.mutations, [], "a config with a value outside its domain was accepted");
                        await checkAccepted(generated, dir);
                    } else {
                        tally.rejected++;
                        if (generated.mutations.length > 0) tally.mutated++;
                        checkRejected(generated, verdict.error);
                    }
                }),
                { numRuns: settings.runs, seed: settings.seed, interruptAfterTimeLimit: settings.timeLimitMs, markInterruptAsFailure: false, endOnFailure: true },
            );
            console.log(`      ${stack}: ${tally.accepted} accepted and rendered, ${tally.rejected} rejected (${tally.mutated} with values put outside their domain)`);
            // The generator must exercise both sides, or the property says little.
            assert.ok(tally.accepted > 0 && tally.rejected > 0, `both accepted and rejected configs expected: ${JSON.stringify(tally)}`);
        });
    });
}
