import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { parseStackConfig } from "../stacks/load";
import { documentationPlaceholders, placeholderIssues, placeholderMode } from "../stacks/placeholders";
import { isOfflineRender, isRealUpdate } from "../stacks/run-mode";
import type { NsipConfig } from "../stacks/schema";
import { ResourceRecorder, stopMocks } from "./support/pulumi-mocks";
import { renderToTemp } from "./support/render-helper";

function stackConfig(stack: string, overrides: Record<string, unknown> = {}): NsipConfig {
    const doc = parseYaml(fs.readFileSync(path.join(__dirname, "..", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const values = { ...doc.config, ...overrides };
    const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    return parseStackConfig(raw, { stack });
}

const OWN_VALUES = {
    "nsip:cluster": {
        provider: "eks",
        region: "eu-west-1",
        publicAccessCidrs: ["198.18.4.0/24"],
        adminPrincipalArns: ["arn:aws:iam::210987654321:role/platform-admin"],
    },
    "nsip:edge": { hostname: "nsip.acme.io", tlsCertificateArn: "arn:aws:acm:eu-west-1:210987654321:certificate/3f1c2a9e-7b44-4d1e-9a55-0c2b6e8d9f10" },
};

describe("documentation placeholders in stack config", () => {
    it("the committed prod example names every placeholder key", () => {
        const keys = documentationPlaceholders(stackConfig("prod")).map((i) => i.key);
        assert.deepEqual(keys, ["nsip:cluster.publicAccessCidrs[0]", "nsip:cluster.adminPrincipalArns[0]", "nsip:edge.tlsCertificateArn", "nsip:edge.hostname"]);
    });

    it("says why each value is a placeholder", () => {
        const messages = documentationPlaceholders(stackConfig("prod")).map((i) => i.message).join("\n");
        assert.match(messages, /203\.0\.113\.0\/24 is inside 203\.0\.113\.0\/24, a documentation range \(RFC 5737\)/);
        assert.match(messages, /documentation account 123456789012/);
        assert.match(messages, /all-zero certificate id/);
        assert.match(messages, /nsip\.example\.com is a documentation domain \(RFC 2606\)/);
    });

    it("catches CIDRs inside and around each RFC 5737 range, and example.net/.org origins", () => {
        const config = stackConfig("prod", {
            ...OWN_VALUES,
            "nsip:cluster": { ...OWN_VALUES["nsip:cluster"], publicAccessCidrs: ["192.0.2.17/32", "198.51.0.0/16", "198.18.0.0/15"] },
            "nsip:api": { corsOrigins: ["https://app.example.org", "https://acme.io"] },
        });
        assert.deepEqual(
            documentationPlaceholders(config).map((i) => i.key),
            ["nsip:cluster.publicAccessCidrs[0]", "nsip:cluster.publicAccessCidrs[1]", "nsip:api.corsOrigins[0]"],
        );
    });

    it("passes a stack with its own values, and the dev stack", () => {
        assert.deepEqual(documentationPlaceholders(stackConfig("prod", OWN_VALUES)), []);
        assert.deepEqual(documentationPlaceholders(stackConfig("dev")), []);
    });

    it("refuses in a real up; only warns, once per key, in a preview or the offline render", () => {
        const config = stackConfig("prod");
        assert.equal(placeholderIssues(config, "refuse", () => assert.fail("no warning when refusing")).length, 4);
        const warnings: string[] = [];
        assert.deepEqual(placeholderIssues(config, "warn", (m) => warnings.push(m)), []);
        assert.equal(warnings.length, 4);
        assert.match(warnings[3], /^nsip:edge\.hostname: .*a real `pulumi up` refuses this value/);
    });

    describe("mode", () => {
        after(stopMocks);
        it("is warn under the render's mocks, even when they run as an up", async () => {
            await ResourceRecorder.start({ preview: false });
            assert.equal(placeholderMode(), "warn");
            await ResourceRecorder.start({ preview: true });
            assert.equal(placeholderMode(), "warn");
        });

        // The engine's own resource monitor, as `pulumi up` and `pulumi preview` hand it to the program. The gRPC client
        // connects lazily and nothing here calls it, so no engine needs to listen on the address.
        const underEngine = async (preview: boolean) => {
            await stopMocks();
            pulumi.runtime.resetOptions("nsip", "prod", 1, "", "127.0.0.1:1", preview, "");
        };

        it("is refuse in a real `pulumi up` (the engine's monitor, not a preview)", async () => {
            await underEngine(false);
            assert.equal(isOfflineRender(), false);
            assert.equal(isRealUpdate(), true);
            assert.equal(placeholderMode(), "refuse");
        });

        it("is warn in a real `pulumi preview`", async () => {
            await underEngine(true);
            assert.equal(isOfflineRender(), false);
            assert.equal(isRealUpdate(), false);
            assert.equal(placeholderMode(), "warn");
        });

        it("knows the offline render by its mock monitor, in a preview and in an up", async () => {
            for (const preview of [false, true]) {
                await ResourceRecorder.start({ preview });
                assert.equal(isOfflineRender(), true, `preview ${preview}`);
                assert.equal(isRealUpdate(), false, `preview ${preview}`);
            }
        });
    });

    it("the offline render of the committed prod stack warns for each key and still renders", async function () {
        this.timeout(180_000);
        const result = await renderToTemp("prod");
        for (const key of ["cluster.publicAccessCidrs[0]", "cluster.adminPrincipalArns[0]", "edge.tlsCertificateArn", "edge.hostname"]) {
            assert.ok(result.stderr.includes(`warning: [runtime] nsip:${key}: `), `${key} warned:\n${result.stderr}`);
        }
    });
});
