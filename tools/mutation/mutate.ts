import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

import { CONFIG, MUTATION_GROUPS, NOT_MEASURABLE, REPO_ROOT, scopeFiles } from "./groups";

/**
 * `npm run mutate [-- [<file>...] [--spec <test file>...] [--whole-suite] [--with-static] [<stryker run options>]]`.
 * Without files: the full run, one narrowed Stryker run per group of tools/mutation/groups.ts (each part of the scope
 * with the in-process tests that cover it), then one per-file table. With files, or with `--whole-suite`: one Stryker
 * run over those files (or the whole scope); `--spec` runs only the named test files (repeatable) instead of the
 * whole suite. Every table scores each file against the 90% bar and lists the mutants disabled in the code.
 * `--incremental` reuses each run's incremental file (gitignored). Static mutants (module-level code, run while
 * modules load) are ignored unless `--with-static`: each needs a fresh runner and every test.
 */

const REPORTS = path.join(REPO_ROOT, "reports", "mutation");
const STRYKER = path.join(REPO_ROOT, "node_modules", ".bin", "stryker");
const MIN_SCORE = 90;
const DISABLE_COMMENT = /\/\/\s*Stryker disable\b.*$/;

interface MutantResult {
    status: "Killed" | "Survived" | "NoCoverage" | "Timeout" | "CompileError" | "RuntimeError" | "Ignored" | "Pending";
    statusReason?: string;
}
interface Report {
    files: Record<string, { mutants: MutantResult[] }>;
}

/** Every `// Stryker disable ...: reason` in the scope, as `file:line: comment`. */
function exclusions(): string[] {
    return scopeFiles().flatMap((file) =>
        fs
            .readFileSync(path.join(REPO_ROOT, file), "utf8")
            .split("\n")
            .flatMap((line, i) => {
                const match = DISABLE_COMMENT.exec(line);
                return match ? [`${file}:${i + 1}: ${match[0].trim()}`] : [];
            }),
    );
}

/** Mutation score as Stryker computes it: detected / (detected + undetected); compile and runtime errors do not count. */
function score(mutants: MutantResult[]): { score: number; valid: number; staticIgnored: number; disabled: number } {
    const detected = mutants.filter((m) => m.status === "Killed" || m.status === "Timeout").length;
    const undetected = mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage").length;
    const valid = detected + undetected;
    const ignored = mutants.filter((m) => m.status === "Ignored");
    // Stryker's reason for a static mutant under ignoreStatic; every other ignored mutant is disabled in the code.
    const staticIgnored = ignored.filter((m) => m.statusReason?.startsWith("Static mutant") ?? false).length;
    return { score: valid === 0 ? 100 : (100 * detected) / valid, valid, staticIgnored, disabled: ignored.length - staticIgnored };
}

interface Options {
    files: string[];
    specs: string[];
    wholeSuite: boolean;
    withStatic: boolean;
    strykerArgs: string[];
}

/** Our own options out of the command line; everything else goes to `stryker run` unchanged. */
function parseArgs(args: string[]): Options {
    const inScope = new Set(scopeFiles());
    const options: Options = { files: [], specs: [], wholeSuite: false, withStatic: false, strykerArgs: [] };
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (arg === "--with-static") options.withStatic = true;
        else if (arg === "--whole-suite") options.wholeSuite = true;
        else if (arg === "--spec") {
            const spec = args[++i];
            if (spec === undefined || !fs.existsSync(path.join(REPO_ROOT, spec))) {
                throw new Error(`--spec expects an existing test file, got ${spec === undefined ? "nothing" : `'${spec}'`}`);
            }
            options.specs.push(spec);
        } else if (!arg.startsWith("-") && args[i - 1] !== "--mutate" && arg.endsWith(".ts")) {
            if (!inScope.has(arg)) {
                throw new Error(`'${arg}' is not in the mutation scope of stryker.config.json (expected one of: ${[...inScope].join(", ")})`);
            }
            options.files.push(arg);
        } else options.strykerArgs.push(arg);
    }
    return options;
}

/**
 * The config file and JSON report of this run: the repository's, or for named files or test files a narrowed copy
 * under reports/mutation/subset-<hash>/ with its own reports and incremental file, so narrowed runs (also several
 * at once) never overwrite the full run's.
 */
function configFor(options: Options): { config: string; report: string } {
    const full = { config: CONFIG, report: path.join(REPORTS, "mutation.json") };
    if (options.files.length === 0 && options.specs.length === 0) return full;
    const id = createHash("sha256").update(JSON.stringify([options.files, options.specs])).digest("hex").slice(0, 10);
    const dir = path.join(REPORTS, `subset-${id}`);
    const relative = (file: string) => path.relative(REPO_ROOT, path.join(dir, file));
    const config = JSON.parse(fs.readFileSync(CONFIG, "utf8")) as Record<string, unknown> & { mochaOptions: Record<string, unknown> };
    delete config.$schema;
    if (options.files.length > 0) config.mutate = options.files;
    if (options.specs.length > 0) config.mochaOptions = { ...config.mochaOptions, spec: options.specs };
    config.htmlReporter = { fileName: relative("mutation.html") };
    config.jsonReporter = { fileName: relative("mutation.json") };
    config.incrementalFile = relative("stryker-incremental.json");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "stryker.config.json"), `${JSON.stringify(config, null, 2)}\n`);
    return { config: path.join(dir, "stryker.config.json"), report: path.join(dir, "mutation.json") };
}

type Row = { file: string } & ReturnType<typeof score>;

/** One Stryker run; its per-file rows, or the exit status when Stryker failed. */
function runStryker(options: Options): Row[] | number {
    const strykerArgs = [...options.strykerArgs, ...(options.withStatic ? [] : ["--ignoreStatic"])];
    const { config, report: reportFile } = configFor(options);
    if (config !== CONFIG) process.stdout.write(`mutate: narrowed run, config and reports in ${path.relative(REPO_ROOT, path.dirname(config))}/\n`);
    const run = spawnSync(STRYKER, ["run", config, ...strykerArgs], { cwd: REPO_ROOT, stdio: "inherit" });
    if (run.status !== 0) {
        process.stderr.write(`mutate: stryker exited ${run.status ?? run.signal}\n`);
        return run.status ?? 1;
    }
    const report = JSON.parse(fs.readFileSync(reportFile, "utf8")) as Report;
    return Object.entries(report.files).map(([file, { mutants }]) => ({ file, ...score(mutants) }));
}

/** The full run: every group in turn, with the command line's Stryker options; stops at the first failed run. */
function runGroups(options: Options): Row[] | number {
    const rows: Row[] = [];
    const started = Date.now();
    for (const [i, group] of MUTATION_GROUPS.entries()) {
        process.stdout.write(`\nmutate: group ${i + 1} of ${MUTATION_GROUPS.length}: ${group.files.join(", ")} (tests: ${group.specs.join(", ")})\n`);
        const result = runStryker({ ...options, files: group.files, specs: group.specs, strykerArgs: [...group.strykerArgs, ...options.strykerArgs] });
        if (typeof result === "number") return result;
        rows.push(...result);
    }
    process.stdout.write(`\nmutate: full run of ${MUTATION_GROUPS.length} groups in ${Math.round((Date.now() - started) / 1000)} s\n`);
    return rows;
}

function main(): number {
    let options: Options;
    try {
        options = parseArgs(process.argv.slice(2));
    } catch (error) {
        process.stderr.write(`mutate: ${(error as Error).message}\n`);
        return 2;
    }
    const grouped = options.files.length === 0 && options.specs.length === 0 && !options.wholeSuite;
    const result = grouped ? runGroups(options) : runStryker(options);
    if (typeof result === "number") return result;
    const rows = result.sort((a, b) => a.file.localeCompare(b.file));
    const failing = rows.filter((r) => r.score < MIN_SCORE);
    process.stdout.write(`\nPer-file mutation score (bar: ${MIN_SCORE}%; static = static mutants ignored, see README "Mutation testing"):\n`);
    for (const r of rows) {
        const figures = `${r.score.toFixed(2).padStart(6)}%  ${String(r.valid).padStart(4)} tested  ${String(r.staticIgnored).padStart(4)} static  ${String(r.disabled).padStart(3)} disabled`;
        process.stdout.write(`  ${figures}  ${r.file}${r.score < MIN_SCORE ? "  BELOW THE BAR" : ""}\n`);
    }
    if (grouped) {
        for (const [file, reason] of Object.entries(NOT_MEASURABLE)) process.stdout.write(`  not measured        ${file}: ${reason}\n`);
    }
    const disabled = exclusions();
    process.stdout.write(`\nMutants disabled in the code (// Stryker disable): ${disabled.length}\n${disabled.map((d) => `  ${d}\n`).join("")}`);
    if (failing.length > 0) {
        process.stderr.write(`mutate: ${failing.length} file(s) below ${MIN_SCORE}%: ${failing.map((r) => r.file).join(", ")}\n`);
        return 1;
    }
    return 0;
}
process.exit(main());
