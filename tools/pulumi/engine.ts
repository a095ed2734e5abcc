import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigMap, EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";

/**
 * Our program through the real Pulumi engine: the CLI and provider plugins built from Go modules
 * (`binaries.sh`), a local file backend and a passphrase secrets provider, all inside a temp dir.
 *
 * The program runs as an Automation API inline program: the Node.js language host is its own Go
 * module, which the module proxy does not serve, so the test process serves the language runtime
 * itself and the CLI connects to it. Everything after the program (engine, state, diffs, plugins,
 * policy packs) is what `pulumi up` runs.
 */

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const PROJECT = "nsip";
const PASSPHRASE = "nsip-engine-test";

/** `bash tools/pulumi/binaries.sh`: the binaries' directory, built on first use (minutes, cold). */
export function engineBinaries(): string {
    const script = path.join(__dirname, "binaries.sh");
    return execFileSync("bash", [script, "path"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** The plugin versions the binaries report, beside the npm SDK versions the program asks for. */
export function pluginVersions(binDir: string): { plugin: string; built: string; sdk: string }[] {
    const sdkVersion = (name: string) =>
        (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", name, "package.json"), "utf8")) as { version: string }).version;
    const schemaVersion = (name: string) => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-schema-"));
        try {
            const schema = execFileSync(path.join(binDir, "pulumi"), ["package", "get-schema", path.join(binDir, `pulumi-resource-${name}`)], {
                encoding: "utf8",
                maxBuffer: 256 * 1024 * 1024,
                env: isolatedEnv(binDir, home),
            });
            return (JSON.parse(schema) as { version: string }).version;
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
        }
    };
    const cli = execFileSync(path.join(binDir, "pulumi"), ["version"], { encoding: "utf8" }).trim().replace(/^v/, "");
    return [
        { plugin: "pulumi (CLI)", built: cli, sdk: sdkVersion("pulumi") },
        { plugin: "kubernetes", built: schemaVersion("kubernetes"), sdk: sdkVersion("kubernetes") },
        { plugin: "random", built: schemaVersion("random"), sdk: sdkVersion("random") },
    ];
}

/** Nothing reaches outside the test's directory: no ~/.pulumi, no update check, no plugin download. */
function isolatedEnv(binDir: string, home: string): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PATH: `${binDir}:${process.env["PATH"] ?? ""}`,
        PULUMI_HOME: path.join(home, "pulumi-home"),
        PULUMI_BACKEND_URL: `file://${path.join(home, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
}

export interface ResourceChange {
    op: string;
    type: string;
    name: string;
    /** Property paths the engine diffed, for updates and replacements. */
    diffs: string[];
    /** Properties that force a replacement. */
    replaces: string[];
}

export class EngineStack {
    private constructor(
        readonly stack: Stack,
        readonly home: string,
        private readonly env: NodeJS.ProcessEnv,
        private readonly binDir: string,
    ) {}

    /** A fresh stack of our program in a temp backend; `config` keys are set with `--path`. */
    static async create(binDir: string, stackName: string, config: ConfigMap): Promise<EngineStack> {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-engine-"));
        fs.mkdirSync(path.join(home, "state"), { recursive: true });
        const workDir = path.join(home, "project");
        fs.mkdirSync(workDir);
        const env = isolatedEnv(binDir, home);
        const pulumiCommand = await PulumiCommand.get({ root: path.dirname(binDir), skipVersionCheck: true });
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName, projectName: PROJECT, program: runProgram },
            {
                workDir,
                pulumiCommand,
                envVars: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
                projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: env["PULUMI_BACKEND_URL"] } },
                secretsProvider: "passphrase",
            },
        );
        await stack.setAllConfig(config, true);
        return new EngineStack(stack, home, env, binDir);
    }

    /** Every operation's CLI output, appended to `<home>/engine.log` (kept when a test fails). */
    readonly output = {
        onOutput: (text: string) => fs.appendFileSync(path.join(this.home, "engine.log"), text),
    };

    logTail(lines = 40): string {
        const file = path.join(this.home, "engine.log");
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "";
    }

    /** The stack's state file as the file backend wrote it. */
    stateText(): string {
        const file = path.join(this.home, "state", ".pulumi", "stacks", PROJECT, `${this.stack.name}.json`);
        return fs.readFileSync(file, "utf8");
    }

    /** Runs the CLI against this stack's backend, for what the Automation API has no call for. */
    cli(args: string[]): string {
        return execFileSync(path.join(this.binDir, "pulumi"), [...args, "--stack", this.stack.name, "--non-interactive"], {
            cwd: path.join(this.home, "project"),
            env: this.env,
            encoding: "utf8",
        });
    }

    remove(): void {
        fs.rmSync(this.home, { recursive: true, force: true });
    }
}

/** Collects what a preview or update would do to each resource, from the engine's events. */
export function changeRecorder(): { onEvent: (event: EngineEvent) => void; changes: ResourceChange[] } {
    const changes: ResourceChange[] = [];
    const onEvent = (event: EngineEvent) => {
        const metadata = event.resourcePreEvent?.metadata;
        if (metadata === undefined || metadata.op === "same" || metadata.type === "pulumi:pulumi:Stack") {
            return;
        }
        changes.push({
            op: metadata.op,
            type: metadata.type,
            name: metadata.urn.split("::").pop() ?? metadata.urn,
            diffs: [...(metadata.diffs ?? [])].sort(),
            replaces: [...(metadata.keys ?? [])].sort(),
        });
    };
    return { onEvent, changes };
}

/** The program exactly as the Node.js language host would load it: index.ts's exported function. */
async function runProgram(): Promise<Record<string, unknown>> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded: unknown = require(path.join(REPO_ROOT, "index.ts"));
    const program = typeof loaded === "function" ? loaded : (loaded as { default?: unknown }).default;
    if (typeof program !== "function") {
        throw new Error("index.ts must export the program as a function");
    }
    return (await program()) as Record<string, unknown>;
}
