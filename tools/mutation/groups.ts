import * as fs from "fs";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const CONFIG = path.join(REPO_ROOT, "stryker.config.json");

/** A part of the scope and the in-process test files that cover it: one narrowed Stryker run of the full run. */
export interface MutationGroup {
    files: string[];
    specs: string[];
    /** Extra `stryker run` options: in-process tests take a far shorter mutant timeout than renders. */
    strykerArgs: string[];
}

const IN_PROCESS = ["--timeoutMS", "30000"];

/**
 * The full run (`npm run mutate` without files): each group is a narrowed run with its own incremental file. A group's
 * tests are the ones that exercise its files in the test process, where Stryker sees per-test coverage; the render
 * tests reach the same code through the render child and could only kill more, at minutes per mutant.
 */
export const MUTATION_GROUPS: readonly MutationGroup[] = [
    {
        files: [
            "components/services/traffic.ts",
            "components/workload/cron-job.ts",
            "components/workload/index.ts",
            "components/workload/labels.ts",
            "components/workload/network-policy.ts",
            "components/workload/pod.ts",
            "components/workload/spec.ts",
        ],
        specs: ["test/builder.test.ts"],
        strykerArgs: [],
    },
    { files: ["policy/pod-security.ts"], specs: ["test/pod-security.test.ts"], strykerArgs: IN_PROCESS },
    // policy.test.ts runs the real pack in Pulumi's policy host over real renders: the default, longer timeout.
    { files: ["policy/rules.ts"], specs: ["test/policy.test.ts", "test/policy-rules.test.ts"], strykerArgs: [] },
    { files: ["policy/policies.ts"], specs: ["test/policy-wiring.test.ts"], strykerArgs: IN_PROCESS },
    {
        files: ["stacks/outputs.ts", "stacks/placeholders.ts", "stacks/run-mode.ts"],
        specs: ["test/placeholders.test.ts", "test/outputs-contract.test.ts"],
        strykerArgs: [],
    },
    {
        files: ["stacks/backup-config.ts", "stacks/leaves.ts", "stacks/load.ts", "stacks/prod-floor.ts", "stacks/profiles.ts", "stacks/rules.ts", "stacks/schema.ts", "stacks/values.ts"],
        specs: ["test/config.test.ts", "test/config-limits.test.ts", "test/config-values.test.ts", "test/config-value-checks.test.ts", "test/config-schema.test.ts", "test/config-loader.test.ts", "test/prod-floor.test.ts"],
        strykerArgs: IN_PROCESS,
    },
];

/**
 * Files of the scope no in-process test can load, with the reason. `new PolicyPack(...)` starts Pulumi's analyzer gRPC
 * server (and exits the process on a second pack); the policy host test in test/policy.test.ts runs it.
 */
export const NOT_MEASURABLE: Readonly<Record<string, string>> = {
    "policy/index.ts": "module-level `new PolicyPack(...)` starts the policy host's gRPC server",
};

/** Files the config's `mutate` patterns name (plain `dir/**` globs and file paths). */
export function scopeFiles(): string[] {
    const { mutate } = JSON.parse(fs.readFileSync(CONFIG, "utf8")) as { mutate: string[] };
    return mutate.flatMap((pattern) => {
        const dir = pattern.replace(/\/\*\*\/\*\.ts$/, "");
        if (dir === pattern) return [pattern];
        return fs
            .readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" })
            .filter((file) => file.endsWith(".ts") && !file.split(path.sep).includes("node_modules"))
            .map((file) => path.join(dir, file));
    });
}
