import { applyRender } from "./apply";
import { CLUSTER_ADD_ONS, ControlPlane, controlPlaneBinaries } from "./control-plane";
import { renderStack } from "../render/render";

/**
 * A test control plane for a developer's shell: starts it, optionally applies a stack's offline
 * render, prints the kubeconfig, and runs until Ctrl-C.
 *
 *   npm run control-plane [-- --apply dev|prod]
 */

const USAGE = "usage: npm run control-plane [-- --apply <stack>]";

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    let stack: string | undefined;
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--apply" && args[i + 1] !== undefined) {
            stack = args[++i];
        } else {
            console.error(`unknown argument ${args[i]}\n${USAGE}`);
            process.exit(2);
        }
    }
    const plane = await ControlPlane.start({
        binDir: controlPlaneBinaries(),
        ...(stack === "prod" ? CLUSTER_ADD_ONS.prod : CLUSTER_ADD_ONS.dev),
    });
    const shutdown = () => {
        void plane.stop().then(() => process.exit(0));
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
    if (stack !== undefined) {
        const rendered = await renderStack({ stack });
        const applied = await applyRender(plane.client, rendered.resources, { log: (line) => console.log(line) });
        const rejected = applied.filter((object) => object.error !== undefined).length;
        const warned = applied.filter((object) => object.warnings.length > 0).length;
        console.log(`applied ${applied.length} objects of ${stack}: ${rejected} rejected, ${warned} with warnings`);
    }
    console.log(`\nexport KUBECONFIG=${plane.kubeconfigPath}`);
    console.log(`kubectl: $(bash tools/k8s/binaries.sh)/kubectl get pods -A -o wide`);
    console.log("Ctrl-C stops the control plane and removes its files.");
}

main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
});
