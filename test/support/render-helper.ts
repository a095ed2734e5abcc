import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { OutputRecord, ResourceRecord } from "../../tools/render/recorder";

/**
 * Runs `npm run render`'s CLI in a child process. The Pulumi runtime is process-global, so rendering
 * in the mocha process would replace the mocks and config other test files installed; a child process
 * cannot. Results are cached per (stack, options) for the life of the mocha process.
 */

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const CLI = path.join(REPO_ROOT, "tools", "render", "cli.ts");
const run = promisify(execFile);

export interface RenderCliResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RenderToTempOptions {
    preview?: boolean;
    /** Config keys merged over the stack's (written to a --config-file), e.g. `{ "nsip:namespace": "nsip-review" }`. */
    config?: Record<string, unknown>;
}

export interface RenderedStack {
    dir: string;
    stdout: string;
    /** The program's warnings (`warning: [runtime] ...`) among the rest. */
    stderr: string;
    resources: ResourceRecord[];
    outputs: Record<string, OutputRecord>;
    /** Parsed manifests by file name (inside `<dir>/manifests`). */
    manifests: Record<string, Record<string, unknown>>;
}

const tempDirs: string[] = [];
const cache = new Map<string, Promise<RenderedStack>>();

process.on("exit", () => {
    for (const dir of tempDirs) {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

/** A fresh temp directory, removed when the process exits. */
export function makeTempDir(prefix = "nsip-render-"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
}

/** Runs the render CLI with these arguments; never throws on a non-zero exit. */
export async function runRenderCli(args: string[]): Promise<RenderCliResult> {
    try {
        const { stdout, stderr } = await run(TSX, [CLI, ...args], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
        return { code: 0, stdout, stderr };
    } catch (error) {
        const failed = error as { code?: number | string; stdout?: string; stderr?: string };
        if (typeof failed.code !== "number") {
            throw error;
        }
        return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
    }
}

/** Writes a config file in the format of Pulumi.<stack>.yaml. */
export function writeConfigFile(config: Record<string, unknown>): string {
    const file = path.join(makeTempDir("nsip-render-config-"), "config.yaml");
    fs.writeFileSync(file, stringifyYaml({ config }));
    return file;
}

/** Renders a stack once per (stack, options) in this process and reads the result back. */
export function renderToTemp(stack: string, options: RenderToTempOptions = {}): Promise<RenderedStack> {
    const key = JSON.stringify([stack, options.preview ?? false, options.config ?? null]);
    let rendered = cache.get(key);
    if (rendered === undefined) {
        rendered = renderFresh(stack, options);
        cache.set(key, rendered);
    }
    return rendered;
}

/** Renders without the cache (determinism tests need two independent runs). */
export async function renderFresh(stack: string, options: RenderToTempOptions = {}): Promise<RenderedStack> {
    const dir = makeTempDir();
    const args = ["--stack", stack, "--out", dir];
    if (options.preview) {
        args.push("--preview");
    }
    if (options.config !== undefined) {
        args.push("--config-file", writeConfigFile(options.config));
    }
    const result = await runRenderCli(args);
    if (result.code !== 0) {
        throw new Error(`render of ${stack} exited ${result.code}:\n${result.stderr}`);
    }
    return { dir, stdout: result.stdout, stderr: result.stderr, ...readRender(dir) };
}

export function readRender(dir: string): Omit<RenderedStack, "dir" | "stdout" | "stderr"> {
    const manifestsDir = path.join(dir, "manifests");
    const manifests: Record<string, Record<string, unknown>> = {};
    for (const file of fs.readdirSync(manifestsDir).sort()) {
        manifests[file] = parseYaml(fs.readFileSync(path.join(manifestsDir, file), "utf8")) as Record<string, unknown>;
    }
    return {
        resources: JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8")) as ResourceRecord[],
        outputs: JSON.parse(fs.readFileSync(path.join(dir, "outputs.json"), "utf8")) as Record<string, OutputRecord>,
        manifests,
    };
}
