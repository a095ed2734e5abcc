import * as fs from "fs";
import * as path from "path";
import { COVERAGE_DIR_ENV } from "./mutation";

/**
 * The render CLI as the render helper starts it under mutation testing (see mutation.ts): the same CLI,
 * plus, on exit, the mutants this process covered written to `$NSIP_MUTANT_COVERAGE_DIR/<pid>.json`.
 */
const coverageDir = process.env[COVERAGE_DIR_ENV];
if (coverageDir !== undefined) {
    process.on("exit", () => {
        const coverage = (globalThis as { __stryker__?: { mutantCoverage?: unknown } }).__stryker__?.mutantCoverage;
        if (coverage !== undefined) {
            fs.writeFileSync(path.join(coverageDir, `${process.pid}.json`), JSON.stringify(coverage));
        }
    });
}

// Loaded after the hook above is in place; the CLI runs on load.
require("../../tools/render/cli");
