import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readProject, resolveConfig } from "./config";
import { buildManifests, Manifest } from "./manifests";
import { createMocks } from "./mocks";
import { OutputRecord, Recorder, ResourceRecord } from "./recorder";

export interface RenderOptions {
    stack: string;
    /** A file in the format of Pulumi.<stack>.yaml, merged over the stack's config key by key. */
    configFile?: string;
    /** Applied after configFile, key by key (`{ "nsip:namespace": "nsip-review" }`; `{ secure: "..." }` becomes a placeholder). */
    configOverrides?: Record<string, unknown>;
    /** Run as `pulumi preview`: computed outputs stay unknown. */
    preview?: boolean;
    /** Directory holding Pulumi.yaml and the stack files (default: the repository root). */
    projectDir?: string;
    /** Program file, relative to projectDir (default: index.ts). */
    program?: string;
}

export interface RenderResult {
    stack: string;
    preview: boolean;
    resources: ResourceRecord[];
    outputs: Record<string, OutputRecord>;
    manifests: Manifest[];
}

type Program = () => Promise<Record<string, unknown>>;

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** Pulumi's local backends use this organization name; the SDK needs one under mocks. */
const ORGANIZATION = "organization";

/**
 * Runs the program under mocks the way `pulumi up` (or `preview`) would run it, and returns what it declared.
 * The Pulumi runtime is process-global: renders run one at a time (calls are serialized), and a render
 * replaces any mocks/config a caller had installed.
 */
export function renderStack(options: RenderOptions): Promise<RenderResult> {
    const run = queue.then(() => renderOnce(options));
    queue = run.catch(() => undefined);
    return run;
}

let queue: Promise<unknown> = Promise.resolve();

async function renderOnce(options: RenderOptions): Promise<RenderResult> {
    const projectDir = path.resolve(options.projectDir ?? REPO_ROOT);
    const project = readProject(projectDir);
    const config = resolveConfig(project, { stack: options.stack, configFile: options.configFile, overrides: options.configOverrides });
    const preview = options.preview ?? false;

    await pulumi.runtime.setMocks(createMocks({ projectDir }), project.name, options.stack, preview, ORGANIZATION);
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    const recorder = Recorder.attach({ projectDir });
    const program = loadProgram(path.resolve(projectDir, options.program ?? "index.ts"));

    await failOnUnhandledRejection(async () => {
        try {
            await pulumi.runtime.runInPulumiStack(program);
        } finally {
            // Drains outstanding registrations (the stack outputs among them) and stops the transform callback server.
            await pulumi.runtime.disconnect();
        }
    });
    const resources = recorder.resources();
    return { stack: options.stack, preview, resources, outputs: recorder.outputs(), manifests: buildManifests(resources) };
}

function loadProgram(file: string): Program {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded: unknown = require(file);
    const candidate = typeof loaded === "function" ? loaded : (loaded as { default?: unknown } | null)?.default;
    if (typeof candidate !== "function") {
        throw new Error(`${file} must export the program as a function (export = async function ...)`);
    }
    return candidate as Program;
}

/**
 * A failing apply or resource registration surfaces as an unhandled rejection, not as a rejection of the
 * stack's outputs; the Pulumi language host turns those into a failed update, and so does the render.
 * The SDK also leaves extra rejected promises behind for an error it already reported (the stack's own
 * outputs): those are swallowed, anything else keeps Node's default (crash).
 */
async function failOnUnhandledRejection<T>(run: () => Promise<T>): Promise<T> {
    if (!process.listeners("unhandledRejection").includes(onUnhandledRejection)) {
        process.on("unhandledRejection", onUnhandledRejection);
    }
    const failed = new Promise<never>((_, reject) => {
        failActiveRender = reject;
    });
    try {
        return await Promise.race([run(), failed]);
    } catch (error) {
        if (typeof error === "object" && error !== null) {
            reportedErrors.add(error);
        }
        throw error;
    } finally {
        failActiveRender = undefined;
    }
}

const reportedErrors = new WeakSet<object>();
let failActiveRender: ((reason: unknown) => void) | undefined;

function onUnhandledRejection(reason: unknown): void {
    if (typeof reason === "object" && reason !== null && reportedErrors.has(reason)) {
        return;
    }
    if (failActiveRender === undefined) {
        throw reason;
    }
    failActiveRender(reason);
}
