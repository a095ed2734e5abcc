import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { promisify } from "util";

/**
 * Median wall time of `npm run render` for dev and prod, each run a fresh process exactly as a user starts
 * it, beside the same command rendering a program that registers nothing (the fixed cost: npm, Node, tsx,
 * the Pulumi SDK, reading config, writing files).
 */

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const RUNS = 5;
const TARGET_SECONDS = 3;
const run = promisify(execFile);

interface Case {
    label: string;
    args: string[];
}

const CASES: Case[] = [
    { label: "empty program (dev config)", args: ["--stack", "dev", "--program", "tools/bench/render-empty-program.ts"] },
    { label: "dev", args: ["--stack", "dev"] },
    { label: "prod", args: ["--stack", "prod"] },
];

interface Measurement {
    label: string;
    seconds: number[];
    resources: number;
}

async function renderOnce(args: string[], outDir: string): Promise<{ seconds: number; resources: number }> {
    const started = performance.now();
    const { stdout } = await run("npm", ["run", "--silent", "render", "--", ...args, "--out", outDir], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    const seconds = (performance.now() - started) / 1000;
    const resources = Number(/: (\d+) resources/.exec(stdout)?.[1] ?? NaN);
    return { seconds, resources };
}

async function measure(benchCase: Case, outDir: string): Promise<Measurement> {
    await renderOnce(benchCase.args, outDir); // warm-up: tsx's transpile cache and the OS file cache
    const seconds: number[] = [];
    let resources = NaN;
    for (let i = 0; i < RUNS; i++) {
        const result = await renderOnce(benchCase.args, outDir);
        seconds.push(result.seconds);
        resources = result.resources;
    }
    return { label: benchCase.label, seconds, resources };
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function table(measurements: Measurement[]): string {
    const header = ["render", "resources", "median", "min", "max"];
    const rows = measurements.map((m) => [
        m.label,
        String(m.resources),
        `${median(m.seconds).toFixed(2)} s`,
        `${Math.min(...m.seconds).toFixed(2)} s`,
        `${Math.max(...m.seconds).toFixed(2)} s`,
    ]);
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
    const format = (cells: string[]): string => `| ${cells.map((cell, column) => cell.padEnd(widths[column] as number)).join(" | ")} |`;
    return [format(header), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...rows.map(format)].join("\n");
}

async function main(): Promise<number> {
    const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-render-bench-"));
    try {
        const measurements: Measurement[] = [];
        for (const benchCase of CASES) {
            measurements.push(await measure(benchCase, path.join(outRoot, benchCase.label.replace(/\W+/g, "-"))));
        }
        const prod = median(measurements.find((m) => m.label === "prod")?.seconds ?? [NaN]);
        const cpu = os.cpus()[0]?.model ?? "unknown CPU";
        process.stdout.write(
            `npm run render: median wall time of ${RUNS} runs, each a fresh process (after one warm-up run)\n` +
                `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} x ${cpu}\n\n` +
                `${table(measurements)}\n\n` +
                `prod render under ${TARGET_SECONDS} s: ${prod < TARGET_SECONDS ? "yes" : "NO"} (median ${prod.toFixed(2)} s)\n`,
        );
        return prod < TARGET_SECONDS ? 0 : 1;
    } finally {
        fs.rmSync(outRoot, { recursive: true, force: true });
    }
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        process.stderr.write(`render-bench: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    },
);
