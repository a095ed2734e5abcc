import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

/**
 * The delivery rules of .github/workflows that actionlint (in the lint suite) does not check: actions pinned
 * by commit with their version beside, least-privilege permissions, no credentials where pull-request code
 * from a fork runs, and prod changed only from main after the tests.
 */

const DIR = path.resolve(__dirname, "..", ".github", "workflows");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Workflow = Record<string, any>;

const workflows: Record<string, { text: string; workflow: Workflow }> = Object.fromEntries(
    fs
        .readdirSync(DIR)
        .filter((file) => /\.ya?ml$/.test(file))
        .sort()
        .map((file) => {
            const text = fs.readFileSync(path.join(DIR, file), "utf8");
            return [file, { text, workflow: parseYaml(text) as Workflow }];
        }),
);

function triggers(workflow: Workflow): string[] {
    const on = workflow["on"];
    return typeof on === "string" ? [on] : Array.isArray(on) ? on : Object.keys(on ?? {});
}

function jobs(workflow: Workflow): Array<[string, Workflow]> {
    return Object.entries(workflow["jobs"] ?? {});
}

describe(".github/workflows: pinned, least privilege, no credentials for fork code", () => {
    it("has the five workflows: tests, pr-preview, pr-comment, drift, deploy", () => {
        assert.deepEqual(Object.keys(workflows), ["deploy.yml", "drift.yml", "pr-comment.yml", "pr-preview.yml", "tests.yml"]);
    });

    for (const [file, { text, workflow }] of Object.entries(workflows)) {
        describe(file, () => {
            it("pins every action by a full commit SHA, its version in a comment beside it", () => {
                const uses = [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)];
                assert.ok(uses.length > 0 || jobs(workflow).every(([, job]) => job["uses"] === undefined));
                for (const [line, reference, rest] of uses) {
                    if (reference.startsWith("./")) continue;
                    assert.match(reference, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${file}: ${line.trim()} is not pinned by commit`);
                    assert.match(rest, /^\s+# v\d+\.\d+\.\d+$/, `${file}: ${line.trim()} lacks its "# vX.Y.Z" comment`);
                }
            });

            it("grants nothing at the top and names each job's permissions", () => {
                const top = workflow["permissions"];
                const allowedTop = file === "tests.yml" ? { contents: "read" } : {};
                assert.deepEqual(top, allowedTop, `${file}: top-level permissions`);
                for (const [name, job] of jobs(workflow)) {
                    if (file === "tests.yml") continue; // a reusable workflow gets its caller's token
                    assert.ok(job["permissions"] !== undefined, `${file}: job ${name} has no permissions block`);
                    for (const [scope, level] of Object.entries(job["permissions"] as Record<string, string>)) {
                        assert.ok(level === "read" || ["id-token", "pull-requests", "issues"].includes(scope), `${file}: job ${name} may write ${scope}`);
                    }
                }
            });

            it("never uses pull_request_target, never checks out code in a workflow_run job", () => {
                assert.ok(!triggers(workflow).includes("pull_request_target"), file);
                if (triggers(workflow).includes("workflow_run")) {
                    assert.ok(!text.includes("actions/checkout"), `${file} runs on workflow_run and checks out code`);
                }
            });
        });
    }

    it("pull requests: the offline plan of each stack runs without secrets and with a read-only token", () => {
        const { workflow } = workflows["pr-preview.yml"];
        const plan = workflow["jobs"]["offline-plan"];
        assert.deepEqual(plan["permissions"], { contents: "read" });
        assert.deepEqual(plan["strategy"]["matrix"]["stack"], ["dev", "prod"]);
        assert.ok(!JSON.stringify(plan).includes("secrets."), "the offline plan job reads a secret");
        assert.match(JSON.stringify(plan["steps"]), /npm run -s diff -- --base \\"\$BASE_SHA\\" --stack \\"\$STACK\\"/);
    });

    it("pull requests: credentials (prod preview) only for branches of this repository, after the tests", () => {
        const { workflow } = workflows["pr-preview.yml"];
        for (const [name, job] of jobs(workflow)) {
            const credentials = JSON.stringify(job).includes("secrets.") || job["permissions"]?.["id-token"] === "write";
            if (!credentials) continue;
            assert.equal(job["if"], "github.event.pull_request.head.repo.full_name == github.repository", `${name} runs fork code with credentials`);
            assert.equal(job["needs"], "tests");
        }
        const preview = workflow["jobs"]["preview-prod"];
        const pulumi = preview["steps"].find((step: Workflow) => String(step["uses"]).startsWith("pulumi/actions@"));
        assert.equal(pulumi["with"]["command"], "preview");
        assert.equal(pulumi["with"]["edit-pr-comment"], true);
        assert.match(JSON.stringify(preview["steps"]), /AWS_PREVIEW_ROLE_ARN/);
    });

    it("the comment job posts artifacts of pull_request runs only, one comment per stack edited in place", () => {
        const { workflow, text } = workflows["pr-comment.yml"];
        assert.deepEqual(workflow["on"]["workflow_run"]["workflows"], ["pr-preview"]);
        assert.match(workflow["jobs"]["comment"]["if"], /github\.event\.workflow_run\.event == 'pull_request'/);
        assert.match(text, /marker="<!-- nsip-offline-plan:\$stack -->"/);
        assert.match(text, /--method PATCH/);
        assert.match(text, /\[ "\$pr_head" = "\$RUN_HEAD_SHA" \]/, "the artifact's pull-request number is checked against the run's head commit");
    });

    it("drift: a scheduled refresh + preview of prod that expects no changes and opens an issue on failure", () => {
        const { workflow } = workflows["drift.yml"];
        assert.ok(triggers(workflow).includes("schedule"));
        const steps: Workflow[] = workflow["jobs"]["drift"]["steps"];
        const pulumi = steps.find((step) => String(step["uses"]).startsWith("pulumi/actions@"))!;
        assert.deepEqual([pulumi["with"]["command"], pulumi["with"]["refresh"], pulumi["with"]["expect-no-changes"]], ["preview", true, true]);
        assert.match(pulumi["with"]["stack-name"], /\/prod$/);
        assert.ok(steps.some((step) => step["if"] === "failure()" && /gh issue create/.test(step["run"])));
    });

    it("deploy: prod is updated only from main, after the same tests as pull requests", () => {
        const { workflow } = workflows["deploy.yml"];
        assert.deepEqual(workflow["on"], { push: { branches: ["main"] } });
        assert.equal(workflow["jobs"]["tests"]["uses"], "./.github/workflows/tests.yml");
        assert.equal(workflows["pr-preview.yml"].workflow["jobs"]["tests"]["uses"], "./.github/workflows/tests.yml");
        const up = workflow["jobs"]["up"];
        assert.equal(up["needs"], "tests");
        assert.equal(up["if"], "github.ref == 'refs/heads/main'");
        assert.equal(up["environment"], "prod");
        const pulumi = up["steps"].find((step: Workflow) => String(step["uses"]).startsWith("pulumi/actions@"));
        assert.equal(pulumi["with"]["command"], "up");
        const tests = workflows["tests.yml"].workflow["jobs"]["test-all"]["steps"];
        assert.ok(tests.some((step: Workflow) => step["run"] === "bash tools/test-all.sh"));
    });
});
