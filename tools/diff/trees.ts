import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import type { RenderFiles } from "./plan";

const run = promisify(execFile);

export class DiffInputError extends Error {
    override name = "DiffInputError";
}

/** A render that exited non-zero: its stderr names the problem (e.g. the invalid config keys). */
export class RenderFailed extends Error {
    override name = "RenderFailed";
    constructor(
        readonly tree: string,
        readonly stack: string,
        readonly stderr: string,
    ) {
        super(`the render of stack ${stack} in ${tree} failed`);
    }
}

export interface BaseCheckout {
    dir: string;
    commit: string;
    remove(): Promise<void>;
}

/** The commit a ref names, or a DiffInputError naming the ref. */
export async function resolveCommit(repoDir: string, ref: string): Promise<string> {
    try {
        const { stdout } = await run("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: repoDir });
        return stdout.trim();
    } catch {
        throw new DiffInputError(`--base ${ref}: not a commit in ${repoDir} (a branch, tag or commit; fetch it first in a shallow clone)`);
    }
}

/**
 * Checks the base commit out into a temporary git worktree (detached, so no branch is touched) and gives it
 * dependencies: the working tree's node_modules when both lockfiles agree, else its own `npm ci`.
 */
export async function checkoutBase(repoDir: string, commit: string, log: (line: string) => void): Promise<BaseCheckout> {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-diff-base-"));
    const dir = path.join(parent, "tree");
    await run("git", ["worktree", "add", "--detach", "--quiet", dir, commit], { cwd: repoDir });
    const remove = async (): Promise<void> => {
        await run("git", ["worktree", "remove", "--force", dir], { cwd: repoDir }).catch(() => undefined);
        fs.rmSync(parent, { recursive: true, force: true });
    };
    try {
        if (sameFile(path.join(repoDir, "package-lock.json"), path.join(dir, "package-lock.json")) && fs.existsSync(path.join(repoDir, "node_modules"))) {
            fs.symlinkSync(path.join(repoDir, "node_modules"), path.join(dir, "node_modules"), "dir");
        } else {
            log(`base ${commit.slice(0, 12)} has other dependencies: npm ci in its worktree`);
            await run("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
        }
    } catch (error) {
        await remove();
        throw error;
    }
    return { dir, commit, remove };
}

/** The stacks a project directory defines (`Pulumi.<stack>.yaml`). */
export function stacksIn(projectDir: string): string[] {
    return stackNames(fs.readdirSync(projectDir));
}

/** The stacks a commit defines, read from its tree without checking it out. */
export async function stacksAt(repoDir: string, commit: string): Promise<string[]> {
    const { stdout } = await run("git", ["ls-tree", "--name-only", commit], { cwd: repoDir });
    return stackNames(stdout.split("\n"));
}

function stackNames(files: string[]): string[] {
    return files
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

/**
 * Renders one stack of a tree with that tree's own offline render (`tools/render/cli.ts`, its own node_modules),
 * so each side is exactly what `npm run render` gives at that commit. A tree without the stack renders empty.
 */
export async function renderTree(treeDir: string, label: string, stack: string): Promise<RenderFiles> {
    if (!fs.existsSync(path.join(treeDir, `Pulumi.${stack}.yaml`))) return { resources: [], outputs: {} };
    const cli = path.join(treeDir, "tools", "render", "cli.ts");
    if (!fs.existsSync(cli)) throw new DiffInputError(`${label} has no offline render (tools/render/cli.ts): it cannot be compared`);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-diff-render-"));
    try {
        const tsx = path.join(treeDir, "node_modules", ".bin", "tsx");
        await run(tsx, [cli, "--stack", stack, "--out", out], { cwd: treeDir, maxBuffer: 64 * 1024 * 1024 }).catch((error: { stderr?: string }) => {
            throw new RenderFailed(label, stack, error.stderr ?? String(error));
        });
        return {
            resources: JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as RenderFiles["resources"],
            outputs: JSON.parse(fs.readFileSync(path.join(out, "outputs.json"), "utf8")) as RenderFiles["outputs"],
        };
    } finally {
        fs.rmSync(out, { recursive: true, force: true });
    }
}

function sameFile(a: string, b: string): boolean {
    return fs.existsSync(a) && fs.existsSync(b) && fs.readFileSync(a).equals(fs.readFileSync(b));
}
