import * as fs from "fs";
import * as path from "path";
import { manifestYaml } from "./manifests";
import type { RenderResult } from "./render";

export const RESOURCES_FILE = "resources.json";
export const OUTPUTS_FILE = "outputs.json";
export const MANIFESTS_DIR = "manifests";

/**
 * Replaces the render files in `outDir`. Only the render's own entries are removed first (never the whole
 * directory: `--out .` must not wipe a checkout), so stale manifests from an earlier render disappear.
 */
export function writeRender(outDir: string, result: RenderResult): void {
    fs.mkdirSync(outDir, { recursive: true });
    for (const entry of [RESOURCES_FILE, OUTPUTS_FILE, MANIFESTS_DIR]) {
        fs.rmSync(path.join(outDir, entry), { recursive: true, force: true });
    }
    fs.writeFileSync(path.join(outDir, RESOURCES_FILE), toJson(result.resources));
    fs.writeFileSync(path.join(outDir, OUTPUTS_FILE), toJson(result.outputs));
    const manifestsDir = path.join(outDir, MANIFESTS_DIR);
    fs.mkdirSync(manifestsDir);
    for (const manifest of result.manifests) {
        fs.writeFileSync(path.join(manifestsDir, manifest.file), manifestYaml(manifest));
    }
}

/** Key order comes from the values themselves (records are built in a fixed order, inputs are sorted). */
export function toJson(value: unknown): string {
    return `${JSON.stringify(value, null, 2)}\n`;
}
