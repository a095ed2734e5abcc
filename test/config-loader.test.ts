import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, NsipConfigError, parseStackConfig } from "../stacks/load";
import { ConfigRule, crossFieldRules } from "../stacks/rules";
import type { NsipConfig } from "../stacks/schema";
import { ResourceRecorder, stopMocks } from "./support/pulumi-mocks";
import { problems, s3CompatibleStack, stackFile, withOverrides } from "./support/stack-config";

/**
 * The loader's own behaviour (stacks/load.ts) and the backup keys (stacks/backup-config.ts): how problems are
 * found, named and printed, what the runtime hands over, and each backup value's limits.
 */

/** An existing cluster that backs up to an S3-compatible store, with these target values replaced; keys set as secrets. */
/** The error the loader throws for this config (fails the test if it throws nothing or something else). */
function rejection(raw: Record<string, string>, stack: string): NsipConfigError {
    try {
        parseStackConfig(raw, { stack });
    } catch (error) {
        assert.ok(error instanceof NsipConfigError, `expected NsipConfigError, got ${String(error)}`);
        return error;
    }
    assert.fail("expected the config to be rejected");
}

/** Runs `check` with one more cross-field rule in place, as if rules.ts listed it. */
function withRule<T>(check: ConfigRule["check"], body: () => T): T {
    const rules = crossFieldRules as ConfigRule[];
    rules.push({ name: "test rule", check });
    try {
        return body();
    } finally {
        rules.pop();
    }
}

describe("config loader", () => {
    describe("the error message", () => {
        it("counts one problem in the singular, then one line per problem naming its key", () => {
            assert.equal(
                rejection(withOverrides("dev", { "nsip:backup": { retentionDays: 0 } }), "dev").message,
                "Invalid stack configuration (1 problem):\n  - nsip:backup.retentionDays: an integer from 1 to 36500, found 0",
            );
            assert.equal(
                rejection(withOverrides("dev", { "nsip:backup": { retentionDays: 0, enabled: "yes" } }), "dev").message,
                "Invalid stack configuration (2 problems):\n  - nsip:backup.enabled: true or false, found \"yes\"\n  - nsip:backup.retentionDays: an integer from 1 to 36500, found 0",
            );
        });

        it("shows a found value up to 60 characters of JSON, a longer one cut to 57 and '...'", () => {
            assert.deepEqual(problems(withOverrides("dev", { "nsip:environment": "e".repeat(58) }), "dev"), [`nsip:environment: expected "dev" or "prod", found "${"e".repeat(58)}"`]);
            assert.deepEqual(problems(withOverrides("dev", { "nsip:environment": "e".repeat(59) }), "dev"), [`nsip:environment: expected "dev" or "prod", found "${"e".repeat(56)}...`]);
        });

        it("names array items by index, any number of digits, and keys with digits by name", () => {
            const origins = Array.from({ length: 10 }, (_, i) => `https://app${i}.nsip.dev`);
            assert.deepEqual(problems(withOverrides("dev", { "nsip:api": { corsOrigins: [...origins, "ftp://files.nsip.dev"] } }), "dev"), [
                'nsip:api.corsOrigins[10]: an origin: http(s)://host[:port] with no path or trailing slash, such as "https://app.example.com", found "ftp://files.nsip.dev"',
            ]);
            assert.deepEqual(problems(withOverrides("dev", { "nsip:services": { api2: {}, "2fa": {} } }), "dev"), ['nsip:services.api2: unknown key (did you mean "api"?)', "nsip:services.2fa: unknown key"]);
        });

        it("reports two problems that print alike once", () => {
            // `pulumi config set --path 'nsip:services.api\.zzzzzz'` and `... 'nsip:services.api.zzzzzz'` both print as nsip:services.api.zzzzzz.
            assert.deepEqual(problems(withOverrides("dev", { "nsip:services": { "api.zzzzzz": 1, api: { zzzzzz: 1 } } }), "dev"), ["nsip:services.api.zzzzzz: unknown key"]);
        });
    });

    it("a wrong type says what was expected in zod's words, without zod's prefix or its name for the type found", () => {
        assert.deepEqual(problems(withOverrides("dev", { "nsip:images": { version: 3 }, "nsip:services": "x" }), "dev"), [
            "nsip:images.version: expected string, found 3",
            'nsip:services: expected object, found "x"',
        ]);
    });

    describe("keys", () => {
        it("an unknown key lists every key of the namespace", () => {
            assert.deepEqual(problems(withOverrides("dev", { "nsip:replicas": "3" }), "dev"), [
                "nsip:replicas: unknown key; expected one of nsip:environment, nsip:namespace, nsip:cluster, nsip:images, nsip:hardening, nsip:services, nsip:storage, nsip:edge, nsip:api, nsip:redis, nsip:backup, nsip:observability",
            ]);
        });

        it("a key without a namespace is taken as nsip's; one with an empty namespace is not", () => {
            assert.deepEqual(problems({ ...stackFile("dev"), replicas: "3" }, "dev"), [
                "replicas: unknown key; expected one of nsip:environment, nsip:namespace, nsip:cluster, nsip:images, nsip:hardening, nsip:services, nsip:storage, nsip:edge, nsip:api, nsip:redis, nsip:backup, nsip:observability",
            ]);
            assert.equal(parseStackConfig({ ...stackFile("dev"), backup: JSON.stringify({ retentionDays: 9 }) }, { stack: "dev" }).backup.retentionDays, 9);
            assert.equal(parseStackConfig({ ...stackFile("dev"), ":replicas": "3" }, { stack: "dev" }).environment, "dev");
        });

        it("of two keys equally close to a typo, the first in schema order is suggested", () => {
            // "edes" is two edits from both "edge" and "redis"; the schema lists edge first.
            assert.match(problems(withOverrides("dev", { "nsip:edes": "{}" }), "dev")[0], /^nsip:edes: unknown key \(did you mean "edge"\?\); expected one of /);
        });

        it("without a list of secret keys, a value that must be secret is refused", () => {
            const raw = withOverrides("dev", { "nsip:cluster": { provider: "existing", kubeconfig: "apiVersion: v1" }, "nsip:edge": { hostname: "nsip.staging.acme.io" }, "nsip:images": { prebuilt: { api: `r.acme.io/api@sha256:${"ab".repeat(32)}`, frontend: `r.acme.io/f@sha256:${"ab".repeat(32)}`, analyzer: `r.acme.io/a@sha256:${"ab".repeat(32)}` } } });
            assert.deepEqual(
                rejection(raw, "dev").issues,
                [{ key: "nsip:cluster.kubeconfig", message: "must be set as a secret: pulumi config set --secret --path nsip:cluster.kubeconfig <value>" }],
            );
            assert.equal(parseStackConfig(raw, { stack: "dev", secretKeys: ["nsip:cluster"] }).cluster.provider, "existing");
        });

        it("a scalar where an object belongs is named, not merged into the defaults", () => {
            assert.deepEqual(problems(withOverrides("dev", { "nsip:edge": "open" }), "dev"), ['nsip:edge: expected object, found "open"']);
            assert.deepEqual(problems({ ...stackFile("dev"), "nsip:edge": "null", "nsip:services": '{"api":null}' }, "dev"), [
                "nsip:services.api: expected object, found null",
                "nsip:edge: expected object, found null",
            ]);
        });
    });

    describe("the environment", () => {
        const withoutEnvironment = (stack: string) => {
            const raw = stackFile(stack);
            delete raw["nsip:environment"];
            return raw;
        };

        it("defaults to the stack's name for the dev and prod stacks", () => {
            assert.equal(parseStackConfig(withoutEnvironment("prod"), { stack: "prod" }).environment, "prod");
            assert.equal(parseStackConfig(withoutEnvironment("dev"), { stack: "dev" }).environment, "dev");
        });

        it("must be set on any other stack", () => {
            assert.deepEqual(problems(withoutEnvironment("dev"), "staging"), ['nsip:environment: expected "dev" or "prod", found nothing']);
        });

        it("an invalid one is named once; the rest is checked against the dev defaults", () => {
            assert.deepEqual(problems(withOverrides("dev", { "nsip:environment": "qa" }), "dev"), ['nsip:environment: expected "dev" or "prod", found "qa"']);
            assert.deepEqual(problems(withOverrides("dev", { "nsip:environment": "qa", "nsip:services": { api: { replicas: 0 } } }), "dev"), [
                'nsip:environment: expected "dev" or "prod", found "qa"',
                "nsip:services.api.replicas: an integer from 1 to 50, found 0",
            ]);
        });
    });

    describe("rules over a partly invalid config", () => {
        it("a rule that reads a rejected value is skipped; the value's own problem is reported", () => {
            assert.deepEqual(problems(withOverrides("dev", { "nsip:services": { api: { resources: { requests: { cpu: "lots" } } } } }), "dev"), [
                'nsip:services.api.resources.requests.cpu: a Kubernetes CPU quantity from 1m to 1024 cores, such as "250m" or "1.5", found "lots"',
            ]);
        });

        it("an unknown key does not hide its siblings from the rules", () => {
            const resources = { requests: { cpu: "2" }, limits: { cpu: "1" } };
            assert.deepEqual(problems(withOverrides("dev", { "nsip:services": { api: { resources, replicaz: 2 } } }), "dev"), [
                'nsip:services.api.replicaz: unknown key (did you mean "replicas"?)',
                'nsip:services.api.resources.requests.cpu: at most the limit "1" (the API server rejects a request above its limit), found "2"',
            ]);
        });

        it("a rule may walk an object's values, unknown keys and nulls included", () => {
            const raw = withOverrides("dev", { "nsip:services": { api: { note: null } }, "nsip:backup": { retentionDays: 0 } });
            const seen = withRule(
                (c) => [{ key: "nsip:services.api", message: `values: ${Object.values(c.services.api).map((v) => (v === null ? "null" : typeof v)).join(" ")}` }],
                () => problems(raw, "dev"),
            );
            // replicas, resources, autoscaling (unset in dev), note.
            assert.deepEqual(seen, [
                "nsip:services.api.note: unknown key",
                "nsip:backup.retentionDays: an integer from 1 to 36500, found 0",
                "nsip:services.api: values: number object undefined null",
            ]);
        });

        it("a rule's own error is not taken for a rejected read", () => {
            assert.throws(
                () =>
                    withRule(
                        () => {
                            throw new RangeError("a bug in a rule");
                        },
                        () => parseStackConfig(stackFile("dev"), { stack: "dev" }),
                    ),
                /^RangeError: a bug in a rule$/,
            );
        });

        it("a rule cannot write to the view of a partly invalid config", () => {
            const raw = withOverrides("dev", { "nsip:backup": { retentionDays: 0 } });
            assert.throws(
                () =>
                    withRule(
                        (c) => {
                            (c as { environment: string }).environment = "prod";
                            return [];
                        },
                        () => parseStackConfig(raw, { stack: "dev" }),
                    ),
                TypeError,
            );
        });
    });

    describe("loadStackConfig: the runtime's config", () => {
        afterEach(stopMocks);

        const registryStack = () =>
            withOverrides("dev", {
                "nsip:cluster": { provider: "existing", context: "staging", registry: { server: "registry.acme.io", repositoryPrefix: "team/nsip", username: "ci", password: "hunter2" } },
                "nsip:edge": { hostname: "nsip.staging.acme.io" },
            });

        it("accepts a password the stack set as a secret", async () => {
            await ResourceRecorder.start();
            pulumi.runtime.setAllConfig(registryStack(), ["nsip:cluster"]);
            const config = loadStackConfig();
            assert.equal(config.cluster.provider === "existing" ? config.cluster.registry?.password : undefined, "hunter2");
        });

        it("refuses the same password in plain text, while other keys are secret", async () => {
            await ResourceRecorder.start();
            pulumi.runtime.setAllConfig(registryStack(), ["nsip:edge"]);
            assert.throws(
                () => loadStackConfig(),
                (error: unknown) =>
                    error instanceof NsipConfigError &&
                    error.message === "Invalid stack configuration (1 problem):\n  - nsip:cluster.registry.password: must be set as a secret: pulumi config set --secret --path nsip:cluster.registry.password <value>",
            );
        });

        it("a real `pulumi up` refuses documentation placeholders; the offline render takes them", async () => {
            await ResourceRecorder.start();
            pulumi.runtime.setAllConfig(stackFile("prod"), []);
            const warned: NsipConfig = (() => {
                const warn = pulumi.log.warn;
                pulumi.log.warn = async () => undefined;
                try {
                    return loadStackConfig();
                } finally {
                    pulumi.log.warn = warn;
                }
            })();
            assert.equal(warned.environment, "prod");

            await stopMocks();
            // The engine's own monitor, as `pulumi up` hands it over; nothing here calls it.
            pulumi.runtime.resetOptions("nsip", "prod", 1, "", "127.0.0.1:1", false, "");
            pulumi.runtime.setAllConfig(stackFile("prod"), []);
            assert.throws(
                () => loadStackConfig(),
                (error: unknown) => error instanceof NsipConfigError && error.issues.map((i) => i.key).join(" ") === "nsip:cluster.publicAccessCidrs[0] nsip:cluster.adminPrincipalArns[0] nsip:edge.tlsCertificateArn nsip:edge.hostname",
            );
        });
    });
});

describe("backup config", () => {
    it("an S3-compatible target with every value set is accepted", () => {
        const config = parseStackConfig(s3CompatibleStack({}), { stack: "dev", secretKeys: ["nsip:backup"] });
        assert.equal(config.backup.target?.kind, "s3Compatible");
    });

    it("region and access key ids must not be empty", () => {
        assert.deepEqual(problems(s3CompatibleStack({ region: "", reader: { accessKeyId: "", secretAccessKey: "reader-secret" } }), "dev", ["nsip:backup"]), [
            'nsip:backup.target.region: a non-empty string, found ""',
            'nsip:backup.target.reader.accessKeyId: a non-empty string, found ""',
        ]);
    });

    it("bucket names: 3 to 63 characters, starting and ending with a letter or digit", () => {
        const accepted = (bucket: string) => parseStackConfig(s3CompatibleStack({ bucket }), { stack: "dev", secretKeys: ["nsip:backup"] }).backup.target;
        assert.deepEqual(accepted("n.b"), { ...accepted("nsip-backups"), bucket: "n.b" });
        assert.equal((accepted("a".repeat(63)) as { bucket: string }).bucket.length, 63);
        for (const bucket of ["ab", "-nsip", "nsip-", ".nsip", "nsip.", "Nsip", "nsip_backups"]) {
            assert.deepEqual(
                problems(s3CompatibleStack({ bucket }), "dev", ["nsip:backup"]),
                [`nsip:backup.target.bucket: an S3 bucket name (3-63 lowercase letters, digits, '.', '-'), found ${JSON.stringify(bucket)}`],
                bucket,
            );
        }
        assert.deepEqual(problems(s3CompatibleStack({ bucket: "a".repeat(64) }), "dev", ["nsip:backup"]), [
            `nsip:backup.target.bucket: an S3 bucket name (3-63 lowercase letters, digits, '.', '-'), found "${"a".repeat(56)}...`,
        ]);
    });

    it("retention: whole days from 1 to 36500", () => {
        const retention = (retentionDays: number) => parseStackConfig(withOverrides("dev", { "nsip:backup": { retentionDays } }), { stack: "dev" }).backup.retentionDays;
        assert.equal(retention(1), 1);
        assert.equal(retention(36500), 36500);
        for (const retentionDays of [0, 36501, 1.5, -7]) {
            assert.deepEqual(problems(withOverrides("dev", { "nsip:backup": { retentionDays } }), "dev"), [`nsip:backup.retentionDays: an integer from 1 to 36500, found ${retentionDays}`]);
        }
    });

    it("the stack's own bucket: taken on EKS, refused on any other cluster", () => {
        const prod = parseStackConfig(withOverrides("prod", { "nsip:backup": { target: { kind: "s3" } } }), { stack: "prod" });
        assert.deepEqual(prod.backup.target, { kind: "s3" });
        assert.deepEqual(problems(withOverrides("dev", { "nsip:backup": { target: { kind: "s3" } } }), "dev"), [
            'nsip:backup.target.kind: "s3" is the stack\'s own bucket on EKS, found a "local" cluster; use "pvc" or "s3Compatible"',
        ]);
        assert.equal(parseStackConfig(withOverrides("dev", { "nsip:backup": { enabled: false, target: { kind: "s3" } } }), { stack: "dev" }).backup.enabled, false);
    });
});
