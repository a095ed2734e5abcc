import * as fs from "fs";
import * as path from "path";

/**
 * Mutation testing (`npm run mutate`, StrykerJS) across the render child process.
 *
 * Stryker's instrumented code keeps its state on `globalThis.__stryker__`: the active mutant, the test
 * being run (`currentTestId`) and the mutants each test covered (`mutantCoverage`). Under the mocha runner
 * that namespace lives in the mocha process only; most of the program runs in a render child, so:
 *  - the child must run the active mutant: the instrumented code adopts `__STRYKER_ACTIVE_MUTANT__`
 *    from its environment when its own namespace has none;
 *  - the child reports what it covered (render-child.ts writes its namespace's coverage on exit), and that
 *    coverage is credited to every test a render serves, the first one and each later cache hit, so
 *    Stryker's per-test analysis runs exactly the tests that read a mutated render;
 *  - a cached render is only reused under the mutant it was rendered with (see renderToTemp).
 * Outside Stryker the namespace is absent and all of this is inert.
 */

/** The names the instrumented code uses (@stryker-mutator/api INSTRUMENTER_CONSTANTS). */
const NAMESPACE = "__stryker__";
const ACTIVE_MUTANT_ENV = "__STRYKER_ACTIVE_MUTANT__";
export const COVERAGE_DIR_ENV = "NSIP_MUTANT_COVERAGE_DIR";

/** Mutant id -> how often the code carrying it ran. */
export type MutantHits = Record<string, number>;

interface StrykerNamespace {
    activeMutant?: string;
    currentTestId?: string;
    mutantCoverage?: { static: MutantHits; perTest: Record<string, MutantHits> };
}

function strykerNamespace(): StrykerNamespace | undefined {
    return (globalThis as { [NAMESPACE]?: StrykerNamespace })[NAMESPACE];
}

/** True inside a Stryker test runner (dry run or mutant run). */
export function underMutationTesting(): boolean {
    return strykerNamespace() !== undefined;
}

/** The mutant switched on in this process right now, if any. */
export function activeMutant(): string | undefined {
    return strykerNamespace()?.activeMutant;
}

/** Environment for a child that runs instrumented code: the active mutant, and where to write its coverage. */
export function mutationChildEnv(coverageDir: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, [COVERAGE_DIR_ENV]: coverageDir };
    const mutant = activeMutant();
    if (mutant === undefined) {
        delete env[ACTIVE_MUTANT_ENV];
    } else {
        env[ACTIVE_MUTANT_ENV] = String(mutant);
    }
    return env;
}

/** Everything the children that wrote into `coverageDir` covered (a child writes `<pid>.json`). */
export function readChildCoverage(coverageDir: string): MutantHits {
    const hits: MutantHits = {};
    for (const file of fs.readdirSync(coverageDir)) {
        const coverage = JSON.parse(fs.readFileSync(path.join(coverageDir, file), "utf8")) as NonNullable<StrykerNamespace["mutantCoverage"]>;
        for (const counts of [coverage.static, ...Object.values(coverage.perTest)]) {
            for (const [mutant, count] of Object.entries(counts)) {
                hits[mutant] = (hits[mutant] ?? 0) + count;
            }
        }
    }
    return hits;
}

/** Credits a child's coverage to the test running now (or to static coverage outside a test), as if it had run here. */
export function creditCoverage(hits: MutantHits): void {
    const ns = strykerNamespace();
    if (ns === undefined || Object.keys(hits).length === 0) {
        return;
    }
    const coverage = (ns.mutantCoverage ??= { static: {}, perTest: {} });
    const counts = ns.currentTestId === undefined ? coverage.static : (coverage.perTest[ns.currentTestId] ??= {});
    for (const [mutant, count] of Object.entries(hits)) {
        counts[mutant] = (counts[mutant] ?? 0) + count;
    }
}
