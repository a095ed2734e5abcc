import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { applyRender, expectedReplicas, rolledOut } from "../k8s/apply";
import { CLUSTER_ADD_ONS, ControlPlane, waitFor } from "../k8s/control-plane";
import { renderStack } from "../render/render";

/**
 * Figures of the test control plane, printed, never asserted:
 * - obtaining the binaries: warm (cached) now; cold as recorded by the build that filled the cache,
 *   or measured now with `--cold` (a fresh Go build cache and binaries cache: tens of minutes);
 * - starting the control plane;
 * - per stack, the wall time from the first apply to every workload ready and the migration Job complete.
 *
 *   npm run bench:control-plane [-- --cold]
 */

const SCRIPT = path.resolve(__dirname, "..", "k8s", "binaries.sh");

function timeBinaries(env: NodeJS.ProcessEnv): { seconds: number; dir: string } {
    const started = performance.now();
    const dir = execFileSync("bash", [SCRIPT, "path"], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    return { seconds: (performance.now() - started) / 1000, dir };
}


async function main(): Promise<void> {
    const cold = process.argv.includes("--cold");
    const lines: string[] = [];
    if (cold) {
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-cold-build-"));
        const env: NodeJS.ProcessEnv = { ...process.env, NSIP_TOOLS_CACHE: path.join(scratch, "tools"), GOCACHE: path.join(scratch, "go-build") };
        delete env["NSIP_K8S_BIN_DIR"];
        const result = timeBinaries(env);
        lines.push(`binaries, cold (empty Go build cache, modules already downloaded): ${result.seconds.toFixed(0)} s`);
        fs.rmSync(scratch, { recursive: true, force: true });
    }
    const warm = timeBinaries(process.env);
    const record = path.join(warm.dir, "build.json");
    if (!cold && fs.existsSync(record)) {
        const build = JSON.parse(fs.readFileSync(record, "utf8")) as { seconds: number; finished: string; nproc: number };
        lines.push(`binaries, cold (recorded by the build that filled the cache on ${build.finished}, ${build.nproc} cores): ${build.seconds} s`);
    }
    lines.push(`binaries, warm (cached): ${warm.seconds.toFixed(2)} s`);

    for (const stack of ["dev", "prod"] as const) {
        const rendered = await renderStack({ stack });
        const startedPlane = performance.now();
        const plane = await ControlPlane.start({ binDir: warm.dir, ...CLUSTER_ADD_ONS[stack], log: () => undefined });
        const planeSeconds = (performance.now() - startedPlane) / 1000;
        try {
            const startedApply = performance.now();
            const applied = await applyRender(plane.client, rendered.resources);
            const namespace = applied.find((object) => object.kind === "Namespace")?.name ?? "default";
            const expected = await expectedReplicas(plane.client, namespace);
            await waitFor(`${stack} to roll out`, 600_000, () => rolledOut(plane.client, namespace, expected), 200);
            const applySeconds = (performance.now() - startedApply) / 1000;
            lines.push(`${stack}: control plane start ${planeSeconds.toFixed(1)} s; first apply -> all ready ${applySeconds.toFixed(1)} s (${applied.length} objects)`);
        } finally {
            await plane.stop();
        }
    }
    console.log(`Control plane figures (${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}):`);
    for (const line of lines) {
        console.log(`  ${line}`);
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
