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
        assert.match(messages, /203\.0\.113\.0\/24 overlaps 203\.0\.113\.0\/24, a documentation range \(RFC 5737\)/);
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

    it("gives each key its full message", () => {
        const config = stackConfig("prod", {
            ...OWN_VALUES,
            "nsip:cluster": { ...OWN_VALUES["nsip:cluster"], adminPrincipalArns: ["arn:aws:iam::210987654321:role/ops", "arn:aws:iam::123456789012:role/admin"] },
            "nsip:edge": { hostname: "example.com", tlsCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000000" },
            "nsip:api": { corsOrigins: ["https://example.net"] },
        });
        assert.deepEqual(documentationPlaceholders(config), [
            { key: "nsip:cluster.adminPrincipalArns[1]", message: "arn:aws:iam::123456789012:role/admin is in the documentation account 123456789012: use your own role ARN" },
            {
                key: "nsip:edge.tlsCertificateArn",
                message: "is in the documentation account 123456789012 and has an all-zero certificate id: use the ARN of your ACM certificate",
            },
            { key: "nsip:edge.hostname", message: "example.com is a documentation domain (RFC 2606): use the host name your users reach" },
            { key: "nsip:api.corsOrigins[0]", message: "https://example.net is a documentation domain (RFC 2606)" },
        ]);
    });

    it("names each reason a certificate is a placeholder, alone", () => {
        const certificate = (account: string, id: string) =>
            documentationPlaceholders(stackConfig("prod", { ...OWN_VALUES, "nsip:edge": { ...OWN_VALUES["nsip:edge"], tlsCertificateArn: `arn:aws:acm:eu-west-1:${account}:certificate/${id}` } }));
        assert.deepEqual(certificate("123456789012", "3f1c2a9e-7b44-4d1e-9a55-0c2b6e8d9f10").map((i) => i.message), ["is in the documentation account 123456789012: use the ARN of your ACM certificate"]);
        assert.deepEqual(certificate("210987654321", "00000000-0000-4000-8000-000000000000").map((i) => i.message), ["has an all-zero certificate id: use the ARN of your ACM certificate"]);
        assert.deepEqual(certificate("210987654321", "00000000-0000-4000-8000-000000000001"), [], "three non-zero digits make a real id");
    });

    it("every RFC 2606 domain and its subdomains, an origin's trailing dot included; not look-alikes", () => {
        const origins = ["https://example.com", "https://a.example.net", "http://example.org:8080", "https://app.example.org.", "https://myexample.com", "https://example.com.acme.io"];
        const config = stackConfig("prod", { ...OWN_VALUES, "nsip:api": { corsOrigins: origins } });
        assert.deepEqual(documentationPlaceholders(config).map((i) => i.key), [0, 1, 2, 3].map((i) => `nsip:api.corsOrigins[${i}]`));
    });

    it("public CIDRs next to or inside no documentation range pass, however narrow", () => {
        const cidrs = ["203.0.114.0/25", "198.51.101.0/32", "198.18.4.0/26", "192.0.3.0/24", "192.0.0.0/23"];
        const config = stackConfig("prod", { ...OWN_VALUES, "nsip:cluster": { ...OWN_VALUES["nsip:cluster"], publicAccessCidrs: cidrs } });
        assert.deepEqual(documentationPlaceholders(config), []);
        const around = stackConfig("prod", { ...OWN_VALUES, "nsip:cluster": { ...OWN_VALUES["nsip:cluster"], publicAccessCidrs: ["192.0.0.0/22", "203.0.113.128/25", "203.0.113.255/32", "198.51.100.0/24"] } });
        assert.deepEqual(documentationPlaceholders(around).map((i) => i.message.split(",")[0]), [
            "192.0.0.0/22 overlaps 192.0.2.0/24",
            "203.0.113.128/25 overlaps 203.0.113.0/24",
            "203.0.113.255/32 overlaps 203.0.113.0/24",
            "198.51.100.0/24 overlaps 198.51.100.0/24",
        ]);
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
