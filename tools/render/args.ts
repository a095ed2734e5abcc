export class UsageError extends Error {
    override name = "UsageError";
}

export interface CliArgs {
    stack: string;
    out: string;
    configFile?: string;
    preview: boolean;
    /** Program file relative to the project (the benchmark renders an empty one). */
    program?: string;
    help: boolean;
}

export const USAGE = `usage: npm run render -- --stack <dev|prod> --out <dir> [--config-file <yaml>] [--preview] [--program <file>]

  --stack <name>        stack to render; reads Pulumi.<name>.yaml
  --out <dir>           where resources.json, outputs.json and manifests/ are written
  --config-file <yaml>  a file in the format of Pulumi.<stack>.yaml, merged over the stack's config key by key
  --preview             run as \`pulumi preview\`: computed outputs stay unknown
  --program <file>      program to run instead of index.ts (relative to the repository root)
  --help                show this text`;

const VALUE_FLAGS = { "--stack": "stack", "--out": "out", "--config-file": "configFile", "--program": "program" } as const;
const BOOLEAN_FLAGS = { "--preview": "preview", "--help": "help" } as const;

export function parseArgs(argv: readonly string[]): CliArgs {
    const values: Partial<Record<(typeof VALUE_FLAGS)[keyof typeof VALUE_FLAGS], string>> = {};
    const flags = { preview: false, help: false };
    const seen = new Set<string>();
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i] as string;
        const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        if (seen.has(flag)) {
            throw new UsageError(`${flag} given twice`);
        }
        seen.add(flag);
        if (flag in VALUE_FLAGS) {
            const value = inline ?? argv[++i];
            if (value === undefined || value === "" || (inline === undefined && value.startsWith("--"))) {
                throw new UsageError(`${flag} needs a value`);
            }
            values[VALUE_FLAGS[flag as keyof typeof VALUE_FLAGS]] = value;
        } else if (flag in BOOLEAN_FLAGS && inline === undefined) {
            flags[BOOLEAN_FLAGS[flag as keyof typeof BOOLEAN_FLAGS]] = true;
        } else {
            throw new UsageError(`unknown argument: ${arg}`);
        }
    }
    if (flags.help) {
        return { stack: "", out: "", preview: false, help: true };
    }
    if (values.stack === undefined) {
        throw new UsageError("missing --stack <name>");
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(values.stack)) {
        throw new UsageError(`invalid stack name "${values.stack}"`);
    }
    if (values.out === undefined) {
        throw new UsageError("missing --out <dir>");
    }
    return { stack: values.stack, out: values.out, configFile: values.configFile, program: values.program, preview: flags.preview, help: false };
}
