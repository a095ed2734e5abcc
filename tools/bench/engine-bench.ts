import * as fs from "fs";
import * as os from "os";
import { performance } from "perf_hooks";
import { CLUSTER_ADD_ONS, ControlPlane, controlPlaneBinaries } from "../k8s/control-plane";
import { EngineStack, engineBinaries, pluginVersions } from "../pulumi/engine";
import { ENGINE_TEST_NAMESPACE, engineTestConfig } from "../pulumi/test-stack";

/**
 * Wall times of the real engine on the test control plane, printed, never asserted: `pulumi up`
 * from an empty stack to every await satisfied, a no-op `pulumi preview`, and `pulumi destroy`.
 * The stack is the engine test's (test/engine): an existing cluster, prebuilt images.
 *
 *   npm run bench:engine
 */

async function timed<T>(run: () => Promise<T>): Promise<number> {
    const started = performance.now();
    await run();
    return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
    const pulumiBin = engineBinaries();
    const plane = await ControlPlane.start({
        binDir: controlPlaneBinaries(),
        ...CLUSTER_ADD_ONS.existing,
        log: () => undefined,
    });
    const engine = await EngineStack.create(pulumiBin, "bench", engineTestConfig(fs.readFileSync(plane.kubeconfigPath, "utf8")));
    try {
        const up = await timed(() => engine.stack.up({ ...engine.output }));
        const preview = await timed(() => engine.stack.preview({ ...engine.output, expectNoChanges: true }));
        const destroy = await timed(() => engine.stack.destroy({ ...engine.output }));
        const resources = (engine.stateText().match(/"urn":/g) ?? []).length;
        console.log(`Engine figures (${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}; namespace ${ENGINE_TEST_NAMESPACE}):`);
        for (const { plugin, built, sdk } of pluginVersions(pulumiBin)) {
            console.log(`  ${plugin}: built ${built}, npm SDK ${sdk}`);
        }
        console.log(`  pulumi up (empty -> every await satisfied): ${up.toFixed(1)} s`);
        console.log(`  pulumi preview (no changes): ${preview.toFixed(1)} s`);
        console.log(`  pulumi destroy: ${destroy.toFixed(1)} s (state after destroy: ${resources} URNs)`);
    } finally {
        engine.remove();
        await plane.stop();
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
