import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { MUTATION_GROUPS, NOT_MEASURABLE, REPO_ROOT, scopeFiles } from "../tools/mutation/groups";

/** The full mutation run (`npm run mutate`) is the groups of tools/mutation/groups.ts: together they must be the scope. */
describe("mutation testing groups", () => {
    const grouped = MUTATION_GROUPS.flatMap((g) => g.files);

    it("every file of stryker.config.json's scope is in exactly one group, or named as not measurable", () => {
        const scope = scopeFiles();
        assert.ok(scope.length > 20, `the scope is read from the config (${scope.length} files)`);
        for (const file of scope) {
            const count = grouped.filter((f) => f === file).length + (file in NOT_MEASURABLE ? 1 : 0);
            assert.equal(count, 1, `${file}: in ${count} groups (add a new file to tools/mutation/groups.ts)`);
        }
    });

    it("names only files of the scope, and test files that exist", () => {
        const scope = new Set(scopeFiles());
        for (const file of [...grouped, ...Object.keys(NOT_MEASURABLE)]) assert.ok(scope.has(file), `${file} is in the scope`);
        for (const spec of MUTATION_GROUPS.flatMap((g) => g.specs)) assert.ok(fs.existsSync(path.join(REPO_ROOT, spec)), `${spec} exists`);
    });
});
