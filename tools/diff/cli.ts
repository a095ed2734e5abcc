import * as path from "path";
import { renderMarkdown, StackReport } from "./markdown";
import { planStack } from "./plan";
import { checkoutBase, DiffInputError, RenderFailed, renderTree, resolveCommit, stacksAt, stacksIn } from "./trees";

const USAGE = `usage: npm run diff -- --base <git ref> [--stack <name>]... [--max-chars <n>]

  --base <ref>       commit to compare the working tree with (branch, tag, sha); rendered from a temporary git worktree
  --stack <name>     stack to compare (repeatable); default: every Pulumi.<stack>.yaml of either tree
  --max-chars <n>    longest Markdown printed with the per-object diffs (default 60000; GitHub caps comments at 65536)
  --help             show this text

Prints Markdown for a pull-request comment on stdout: "no changes" alone when nothing changes.
Exit codes: 0 printed, 1 a render failed (the Markdown says which and why), 2 usage error.`;

interface Args {
    base: string;
    stacks: string[];
    maxChars: number;
}

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

function parseArgs(argv: readonly string[]): Args | "help" {
    const args: Partial<Args> & { stacks: string[] } = { stacks: [], maxChars: 60000 };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        if (flag === "--help") return "help";
        const value = argv[i + 1];
        if (!["--base", "--stack", "--max-chars"].includes(flag)) throw new DiffInputError(`unknown argument ${flag}`);
        if (value === undefined || value.startsWith("--")) throw new DiffInputError(`${flag} needs a value`);
        i++;
        if (flag === "--base") args.base = value;
        else if (flag === "--stack") args.stacks.push(value);
        else if (!/^[1-9][0-9]*$/.test(value)) throw new DiffInputError(`--max-chars ${value}: expected a positive whole number`);
        else args.maxChars = Number(value);
    }
    if (args.base === undefined) throw new DiffInputError("--base <git ref> is required");
    return args as Args;
}

async function main(argv: readonly string[]): Promise<number> {
    const args = parseArgs(argv);
    if (args === "help") {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const log = (line: string): void => void process.stderr.write(`diff: ${line}\n`);
    const commit = await resolveCommit(PROJECT_DIR, args.base);
    const baseLabel = `\`${args.base}\` (${commit.slice(0, 7)})`;
    const known = [...new Set([...stacksIn(PROJECT_DIR), ...(await stacksAt(PROJECT_DIR, commit))])].sort();
    const stacks = args.stacks.length > 0 ? args.stacks : known;
    const unknown = stacks.filter((stack) => !known.includes(stack));
    if (unknown.length > 0) throw new DiffInputError(`--stack ${unknown.join(", ")}: no Pulumi.<stack>.yaml in either tree (have: ${known.join(", ")})`);

    const base = await checkoutBase(PROJECT_DIR, commit, log);
    try {
        const reports: StackReport[] = [];
        const failures: RenderFailed[] = [];
        for (const stack of stacks) {
            log(`rendering ${stack}: base ${commit.slice(0, 7)} and the working tree`);
            const [old, next] = await Promise.allSettled([renderTree(base.dir, `base ${args.base}`, stack), renderTree(PROJECT_DIR, "the working tree", stack)]);
            if (old.status === "fulfilled" && next.status === "fulfilled") {
                reports.push({ stack, plan: planStack(old.value, next.value) });
                continue;
            }
            for (const result of [old, next]) {
                if (result.status === "rejected") {
                    if (!(result.reason instanceof RenderFailed)) throw result.reason;
                    failures.push(result.reason);
                }
            }
        }
        if (failures.length > 0) {
            process.stdout.write(failureMarkdown(failures));
            return 1;
        }
        process.stdout.write(renderMarkdown(reports, { baseLabel, maxChars: args.maxChars }));
        return 0;
    } finally {
        await base.remove();
    }
}

/** A failed render is reported where the comment would be: which tree, which stack, and the render's own message. */
function failureMarkdown(failures: RenderFailed[]): string {
    return failures
        .map((failure) => {
            const lines = failure.stderr.trim().split("\n");
            const tail = lines.slice(-40).join("\n");
            return `### Stack \`${failure.stack}\`: ${failure.tree} does not render\n\n\`\`\`\n${tail}\n\`\`\`\n`;
        })
        .join("\n");
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
        if (error instanceof DiffInputError) {
            process.stderr.write(`diff: ${error.message}\n\n${USAGE}\n`);
            process.exit(2);
        }
        process.stderr.write(`diff: failed\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
    },
);
