import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseArgs, UsageError } from "../tools/render/args";
import { readProject, RenderInputError, resolveConfig } from "../tools/render/config";
import { makeTempDir, renderFresh, renderToTemp, runRenderCli, writeConfigFile } from "./support/render-helper";

/** Every file under `dir`, relative path -> bytes. */
function tree(dir: string): Map<string, Buffer> {
    const files = new Map<string, Buffer>();
    const walk = (current: string): void => {
        for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
            const full = path.join(current, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else {
                files.set(path.relative(dir, full), fs.readFileSync(full));
            }
        }
    };
    walk(dir);
    return files;
}

function assertSameTree(left: string, right: string): void {
    const a = tree(left);
    const b = tree(right);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [file, bytes] of a) {
        assert.ok(bytes.equals(b.get(file) as Buffer), `${file} differs between two renders`);
    }
}

/** The Kubernetes objects resources.json declares, as "<kind>/<namespace>/<name>". */
function kubernetesObjects(resources: Array<{ type: string; custom: boolean; inputs: Record<string, unknown> }>): string[] {
    return resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !/(Patch|List)$/.test(r.type))
        .map((r) => {
            const metadata = (r.inputs["metadata"] ?? {}) as Record<string, unknown>;
            return `${String(r.inputs["kind"])}/${String(metadata["namespace"] ?? "")}/${String(metadata["name"] ?? "<autonamed>")}`;
        })
        .sort();
}

function manifestObjects(manifests: Record<string, Record<string, unknown>>, autonamed: Set<string>): string[] {
    return Object.values(manifests)
        .map((object) => {
            const metadata = object["metadata"] as Record<string, unknown>;
            const name = String(metadata["name"]);
            return `${String(object["kind"])}/${String(metadata["namespace"] ?? "")}/${autonamed.has(name) ? "<autonamed>" : name}`;
        })
        .sort();
}

describe("offline render (npm run render)", function () {
    // Each render is a fresh Node process running the whole program.
    this.timeout(120_000);

    describe("determinism", () => {
        for (const stack of ["dev", "prod"]) {
            it(`renders ${stack} twice into byte-identical trees`, async () => {
                const first = await renderToTemp(stack);
                const second = await renderFresh(stack);
                assert.ok(first.resources.length > 10, `expected a real graph, got ${first.resources.length} resources`);
                assertSameTree(first.dir, second.dir);
            });
        }

        it("a second render into the same directory removes stale manifests", async () => {
            const dir = makeTempDir();
            fs.mkdirSync(path.join(dir, "manifests"));
            fs.writeFileSync(path.join(dir, "manifests", "99-stale-object.yaml"), "kind: Stale\n");
            fs.writeFileSync(path.join(dir, "notes.txt"), "not the render's\n");
            const result = await runRenderCli(["--stack", "dev", "--out", dir]);
            assert.equal(result.code, 0, result.stderr);
            assert.ok(!fs.existsSync(path.join(dir, "manifests", "99-stale-object.yaml")));
            assert.ok(fs.existsSync(path.join(dir, "notes.txt")), "files the render did not write are left alone");
            assertSameTree(path.join(dir, "manifests"), path.join((await renderToTemp("dev")).dir, "manifests"));
        });
    });

    describe("resources.json", () => {
        for (const stack of ["dev", "prod"]) {
            it(`${stack}: every parent, provider and dependency names a recorded resource, in URN order`, async () => {
                const { resources } = await renderToTemp(stack);
                const urns = new Set(resources.map((r) => r.urn));
                assert.deepEqual(resources.map((r) => r.urn), [...urns].sort(), "sorted by URN, no duplicates");
                for (const resource of resources) {
                    const optional = (["importId", "deleteBeforeReplace"] as const).filter((key) => key in resource);
                    assert.deepEqual(Object.keys(resource), ["urn", "type", "name", "custom", "parent", "provider", "protect", "retainOnDelete", ...optional, "dependencies", "inputs"]);
                    for (const urn of [resource.parent, resource.provider, ...resource.dependencies]) {
                        assert.ok(urn === null || urns.has(urn), `${resource.urn} refers to unrecorded ${urn}`);
                    }
                }
                assert.equal(resources.filter((r) => r.type === "pulumi:pulumi:Stack").length, 1);
            });
        }

        it("dependencies include the resources behind Output inputs (a workload waits on the image it runs)", async () => {
            const { resources, outputs } = await renderToTemp("dev");
            const images = new Set(resources.filter((r) => r.type === "docker:index/image:Image").map((r) => r.urn));
            const digests = Object.values(outputs["imageDigests"]?.value as Record<string, string>);
            assert.equal(digests.length, images.size, "one digest output per built image");
            const running = resources.filter((r) => r.type.startsWith("kubernetes:") && digests.some((digest) => JSON.stringify(r.inputs).includes(digest)));
            assert.ok(running.length >= images.size, "every built image runs somewhere");
            for (const workload of running) {
                assert.ok(workload.dependencies.some((urn) => images.has(urn)), `${workload.urn} runs a built image but does not depend on it`);
            }
        });

        it("the stack's config file merges over Pulumi.<stack>.yaml key by key", async () => {
            const { manifests } = await renderToTemp("dev", { config: { "nsip:namespace": "nsip-review" } });
            const namespaces = new Set(Object.values(manifests).map((m) => (m["metadata"] as Record<string, unknown>)["namespace"]).filter((ns) => ns !== undefined));
            assert.deepEqual([...namespaces], ["nsip-review"]);
        });
    });

    describe("manifests/", () => {
        for (const stack of ["dev", "prod"]) {
            it(`${stack}: one YAML file per Kubernetes object in resources.json`, async () => {
                const { resources, manifests } = await renderToTemp(stack);
                const files = Object.keys(manifests);
                assert.ok(files.length > 10, `expected the services' objects, got ${files.length}`);
                for (const file of files) {
                    assert.match(file, /^\d\d-[a-z0-9.-]+\.yaml$/);
                    const object = manifests[file] as Record<string, unknown>;
                    assert.equal(typeof object["apiVersion"], "string", `${file}: apiVersion`);
                    assert.equal(typeof object["kind"], "string", `${file}: kind`);
                    assert.equal(typeof (object["metadata"] as Record<string, unknown>)["name"], "string", `${file}: metadata.name`);
                }
                const declaredNames = new Set(
                    resources.map((r) => (r.inputs["metadata"] as Record<string, unknown> | undefined)?.["name"]).filter((n): n is string => typeof n === "string"),
                );
                const autonamed = new Set(
                    Object.values(manifests)
                        .map((m) => String((m["metadata"] as Record<string, unknown>)["name"]))
                        .filter((name) => !declaredNames.has(name)),
                );
                assert.deepEqual(manifestObjects(manifests, autonamed), kubernetesObjects(resources));
            });
        }

        it("Secret manifests carry no values", async () => {
            const { manifests } = await renderToTemp("prod");
            const secrets = Object.values(manifests).filter((m) => m["kind"] === "Secret");
            assert.ok(secrets.length > 0, "the platform keeps generated credentials in Secrets");
            for (const secret of secrets) {
                for (const value of Object.values((secret["stringData"] ?? {}) as Record<string, unknown>)) {
                    assert.equal(value, "[secret]");
                }
                for (const value of Object.values((secret["data"] ?? {}) as Record<string, unknown>)) {
                    assert.equal(Buffer.from(String(value), "base64").toString(), "[secret]");
                }
            }
        });
    });

    describe("outputs.json", () => {
        for (const stack of ["dev", "prod"]) {
            it(`${stack}: redacts secret outputs (the kubeconfig) and keeps the rest readable`, async () => {
                const { outputs } = await renderToTemp(stack);
                assert.deepEqual(outputs["kubeconfig"], { value: "[secret]", secret: true });
                for (const [name, output] of Object.entries(outputs)) {
                    assert.deepEqual(Object.keys(output), ["value", "secret"], name);
                    if (output.secret) {
                        assert.equal(output.value, "[secret]", `${name} is secret but not redacted`);
                    }
                }
                assert.ok(Object.values(outputs).some((o) => !o.secret && o.value !== null), "plain outputs keep their values");
                assert.ok(!JSON.stringify(outputs).includes("[unknown]"), "an update render knows every output");
            });
        }

        for (const stack of ["dev", "prod"]) {
            it(`${stack}: no generated key material reaches any render file`, async () => {
                const { dir } = await renderToTemp(stack);
                for (const [file, bytes] of tree(dir)) {
                    assert.doesNotMatch(bytes.toString(), /-----BEGIN [A-Z ]*PRIVATE KEY-----/, `${file} holds key material`);
                }
            });
        }
    });

    describe("--preview", () => {
        for (const stack of ["dev", "prod"]) {
            it(`${stack}: the program survives unknown outputs, which are marked "[unknown]"`, async () => {
                const { outputs, resources, manifests } = await renderToTemp(stack, { preview: true });
                const full = await renderToTemp(stack);
                assert.deepEqual(resources.map((r) => r.urn), full.resources.map((r) => r.urn), "preview declares the same resources");
                assert.equal(Object.keys(manifests).length, Object.keys(full.manifests).length);
                assert.deepEqual(Object.keys(outputs), Object.keys(full.outputs));
                assert.equal(outputs["imageDigests"]?.value, "[unknown]", "image digests are only known after a build");
                assert.deepEqual(outputs["kubeconfig"], { value: "[secret]", secret: true });
                assert.ok(JSON.stringify(resources).includes("[unknown]"), "inputs fed by computed outputs are unknown");
            });
        }
    });

    describe("invalid config", () => {
        it("exits non-zero naming every bad key, and writes nothing", async () => {
            const dir = path.join(makeTempDir(), "out");
            const configFile = writeConfigFile({ "nsip:replicsa": 3, "nsip:environment": "staging" });
            const result = await runRenderCli(["--stack", "dev", "--out", dir, "--config-file", configFile]);
            assert.equal(result.code, 1);
            assert.match(result.stderr, /nsip:replicsa/);
            assert.match(result.stderr, /nsip:environment/);
            assert.ok(!fs.existsSync(dir), "no output directory for a rejected config");
            assert.equal(result.stdout, "");
        });
    });

    describe("command line", () => {
        const cases: Array<[string, string[], RegExp]> = [
            ["an unknown argument", ["--stack", "dev", "--out", "x", "--bogus"], /unknown argument: --bogus/],
            ["a missing --stack", ["--out", "x"], /missing --stack/],
            ["a missing --out", ["--stack", "dev"], /missing --out/],
            ["an unknown stack", ["--stack", "staging", "--out", "x"], /unknown stack "staging": no Pulumi\.staging\.yaml \(known stacks: dev, prod\)/],
            ["a missing config file", ["--stack", "dev", "--out", "x", "--config-file", "/nonexistent/c.yaml"], /config file not found: \/nonexistent\/c\.yaml/],
        ];
        for (const [what, args, message] of cases) {
            it(`rejects ${what} with a usage error`, async () => {
                const result = await runRenderCli(args);
                assert.equal(result.code, 2);
                assert.match(result.stderr, message);
                assert.match(result.stderr, /usage: npm run render -- --stack/);
            });
        }

        it("prints a tree of what would be created, components with counts by type", async () => {
            const { stdout, resources } = await renderToTemp("prod");
            assert.match(stdout, new RegExp(`Rendered stack prod \\(up\\): ${resources.length} resources`));
            assert.match(stdout, /^nsip-prod \(pulumi:pulumi:Stack, \d+ resources\)$/m);
            assert.match(stdout, /aws:eks\/cluster:Cluster ×1/);
        });

        it("parses --flag value and --flag=value alike", () => {
            assert.deepEqual(parseArgs(["--stack=prod", "--out", "o", "--preview", "--config-file=c.yaml"]), {
                stack: "prod",
                out: "o",
                configFile: "c.yaml",
                program: undefined,
                preview: true,
                help: false,
            });
            assert.throws(() => parseArgs(["--stack", "dev", "--stack", "prod", "--out", "o"]), (e: unknown) => e instanceof UsageError && /given twice/.test(e.message));
            assert.throws(() => parseArgs(["--stack", "../etc", "--out", "o"]), /invalid stack name/);
            assert.throws(() => parseArgs(["--stack", "--out", "o"]), /--stack needs a value/);
        });
    });

    describe("config resolution", () => {
        function project(files: Record<string, string>): ReturnType<typeof readProject> {
            const dir = makeTempDir("nsip-render-project-");
            for (const [name, text] of Object.entries(files)) {
                fs.writeFileSync(path.join(dir, name), text);
            }
            return readProject(dir);
        }

        it("layers Pulumi.yaml defaults, the stack file and the config file, replacing whole keys", () => {
            const p = project({
                "Pulumi.yaml": "name: nsip\nruntime: nodejs\nconfig:\n  namespace:\n    type: string\n    default: nsip\n  images:\n    default: {}\n  plain: 5\n  aws:region: us-east-2\n  environment:\n    type: string\n",
                "Pulumi.dev.yaml": "config:\n  nsip:cluster:\n    provider: local\n    apiPort: 6443\n  nsip:replicas: 2\n  nsip:debug: true\n",
            });
            const configFile = path.join(p.projectDir, "override.yaml");
            fs.writeFileSync(configFile, "config:\n  nsip:cluster:\n    provider: eks\n  aws:region: eu-west-1\n");
            const resolved = resolveConfig(p, { stack: "dev", configFile, overrides: { "nsip:namespace": "other" } });
            assert.deepEqual(resolved.values, {
                "aws:region": "eu-west-1",
                "nsip:cluster": '{"provider":"eks"}',
                "nsip:debug": "true",
                "nsip:images": "{}",
                "nsip:namespace": "other",
                "nsip:plain": "5",
                "nsip:replicas": "2",
            });
            assert.deepEqual(resolved.secretKeys, []);
        });

        it("turns secure: values into fixed placeholders and marks their keys secret", () => {
            const p = project({
                "Pulumi.prod.yaml": "config:\n  nsip:token:\n    secure: v1:AAAA\n  nsip:cluster:\n    registry:\n      password:\n        secure: v1:BBBB\n  nsip:plain: x\n",
            });
            const resolved = resolveConfig(p, { stack: "prod" });
            assert.equal(resolved.values["nsip:token"], "<secure:nsip:token>");
            assert.equal(resolved.values["nsip:cluster"], '{"registry":{"password":"<secure:nsip:cluster.registry.password>"}}');
            assert.deepEqual(resolved.secretKeys, ["nsip:cluster", "nsip:token"]);
        });

        it("rejects config keys without a namespace, naming the file and the key", () => {
            const p = project({ "Pulumi.dev.yaml": "config:\n  replicas: 2\n" });
            assert.throws(() => resolveConfig(p, { stack: "dev" }), (e: unknown) => e instanceof RenderInputError && /config key "replicas" has no namespace \(write nsip:replicas\)/.test(e.message));
        });
    });
});
