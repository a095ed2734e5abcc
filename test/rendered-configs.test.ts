import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nginxTest, promtoolCheck, redisCheck } from "./support/config-tools";
import { renderToTemp } from "./support/render-helper";
import { manifest } from "./support/rendered";

/**
 * The config files exactly as the program puts them in its ConfigMaps (not re-rendered with test arguments),
 * checked by the real tools. The renderers' own tests (nginx-conf, prometheus) go deeper with a running nginx
 * and promtool unit tests; this closes the loop from stack config to what ships.
 */
for (const stack of ["dev", "prod"]) {
    describe(`${stack}: the shipped config files pass their tools`, function () {
        this.timeout(120_000);
        let dir: string;
        beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), `nsip-${stack}-configs-`))));
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("edge nginx.conf: nginx -t", async () => {
            const verdict = nginxTest(manifest(await renderToTemp(stack), "ConfigMap", "nginx-config").data["nginx.conf"] as string, dir);
            assert.ok(verdict.ok, verdict.output);
        });

        it("prometheus.yml and alert-rules.yml: promtool check rules and check config", async () => {
            const verdict = promtoolCheck(manifest(await renderToTemp(stack), "ConfigMap", "prometheus-config").data as Record<string, string>, dir, "nsip");
            assert.ok(verdict.ok, verdict.output);
        });

        it("redis.conf: redis-server accepts it (with a local data dir and auth file)", async () => {
            const verdict = redisCheck(manifest(await renderToTemp(stack), "ConfigMap", "redis-config").data["redis.conf"] as string, dir);
            assert.ok(verdict.ok, verdict.output);
        });
    });
}

describe("the config tool checks can fail", function () {
    this.timeout(30_000);
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-tool-checks-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("nginx -t rejects limit_req burst=0", () => {
        const conf = [
            "events {}",
            "http {",
            "    resolver kube-dns.kube-system.svc.cluster.local valid=10s;",
            "    limit_req_zone $binary_remote_addr zone=z:1m rate=5r/s;",
            "    server { listen 127.0.0.1:1; location / { limit_req zone=z burst=0; } }",
            "}",
        ].join("\n");
        const verdict = nginxTest(conf, dir);
        assert.equal(verdict.ok, false);
        assert.match(verdict.output, /invalid burst value "burst=0"/);
    });

    it("redis-server rejects a maxmemory it cannot parse", () => {
        const verdict = redisCheck("dir /tmp\nmaxmemory 256Mi\ninclude /dev/null\n", dir);
        assert.equal(verdict.ok, false);
        assert.match(verdict.output, /maxmemory/);
    });
});
