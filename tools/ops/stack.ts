import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { OutputName, OutputValue } from "../../stacks/outputs";
import { ExitCode, OpsError } from "./errors";
import { Kube, KubeTarget } from "./kube";

/**
 * The stack `ops` works on: its outputs (stacks/outputs.ts) and a Kubernetes client for its cluster.
 *
 * Outputs come from `pulumi stack output --json --show-secrets --stack <name>` run in the repo: one CLI
 * call, the same the README tells operators to run. The Automation API would shell out to that same CLI
 * but first needs a workspace (project settings, `stack select`), which adds a process and ties `ops`
 * to the program's workspace options for nothing it uses.
 */

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The outputs `ops` reads; every one may be missing (older stacks, partial updates, a stack never deployed). */
export type OpsOutputs = { [K in OutputName]?: OutputValue<K> };

export interface StackSource {
    /** The Pulumi stack name (`--stack`); absent when every value comes from overrides. */
    stack?: string;
    /** A file holding what `pulumi stack output --json --show-secrets` printed (`--outputs`), instead of running Pulumi. */
    outputsFile?: string;
    /** Overrides: a kubeconfig file and a namespace, for clusters whose kubeconfig is not an output. */
    kubeconfigFile?: string;
    namespace?: string;
}

export interface PulumiRunner {
    cwd: string;
    env: NodeJS.ProcessEnv;
}

export interface OpsStack {
    /** What to call the stack in messages: its name, or the override that stood in for it. */
    label: string;
    outputs: OpsOutputs;
    kube: Kube;
}

export async function readStackOutputs(stack: string, runner: PulumiRunner): Promise<OpsOutputs> {
    const deploy = `deploy it with \`pulumi up --stack ${stack}\` (or pass --kubeconfig and --namespace)`;
    const { stdout, stderr, error } = await new Promise<{ stdout: string; stderr: string; error: (Error & { code?: unknown }) | null }>((resolve) => {
        execFile("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], { cwd: runner.cwd, env: runner.env, maxBuffer: 64 * 1024 * 1024 }, (failure, out, err) =>
            resolve({ stdout: String(out), stderr: String(err), error: failure }),
        );
    });
    if (error !== null) {
        if (error.code === "ENOENT") {
            throw new OpsError(ExitCode.NotFound, `the pulumi CLI is not on PATH: install it to read stack ${stack}'s outputs, or pass --kubeconfig and --namespace`);
        }
        const reason = stderr.trim().split("\n").filter(Boolean).pop() ?? error.message;
        if (/no stack named|stack .* not found|could not find stack/i.test(stderr)) {
            throw new OpsError(ExitCode.NotFound, `stack ${stack} does not exist (${reason}): create and ${deploy}`);
        }
        throw new OpsError(ExitCode.Failed, `pulumi stack output --stack ${stack} failed: ${reason}`);
    }
    const outputs = parseOutputs(stdout, `pulumi stack output --stack ${stack}`);
    if (Object.keys(outputs).length === 0) {
        throw new OpsError(ExitCode.NotFound, `stack ${stack} has no outputs: ${deploy}`);
    }
    return outputs;
}

export function parseOutputs(text: string, source: string): OpsOutputs {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new OpsError(ExitCode.Failed, `${source} did not print JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new OpsError(ExitCode.Failed, `${source} printed ${JSON.stringify(parsed)?.slice(0, 80)}, not an object of outputs`);
    }
    return parsed as OpsOutputs;
}

/** Resolves outputs and the cluster from `--stack`/`--outputs` and the overrides; nothing is contacted yet. */
export async function openStack(source: StackSource, runner: PulumiRunner): Promise<OpsStack> {
    let outputs: OpsOutputs = {};
    let label = source.stack ?? "(overrides)";
    if (source.outputsFile !== undefined) {
        let text: string;
        try {
            text = fs.readFileSync(source.outputsFile, "utf8");
        } catch (error) {
            throw new OpsError(ExitCode.NotFound, `--outputs ${source.outputsFile} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
        }
        outputs = parseOutputs(text, source.outputsFile);
        if (Object.keys(outputs).length === 0) {
            throw new OpsError(ExitCode.NotFound, `${source.outputsFile} holds no outputs: deploy the stack with \`pulumi up\` and write them again`);
        }
        label = source.stack ?? source.outputsFile;
    } else if (source.stack !== undefined && (source.kubeconfigFile === undefined || source.namespace === undefined)) {
        outputs = await readStackOutputs(source.stack, runner);
    } else if (source.stack !== undefined) {
        // Both overrides given: the outputs still tell `version` what the stack deployed, when they can be read.
        outputs = await readStackOutputs(source.stack, runner).catch(() => ({}));
    }
    const namespace = source.namespace ?? outputs.namespace;
    if (namespace === undefined || namespace === "") {
        throw new OpsError(ExitCode.NotFound, `stack ${label} has no namespace output: pass --namespace`);
    }
    const kubeconfig: KubeTarget["kubeconfig"] | undefined =
        source.kubeconfigFile !== undefined ? { file: source.kubeconfigFile } : outputs.kubeconfig !== undefined ? { yaml: outputs.kubeconfig } : undefined;
    if (kubeconfig === undefined) {
        throw new OpsError(ExitCode.NotFound, `stack ${label} has no kubeconfig output: pass --kubeconfig <file>`);
    }
    if ("file" in kubeconfig && !fs.existsSync(kubeconfig.file)) {
        throw new OpsError(ExitCode.NotFound, `--kubeconfig ${kubeconfig.file} does not exist`);
    }
    return { label, outputs, kube: new Kube({ kubeconfig, namespace }) };
}
