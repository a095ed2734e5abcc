import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { OutputRecord, ResourceRecord } from "../../tools/render/recorder";
import { activeMutant, creditCoverage, MutantHits, mutationChildEnv, readChildCoverage, underMutationTesting } from "./mutation";

/**
 * Runs `npm run render`'s CLI in a child process. The Pulumi runtime is process-global, so rendering
 * in the mocha process would replace the mocks and config other test files installed; a child process
 * cannot. Results are cached per (stack, options) for the life of the mocha process.
 * Under `npm run mutate` the child runs Stryker's active mutant and reports its coverage (see mutation.ts).
 */

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const CLI = path.join(REPO_ROOT, "tools", "render", "cli.ts");
const MUTATION_CHILD = path.join(REPO_ROOT, "test", "support", "render-child.ts");
/** A mutant can make the program loop forever; Stryker's timeout ends the runner, this ends its child. */
const MUTANT_RENDER_TIMEOUT_MS = 10 * 60 * 1000;
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

interface ChildRender<T> {
    value: T;
    /** The mutants the child's code reached; empty outside mutation testing. */
    coverage: MutantHits;
}

const tempDirs: string[] = [];
/**
 * Renders by (stack, options) that no mutant changed. Under mutation testing a render made with no mutant
 * active, or with one its code never reached, serves every mutant its code does not reach: the program is
 * deterministic, so the child would render exactly the same. Renders that reached the active mutant are
 * kept apart and dropped when the next mutant is switched on.
 */
const unmutated = new Map<string, Promise<ChildRender<RenderedStack>>>();
const mutated = new Map<string, Promise<ChildRender<RenderedStack>>>();
let mutatedFor: string | undefined;
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
    const { value, coverage } = await runChild(args);
    creditCoverage(coverage);
    return value;
}

async function runChild(args: string[]): Promise<ChildRender<RenderCliResult>> {
    if (!underMutationTesting()) {
        return { value: await execCli(CLI, args, {}), coverage: {} };
    }
    const coverageDir = makeTempDir("nsip-mutant-coverage-");
    const value = await execCli(MUTATION_CHILD, args, { env: mutationChildEnv(coverageDir), timeout: MUTANT_RENDER_TIMEOUT_MS });
    return { value, coverage: readChildCoverage(coverageDir) };
}

async function execCli(entry: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number }): Promise<RenderCliResult> {
    try {
        const { stdout, stderr } = await run(TSX, [entry, ...args], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024, ...options });
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

/** Renders a stack once per (stack, options) in this process (and per mutant, see `unmutated`) and reads the result back. */
export async function renderToTemp(stack: string, options: RenderToTempOptions = {}): Promise<RenderedStack> {
    const mutant = activeMutant();
    if (mutant !== mutatedFor) {
        dropMutatedRenders();
        mutatedFor = mutant;
    }
    const key = JSON.stringify([stack, options.preview ?? false, options.config ?? null]);
    const clean = await unmutated.get(key);
    const reached = (render: ChildRender<RenderedStack>) => mutant !== undefined && render.coverage[mutant] !== undefined;
    let rendered: ChildRender<RenderedStack>;
    if (clean !== undefined && !reached(clean)) {
        rendered = clean;
    } else {
        let pending = mutated.get(key);
        if (pending === undefined) {
            pending = renderChild(stack, options);
            mutated.set(key, pending);
        }
        rendered = await pending;
        if (!reached(rendered)) {
            mutated.delete(key);
            unmutated.set(key, pending);
        }
    }
    creditCoverage(rendered.coverage);
    return rendered.value;
}

/** Forgets the renders of the previous mutant and removes their directories (a runner renders for many mutants). */
function dropMutatedRenders(): void {
    for (const pending of mutated.values()) {
        pending.then(({ value }) => fs.rmSync(value.dir, { recursive: true, force: true }), () => undefined);
    }
    mutated.clear();
}

/** Renders without the cache (determinism tests need two independent runs). */
export async function renderFresh(stack: string, options: RenderToTempOptions = {}): Promise<RenderedStack> {
    const { value, coverage } = await renderChild(stack, options);
    creditCoverage(coverage);
    return value;
}

async function renderChild(stack: string, options: RenderToTempOptions): Promise<ChildRender<RenderedStack>> {
    const dir = makeTempDir();
    const args = ["--stack", stack, "--out", dir];
    if (options.preview) {
        args.push("--preview");
    }
    if (options.config !== undefined) {
        args.push("--config-file", writeConfigFile(options.config));
    }
    const { value: result, coverage } = await runChild(args);
    if (result.code !== 0) {
        throw new Error(`render of ${stack} exited ${result.code}:\n${result.stderr}`);
    }
    return { value: { dir, stdout: result.stdout, stderr: result.stderr, ...readRender(dir) }, coverage };
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
