import { EXIT_CODE_HELP, ExitCode, OpsError } from "./errors";

/** `ops` command lines, parsed without side effects so every usage error is reported before the cluster is contacted. */

export interface OpsArgs {
    command: string;
    /** Positional arguments after the command (a service name for logs, exec, restart). */
    positional: string[];
    /** What follows `--` (exec's command). */
    rest: string[];
    stack?: string;
    outputsFile?: string;
    kubeconfigFile?: string;
    namespace?: string;
    follow: boolean;
    sinceSeconds?: number;
    tailLines?: number;
    container?: string;
    /** backup: wait for the Job to finish (default) or return once it is created. */
    wait: boolean;
    timeoutSeconds: number;
    yes: boolean;
    /** restore: the backup to restore (its name); without it (or with --latest) the newest complete one. */
    from?: string;
    latest: boolean;
    /** restore, backups: the safety dumps earlier restores took instead of the backups (the undo of a restore). */
    safety: boolean;
    help: boolean;
}

const VALUE_OPTIONS = ["--stack", "--outputs", "--kubeconfig", "--namespace", "--since", "--tail", "--container", "--timeout", "--from"] as const;
const FLAG_OPTIONS = ["--follow", "-f", "--no-wait", "--yes", "--latest", "--safety", "--help", "-h"] as const;

export const DEFAULT_TIMEOUT_SECONDS = 1800;

export function parseArgs(argv: readonly string[]): OpsArgs {
    const args: OpsArgs = { command: "", positional: [], rest: [], follow: false, wait: true, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, yes: false, latest: false, safety: false, help: false };
    for (let index = 0; index < argv.length; index++) {
        const arg = argv[index] ?? "";
        if (arg === "--") {
            args.rest = argv.slice(index + 1);
            break;
        }
        const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        if ((VALUE_OPTIONS as readonly string[]).includes(name)) {
            const value = inline ?? argv[++index];
            if (value === undefined || value === "" || (inline === undefined && value.startsWith("--"))) {
                throw new OpsError(ExitCode.Usage, `${name} needs a value`);
            }
            setValue(args, name as (typeof VALUE_OPTIONS)[number], value);
        } else if ((FLAG_OPTIONS as readonly string[]).includes(name)) {
            if (inline !== undefined) {
                throw new OpsError(ExitCode.Usage, `${name} takes no value`);
            }
            if (name === "--follow" || name === "-f") args.follow = true;
            else if (name === "--no-wait") args.wait = false;
            else if (name === "--yes") args.yes = true;
            else if (name === "--latest") args.latest = true;
            else if (name === "--safety") args.safety = true;
            else args.help = true;
        } else if (arg.startsWith("-") && arg !== "-") {
            throw new OpsError(ExitCode.Usage, `unknown option ${name}; see ops --help`);
        } else if (args.command === "") {
            args.command = arg;
        } else {
            args.positional.push(arg);
        }
    }
    return args;
}

function setValue(args: OpsArgs, name: (typeof VALUE_OPTIONS)[number], value: string): void {
    switch (name) {
        case "--stack":
            args.stack = value;
            return;
        case "--outputs":
            args.outputsFile = value;
            return;
        case "--kubeconfig":
            args.kubeconfigFile = value;
            return;
        case "--namespace":
            args.namespace = value;
            return;
        case "--container":
            args.container = value;
            return;
        case "--from":
            args.from = value;
            return;
        case "--since":
            args.sinceSeconds = parseDuration(value, "--since");
            return;
        case "--timeout":
            args.timeoutSeconds = parseDuration(value, "--timeout");
            return;
        case "--tail": {
            const lines = Number(value);
            if (!Number.isInteger(lines) || lines < 0) {
                throw new OpsError(ExitCode.Usage, `--tail expects a whole number of lines, got "${value}"`);
            }
            args.tailLines = lines;
            return;
        }
    }
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "15m", "2h", "1h30m", "7d" -> seconds (kubectl's --since units plus days). */
export function parseDuration(text: string, option: string): number {
    const parts = [...text.matchAll(/(\d+)([smhd])/g)];
    if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) {
        throw new OpsError(ExitCode.Usage, `${option} expects a duration like 90s, 15m, 2h, 1h30m or 7d, got "${text}"`);
    }
    const seconds = parts.reduce((sum, part) => sum + Number(part[1]) * (UNIT_SECONDS[part[2] ?? "s"] ?? 1), 0);
    if (seconds <= 0) {
        throw new OpsError(ExitCode.Usage, `${option} must be longer than zero, got "${text}"`);
    }
    return seconds;
}

/** What each command accepts: positional service name (required/optional) and the options that mean something to it. */
export interface CommandSpec {
    summary: string;
    usage: string;
    service: "required" | "none";
    options: readonly string[];
    allowsRest?: boolean;
}

/** Validates the parsed line against the command's spec: a clear usage error before anything is contacted. */
export function checkArgs(args: OpsArgs, spec: CommandSpec): void {
    const expected = spec.service === "required" ? 1 : 0;
    if (args.positional.length < expected) {
        throw new OpsError(ExitCode.Usage, `ops ${args.command} needs a service name: ${spec.usage}`);
    }
    if (args.positional.length > expected) {
        throw new OpsError(ExitCode.Usage, `ops ${args.command} takes ${expected === 0 ? "no arguments" : "one service name"}, got: ${args.positional.join(" ")} (${spec.usage})`);
    }
    if (args.rest.length > 0 && spec.allowsRest !== true) {
        throw new OpsError(ExitCode.Usage, `ops ${args.command} takes no command after --`);
    }
    const given: [string, boolean][] = [
        ["--follow", args.follow],
        ["--since", args.sinceSeconds !== undefined],
        ["--tail", args.tailLines !== undefined],
        ["--container", args.container !== undefined],
        ["--no-wait", !args.wait],
        ["--timeout", args.timeoutSeconds !== DEFAULT_TIMEOUT_SECONDS],
        ["--yes", args.yes],
        ["--from", args.from !== undefined],
        ["--latest", args.latest],
        ["--safety", args.safety],
    ];
    const misplaced = given.filter(([option, set]) => set && !spec.options.includes(option)).map(([option]) => option);
    if (misplaced.length > 0) {
        throw new OpsError(ExitCode.Usage, `ops ${args.command} does not take ${misplaced.join(", ")} (${spec.usage})`);
    }
    if (args.stack === undefined && args.outputsFile === undefined && (args.kubeconfigFile === undefined || args.namespace === undefined)) {
        throw new OpsError(ExitCode.Usage, `ops ${args.command} needs --stack <name> (or --outputs <file>, or both --kubeconfig and --namespace)`);
    }
}

export function helpText(commands: Record<string, CommandSpec>): string {
    const width = Math.max(...Object.values(commands).map((spec) => spec.usage.length));
    const lines = Object.values(commands).map((spec) => `  ${spec.usage.padEnd(width)}  ${spec.summary}`);
    return [
        "usage: npm run ops -- <command> [arguments] --stack <name> [options]",
        "",
        "commands:",
        ...lines,
        "",
        "where the stack is:",
        "  --stack <name>        read its outputs (namespace, kubeconfig, imageDigests) with `pulumi stack output --json --show-secrets`",
        "  --outputs <file>      read them from a file that command wrote instead of running Pulumi",
        "  --kubeconfig <file>   use this kubeconfig instead of the kubeconfig output",
        "  --namespace <name>    use this namespace instead of the namespace output",
        "",
        "options:",
        "  -f, --follow          logs: keep streaming",
        "  --since <duration>    logs: only newer lines (90s, 15m, 2h, 1h30m, 7d)",
        "  --tail <lines>        logs: only the last lines",
        "  --container <name>    logs, exec: the container (default: the service's main container)",
        "  --no-wait             backup: return once the Job is created",
        "  --timeout <duration>  backup: how long to wait for the Job (default 30m)",
        "  --from <backup>       restore: the backup to restore (a name from `ops backups`)",
        "  --latest              restore: the newest complete backup (the default)",
        "  --safety              restore, backups: the safety dumps restores took (claim postgres-restore-safety);",
        "                        `restore --safety --from <dump>` undoes the restore that took it",
        "  --yes                 restore: do not ask (required without a terminal)",
        "",
        "exit codes:",
        ...EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padEnd(3)} ${text}`),
        "  exec exits with the remote command's own status once the command has started.",
        "",
    ].join("\n");
}
