import { checkArgs, helpText, parseArgs } from "./args";
import { COMMANDS, OpsIo } from "./commands";
import { ExitCode, OpsError } from "./errors";
import { messageOf } from "./kube";
import { openStack, REPO_ROOT } from "./stack";

/** `npm run ops -- <command> --stack <name>`: operations on a deployed stack. Resolves with the exit code. */
export async function runOps(argv: readonly string[], io: OpsIo, now: () => Date = () => new Date()): Promise<number> {
    try {
        const args = parseArgs(argv);
        if (args.help || args.command === "" || args.command === "help") {
            io.stdout.write(helpText(Object.fromEntries(Object.entries(COMMANDS).map(([name, command]) => [name, command.spec]))));
            return args.command === "" && !args.help ? ExitCode.Usage : ExitCode.Ok;
        }
        const command = COMMANDS[args.command];
        if (command === undefined) {
            throw new OpsError(ExitCode.Usage, `unknown command "${args.command}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
        }
        checkArgs(args, command.spec);
        const stack = await openStack(
            { stack: args.stack, outputsFile: args.outputsFile, kubeconfigFile: args.kubeconfigFile, namespace: args.namespace },
            { cwd: io.cwd, env: io.env },
        );
        return await command.run({ args, stack, io, now });
    } catch (error) {
        const exitCode = error instanceof OpsError ? error.exitCode : ExitCode.Failed;
        io.stderr.write(`ops: ${messageOf(error)}\n`);
        return exitCode;
    }
}

if (require.main === module) {
    const io: OpsIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, interactive: process.stdin.isTTY === true, env: process.env, cwd: REPO_ROOT };
    runOps(process.argv.slice(2), io).then(
        (code) => {
            process.exitCode = code;
            // exec may have read stdin; an open stdin would keep the process alive after the command.
            process.stdin.destroy();
        },
        (error: unknown) => {
            process.stderr.write(`ops: ${messageOf(error)}\n`);
            process.exitCode = ExitCode.Failed;
        },
    );
}
