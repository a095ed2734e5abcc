import { Readable, Writable } from "stream";
import { CommandSpec, OpsArgs } from "./args";
import { backup, backups, backupsTable } from "./backups";
import { ExitCode, OpsError } from "./errors";
import { listSafetyDumps, restore, terminalConfirm } from "./restore";
import { health } from "./health";
import { status } from "./status";
import { version } from "./version";
import { OpsStack } from "./stack";
import { Workload } from "./kube";

/** What a command gets: its parsed line, the stack (outputs + Kubernetes client) and the process' streams. */
export interface OpsContext {
    args: OpsArgs;
    stack: OpsStack;
    io: OpsIo;
    now: () => Date;
}

export interface OpsIo {
    stdout: Writable;
    stderr: Writable;
    stdin: Readable;
    /** Whether stdin is a terminal: exec then asks for a TTY, like `kubectl exec -it`. */
    interactive: boolean;
    env: NodeJS.ProcessEnv;
    /** Where `pulumi stack output` runs (the repo root). */
    cwd: string;
}

export interface OpsCommand {
    spec: CommandSpec;
    /** Resolves with the exit code; failures throw OpsError. */
    run(context: OpsContext): Promise<number>;
}

/**
 * The command table: `ops <name>` runs COMMANDS[name]. One entry per command, in the order `--help` lists them.
 */
export const COMMANDS: Record<string, OpsCommand> = {
    status: {
        spec: { usage: "status", summary: "rollouts, ready/desired per workload, HPAs, PVC usage, last backup and its age (exit 5 if not ready)", service: "none", options: [] },
        run: status,
    },
    health: {
        spec: {
            usage: "health [--timeout 5m]",
            summary: "each service's readiness and an in-cluster probe of its health endpoint (a Job from the health-probe template; exit 5 if unhealthy)",
            service: "none",
            options: ["--timeout"],
        },
        run: health,
    },
    logs: {
        spec: { usage: "logs <service> [-f] [--since 1h] [--tail N]", summary: "a running pod's logs (the service's main container unless --container)", service: "required", options: ["--follow", "--since", "--tail", "--container"] },
        run: logs,
    },
    backup: {
        spec: { usage: "backup [--no-wait] [--timeout 30m]", summary: "run a backup now: a Job from the postgres-backup CronJob, waited for", service: "none", options: ["--no-wait", "--timeout"] },
        run: backup,
    },
    backups: {
        spec: { usage: "backups [--safety] [--timeout 30m]", summary: "list the backups (name, size, age) as their manifests describe them; --safety: the restores' safety dumps", service: "none", options: ["--safety", "--timeout"] },
        run: (context) => (context.args.safety ? safetyDumps(context) : backups(context)),
    },
    restore: {
        spec: {
            usage: "restore [--safety] [--from <backup> | --latest] [--yes]",
            summary: "restore a backup (or with --safety a restore's safety dump: an undo) in the cluster: plan, confirm, stop the api, safety dump, restore, migrations, verify, api back (exit 10-15)",
            service: "none",
            options: ["--safety", "--from", "--latest", "--yes"],
        },
        run: restoreCommand,
    },
    exec: {
        spec: { usage: "exec <service> [-- command...]", summary: "run a command in a running pod (psql for postgres, redis-cli for redis, sh otherwise)", service: "required", options: ["--container"], allowsRest: true },
        run: exec,
    },
    restart: {
        spec: { usage: "restart <service>", summary: "rolling restart (sets kubectl.kubernetes.io/restartedAt on the pod template)", service: "required", options: [] },
        run: restart,
    },
    version: {
        spec: { usage: "version", summary: "deployed images and versions vs the stack's imageDigests output (exit 6 on drift)", service: "none", options: [] },
        run: version,
    },
};

/** The container commands run in unless --container says otherwise: the one named like the workload, else the first. */
export function mainContainer(workload: Workload, requested?: string): string {
    const containers = workload.object.spec?.template.spec?.containers ?? [];
    if (requested !== undefined) {
        if (!containers.some((container) => container.name === requested)) {
            throw new OpsError(ExitCode.NotFound, `${workload.kind}/${workload.name} has no container "${requested}"; its containers: ${containers.map((c) => c.name).join(", ")}`);
        }
        return requested;
    }
    const container = containers.find((candidate) => candidate.name === workload.name) ?? containers[0];
    if (container === undefined) {
        throw new OpsError(ExitCode.NotFound, `${workload.kind}/${workload.name} has no containers`);
    }
    return container.name;
}

/** Data services open their client; everything else a shell. Credentials come from the container's own env. */
export function defaultExecCommand(service: string): string[] {
    switch (service) {
        case "postgres":
            return ["sh", "-c", 'exec psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'];
        case "redis":
            return ["sh", "-c", 'REDISCLI_AUTH="$REDIS_PASSWORD" exec redis-cli -h 127.0.0.1'];
        default:
            return ["sh"];
    }
}

async function logs(context: OpsContext): Promise<number> {
    const { kube } = context.stack;
    const workload = await kube.workload(context.args.positional[0] ?? "");
    const container = mainContainer(workload, context.args.container);
    const pod = await kube.runningPod(workload);
    await kube.logs(
        { pod: pod.metadata?.name ?? "", container, follow: context.args.follow, sinceSeconds: context.args.sinceSeconds, tailLines: context.args.tailLines },
        context.io.stdout,
    );
    return ExitCode.Ok;
}

async function exec(context: OpsContext): Promise<number> {
    const { kube } = context.stack;
    const service = context.args.positional[0] ?? "";
    const workload = await kube.workload(service);
    const container = mainContainer(workload, context.args.container);
    const pod = await kube.runningPod(workload);
    const command = context.args.rest.length > 0 ? context.args.rest : defaultExecCommand(service);
    // A shell or psql on a terminal needs its keys as typed (Ctrl-C to the remote side, not to ops).
    const terminal = context.io.interactive && "setRawMode" in context.io.stdin ? (context.io.stdin as NodeJS.ReadStream) : undefined;
    terminal?.setRawMode(true);
    const result = await kube.exec({
        pod: pod.metadata?.name ?? "",
        container,
        command,
        stdin: context.io.interactive || context.args.rest.length === 0 ? context.io.stdin : null,
        stdout: context.io.stdout,
        stderr: context.io.stderr,
        tty: context.io.interactive,
    }).finally(() => terminal?.setRawMode(false));
    if (result.exitCode !== 0 && result.message !== undefined) {
        context.io.stderr.write(`ops exec: ${result.message}\n`);
    }
    return result.exitCode;
}

/** What `kubectl rollout restart` does: a new pod-template annotation, so the controller rolls every pod. */
export function restartPatch(at: Date): object {
    return { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": at.toISOString() } } } } };
}

async function restart(context: OpsContext): Promise<number> {
    const { kube } = context.stack;
    const workload = await kube.workload(context.args.positional[0] ?? "");
    const at = context.now();
    await kube.patchWorkload(workload, restartPatch(at));
    context.io.stdout.write(`${workload.kind}/${workload.name} restarting (kubectl.kubernetes.io/restartedAt=${at.toISOString()}); follow it with: npm run ops -- status --stack ${context.stack.label}\n`);
    return ExitCode.Ok;
}

/** `restore`: the named backup, or the newest (--latest, the default); the prompt only on a terminal (else --yes). */
async function restoreCommand(context: OpsContext): Promise<number> {
    const { args, io } = context;
    if (args.from !== undefined && args.latest) {
        throw new OpsError(ExitCode.Usage, "ops restore takes --from <backup> or --latest, not both");
    }
    await restore(context.stack.kube, {
        from: args.from,
        source: args.safety ? "safety" : "backups",
        yes: args.yes,
        confirm: io.interactive ? terminalConfirm(io.stdin, io.stdout) : undefined,
        out: (line) => io.stdout.write(`${line}\n`),
    });
    return ExitCode.Ok;
}

async function safetyDumps(context: OpsContext): Promise<number> {
    const entries = await listSafetyDumps(context.stack.kube, context.args.timeoutSeconds);
    context.io.stdout.write(entries.length === 0 ? "no safety dumps yet: a restore takes one before it replaces the database\n" : backupsTable(entries, context.now()));
    return ExitCode.Ok;
}
