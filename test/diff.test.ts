import { strict as assert } from "assert";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { makeTempDir } from "./support/render-helper";

/**
 * `npm run diff` end to end: a copy of this repository (its tracked files, our node_modules linked in) gets a
 * base commit, then small synthetic changes in its working tree; the copy's own diff CLI renders both sides
 * for real (a temporary git worktree for the base) and prints the Markdown.
 */

const REPO_ROOT = path.resolve(__dirname, "..");
const run = promisify(execFile);

interface DiffRun {
    code: number;
    stdout: string;
    stderr: string;
}

let copy: string;

function git(...args: string[]): string {
    return execFileSync("git", args, {
        cwd: copy,
        encoding: "utf8",
        env: { ...process.env, GIT_AUTHOR_NAME: "test", GIT_AUTHOR_EMAIL: "test@example.invalid", GIT_COMMITTER_NAME: "test", GIT_COMMITTER_EMAIL: "test@example.invalid" },
    });
}

async function diff(...args: string[]): Promise<DiffRun> {
    const tsx = path.join(copy, "node_modules", ".bin", "tsx");
    try {
        const { stdout, stderr } = await run(tsx, [path.join(copy, "tools", "diff", "cli.ts"), ...args], { cwd: copy, maxBuffer: 64 * 1024 * 1024 });
        return { code: 0, stdout, stderr };
    } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        if (typeof failed.code !== "number") throw error;
        return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
    }
}

/** Edits a stack file's `config:` map in the copy's working tree. */
function editConfig(stack: string, edit: (config: Record<string, unknown>) => void): void {
    const file = path.join(copy, `Pulumi.${stack}.yaml`);
    const document = parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    edit(document.config);
    fs.writeFileSync(file, stringifyYaml(document));
}

function editFile(relative: string, from: string | RegExp, to: string): void {
    const file = path.join(copy, relative);
    const text = fs.readFileSync(file, "utf8");
    const next = text.replace(from, to);
    assert.notEqual(next, text, `${relative}: ${String(from)} not found`);
    fs.writeFileSync(file, next);
}

/** The list item of one resource, with its folded body (up to the next item or heading). */
function item(markdown: string, title: string): string {
    const start = markdown.indexOf(`- \`${title}\``);
    assert.ok(start >= 0, `no item for ${title} in:\n${markdown}`);
    const rest = markdown.slice(start + 1);
    const end = rest.search(/\n(- |#)/);
    return markdown.slice(start, end < 0 ? undefined : start + 1 + end);
}

/** The resources listed under one heading, by title. */
function listed(markdown: string, heading: string): string[] {
    const match = new RegExp(`#### ${heading.replace(/[()]/g, "\\$&")} \\(\\d+\\)\\n\\n([\\s\\S]*?)(\\n####|\\n###|$)`).exec(markdown);
    if (match === null) return [];
    return [...match[1].matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]);
}

describe("npm run diff: base commit against the working tree, on a copy of the repository", function () {
    // Every case renders two stacks, each a fresh Node process running the whole program.
    this.timeout(600_000);

    before(() => {
        copy = path.join(makeTempDir("nsip-diff-repo-"), "repo");
        const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" })
            .split("\0")
            .filter((file) => file !== "" && fs.existsSync(path.join(REPO_ROOT, file)));
        for (const file of files) {
            fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
            fs.copyFileSync(path.join(REPO_ROOT, file), path.join(copy, file));
        }
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"), "dir");
        git("init", "--quiet", "--initial-branch=main");
        // .gitignore's `node_modules/` matches directories only, not our symlink.
        fs.appendFileSync(path.join(copy, ".git", "info", "exclude"), "node_modules\n");
        // The base runs dev with PodDisruptionBudgets, so the working tree can take them away again.
        editConfig("dev", (config) => {
            config["nsip:hardening"] = { podDisruptionBudgets: true };
        });
        git("add", "--all");
        git("commit", "--quiet", "--no-verify", "-m", "base");
    });

    afterEach(() => {
        git("checkout", "--quiet", "--", ".");
        git("clean", "--quiet", "-fd", "--exclude=node_modules");
    });

    it("prints 'no changes' and nothing else when the working tree renders like the base", async () => {
        const result = await diff("--base", "main", "--stack", "dev");
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, "no changes\n");
        assert.equal(git("worktree", "list").trim().split("\n").length, 1, "the temporary base worktree is gone");
    });

    describe("dev: config and code changes of every kind", () => {
        let markdown: string;

        before(async () => {
            editConfig("dev", (config) => {
                delete config["nsip:hardening"]; // deletes the PDBs
                config["nsip:api"] = { logLevel: "info" }; // updates a ConfigMap and rolls the api
                config["nsip:storage"] = { storageClassName: "fast-ssd" }; // replaces the claims
                config["nsip:services"] = { api: { autoscaling: { minReplicas: 1, maxReplicas: 3, targetCpuUtilization: 80 } } }; // adds an HPA
                config["nsip:cluster"] = { provider: "local", edgePort: 8081 }; // changes the URLs, replaces the k3s container
            });
            // A StatefulSet whose governing Service name changes must be replaced.
            editFile("components/workload/index.ts", "serviceName: spec.name,", "serviceName: `${spec.name}-pods`,");
            // A Secret with values in plain text and a secret output: neither value may reach the Markdown.
            editFile("index.ts", 'import * as aws from "@pulumi/aws";', 'import * as aws from "@pulumi/aws";\nimport * as k8s from "@pulumi/kubernetes";');
            editFile(
                "index.ts",
                "    return {\n        namespace: platform.namespace,",
                '    new k8s.core.v1.Secret("sentinel", { metadata: { name: "sentinel", namespace: config.namespace }, stringData: { token: "plain-text-sentinel" } }, { provider: cluster.provider });\n' +
                    '    return {\n        sentinel: pulumi.secret("secret-output-sentinel"),\n        namespace: platform.namespace,',
            );
            const result = await diff("--base", "main", "--stack", "dev");
            assert.equal(result.code, 0, result.stderr);
            markdown = result.stdout;
        });

        it("heads the section with the stack, the base and the counts", () => {
            assert.match(markdown, /^### Stack `dev`: offline plan against `main` \([0-9a-f]{7}\)\n\n\*\*\d+ to replace, 8 to delete, \d+ to update, \d+ to add, 3 outputs changed\*\*$/m);
        });

        it("lists the removed PodDisruptionBudgets as deleted", () => {
            const deleted = listed(markdown, "Deleted");
            for (const name of ["analyzer", "api", "frontend", "grafana", "nginx", "postgres", "prometheus", "redis"]) {
                assert.ok(deleted.includes(`PodDisruptionBudget nsip/${name}`), `PDB ${name} not deleted: ${deleted.join(", ")}`);
            }
        });

        it("lists the new HorizontalPodAutoscaler and Secret as added, with their manifests folded", () => {
            const added = listed(markdown, "Added");
            assert.ok(added.includes("HorizontalPodAutoscaler nsip/api"), added.join(", "));
            assert.match(item(markdown, "HorizontalPodAutoscaler nsip/api"), /<details><summary>manifest<\/summary>[\s\S]*maxReplicas: 3/);
            assert.ok(added.includes("Secret nsip/sentinel"), added.join(", "));
        });

        it("updates the api's ConfigMap and Deployment in place, naming the changed fields, with a folded diff", () => {
            const updated = listed(markdown, "Updated in place");
            assert.ok(updated.includes("ConfigMap nsip/api-env"), updated.join(", "));
            const configMap = item(markdown, "ConfigMap nsip/api-env");
            assert.match(configMap, /: `data\.LOG_LEVEL`\n/);
            assert.match(configMap, /^ {2}-\s+LOG_LEVEL: debug$/m);
            assert.match(configMap, /^ {2}\+\s+LOG_LEVEL: info$/m);
            assert.match(item(markdown, "Deployment nsip/api"), /spec\.template\.metadata\.annotations\["nsip\.dev\/env-checksum"\]/);
        });

        it("replaces the claims on a new storage class and the StatefulSets on a new serviceName, naming the field", () => {
            for (const claim of ["postgres-data", "redis-data", "prometheus-data"]) {
                assert.match(item(markdown, `PersistentVolumeClaim nsip/${claim}`), /replaced because `spec\.storageClassName` cannot change in place/);
            }
            for (const statefulSet of ["postgres", "redis", "prometheus"]) {
                assert.match(item(markdown, `StatefulSet nsip/${statefulSet}`), /replaced because `spec\.serviceName` cannot change in place/);
            }
        });

        it("replaces the k3s container whose published port changed, and shows the changed URL outputs", () => {
            const replaced = listed(markdown, "Replaced, i.e. deleted and created again");
            assert.ok(replaced.some((title) => /k3s/.test(title)), `no k3s container replaced: ${replaced.join(", ")}`);
            assert.match(markdown, /^\| `publicUrl` \| `http:\/\/127\.0\.0\.1:28080` \| `http:\/\/127\.0\.0\.1:8081` \|$/m);
            assert.match(markdown, /^\| `grafanaUrl` \| `http:\/\/127\.0\.0\.1:28080\/grafana\/` \| `http:\/\/127\.0\.0\.1:8081\/grafana\/` \|$/m);
            assert.match(markdown, /^\| `sentinel` \| _\(none\)_ \| _secret_ \|$/m);
        });

        it("never shows a secret value: not a Secret's plain-text data, not a secret output", () => {
            assert.ok(!markdown.includes("plain-text-sentinel"));
            assert.ok(!markdown.includes(Buffer.from("plain-text-sentinel").toString("base64")));
            assert.ok(!markdown.includes("secret-output-sentinel"));
            assert.match(item(markdown, "Secret nsip/sentinel"), /token: "\[secret\]"/);
        });
    });

    it("prod: replaces the EKS node group on new instance types, upgrades the cluster in place", async () => {
        editConfig("prod", (config) => {
            const cluster = config["nsip:cluster"] as Record<string, unknown>;
            cluster["kubernetesVersion"] = "1.36";
            // kube-proxy is built per minor: a new minor takes EKS's default for it (stacks/rules.ts).
            cluster["addonVersions"] = { kubeProxy: "default" };
            cluster["nodeGroup"] = { instanceTypes: ["m6i.xlarge"], minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 };
        });
        const result = await diff("--base", "main", "--stack", "prod");
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /`aws:eks\/nodeGroup:NodeGroup`: replaced because `instanceTypes` cannot change in place/);
        const cluster = /^- `[^`]+` `aws:eks\/cluster:Cluster`: (.*)$/m.exec(result.stdout);
        assert.ok(cluster, `the EKS cluster is not listed:\n${result.stdout}`);
        assert.match(cluster[1], /^`version`/, "the version upgrade is in place");
    });

    it("reports a working tree that does not render, with the render's own message, and exits 1", async () => {
        editConfig("dev", (config) => {
            config["nsip:api"] = { logLevel: "loud" };
        });
        const result = await diff("--base", "main", "--stack", "dev");
        assert.equal(result.code, 1);
        assert.match(result.stdout, /^### Stack `dev`: the working tree does not render$/m);
        assert.match(result.stdout, /api\.logLevel/);
    });

    it("names an unknown base ref or stack and exits 2", async () => {
        const ref = await diff("--base", "no-such-branch");
        assert.equal(ref.code, 2);
        assert.match(ref.stderr, /--base no-such-branch: not a commit/);
        const stack = await diff("--base", "main", "--stack", "staging");
        assert.equal(stack.code, 2);
        assert.match(stack.stderr, /--stack staging: no Pulumi\.<stack>\.yaml in either tree \(have: dev, prod\)/);
    });
});
