import * as path from "path";
import { parseArgs, USAGE, UsageError } from "./args";
import { RenderInputError } from "./config";
import { renderStack } from "./render";
import { summaryTree } from "./tree";
import { writeRender } from "./write";

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

async function main(argv: readonly string[]): Promise<number> {
    const args = parseArgs(argv);
    if (args.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    // `npm run` starts scripts in the package root; paths on the command line are meant from where the user stands.
    const userDir = process.env["INIT_CWD"] ?? process.cwd();
    const outDir = path.resolve(userDir, args.out);
    const result = await renderStack({
        stack: args.stack,
        configFile: args.configFile === undefined ? undefined : path.resolve(userDir, args.configFile),
        preview: args.preview,
        program: args.program,
    });
    writeRender(outDir, result);
    const mode = result.preview ? "preview" : "up";
    process.stdout.write(
        `Rendered stack ${result.stack} (${mode}): ${result.resources.length} resources, ` +
            `${result.manifests.length} Kubernetes manifests, ${Object.keys(result.outputs).length} outputs -> ${outDir}\n\n` +
            `${summaryTree(result.resources)}\n`,
    );
    return 0;
}

function report(error: unknown): number {
    if (error instanceof UsageError || error instanceof RenderInputError) {
        process.stderr.write(`render: ${error.message}\n\n${USAGE}\n`);
        return EXIT_USAGE;
    }
    if (error instanceof Error && error.name === "NsipConfigError") {
        process.stderr.write(`render: invalid stack config, nothing rendered\n${error.message}\n`);
        return EXIT_FAILED;
    }
    process.stderr.write(`render: failed, nothing rendered\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILED;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => process.exit(report(error)),
);
