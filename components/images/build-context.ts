import ignore from "@balena/dockerignore";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** The three images the program builds, each from `apps/<name>/`. */
export const appNames = ["api", "frontend", "analyzer"] as const;
export type AppName = (typeof appNames)[number];

export interface BuildContext {
    name: AppName;
    /** Absolute path of the build context folder. */
    context: string;
    dockerfile: string;
    /**
     * sha256 over every file Docker would send (honouring .dockerignore), first 16 hex digits.
     * Used as the image tag, so an unchanged app previews as no-op and a changed one gets a new tag.
     */
    contentTag: string;
}

export class BuildContextError extends Error {
    override readonly name = "BuildContextError";
}

/** Checks the context and Dockerfile exist and hashes the context; throws naming the missing path. */
export function resolveBuildContext(appsDir: string, name: AppName): BuildContext {
    const context = path.resolve(appsDir, name);
    const dockerfile = path.join(context, "Dockerfile");
    if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) {
        throw new BuildContextError(`image "${name}": build context ${context} does not exist or is not a folder`);
    }
    if (!fs.existsSync(dockerfile)) {
        throw new BuildContextError(`image "${name}": Dockerfile ${dockerfile} does not exist`);
    }
    return { name, context, dockerfile, contentTag: hashContext(context) };
}

function hashContext(context: string): string {
    const ignoreFile = path.join(context, ".dockerignore");
    const rules = ignore().add(fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8").split(/\r?\n/) : []);
    const hash = createHash("sha256");
    // Docker always sends the Dockerfile and .dockerignore, even when they ignore themselves.
    const alwaysSent = new Set(["Dockerfile", ".dockerignore"]);
    for (const file of listFiles(context).filter((f) => alwaysSent.has(f) || !rules.ignores(f))) {
        hash.update(file).update("\0").update(fs.readFileSync(path.join(context, file))).update("\0");
    }
    return hash.digest("hex").slice(0, 16);
}

/** Relative POSIX paths of every file below `root`, sorted so the hash is stable across machines. */
function listFiles(root: string, dir = ""): string[] {
    const entries = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
    const files: string[] = [];
    for (const entry of entries) {
        const rel = dir ? `${dir}/${entry.name}` : entry.name;
        // node_modules is never part of a context we ship and can hold tens of thousands of files.
        if (entry.isDirectory() && entry.name !== "node_modules") files.push(...listFiles(root, rel));
        else if (entry.isFile()) files.push(rel);
    }
    return files.sort();
}
