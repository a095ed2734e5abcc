import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
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
            const conf = manifest(await renderToTemp(stack), "ConfigMap", "nginx-config").data["nginx.conf"] as string;
            // nginx resolves the resolver's own name while loading; kube-dns only exists in a cluster.
            const local = conf.replace(/resolver kube-dns\.kube-system\.svc\.cluster\.local /, "resolver 127.0.0.1 ");
            assert.notEqual(local, conf, "the rendered conf names kube-dns as its resolver");
            const file = path.join(dir, "nginx.conf");
            fs.writeFileSync(file, local);
            const userDirective = process.getuid?.() === 0 ? ["-g", "user nobody nogroup;"] : [];
            // The access log is /dev/stdout, which nginx re-opens by path: give it a file, as a container runtime gives it a pipe
            // (Node's own stdio pipes are sockets, which cannot be re-opened).
            const log = path.join(dir, "out.log");
            const fd = fs.openSync(log, "w");
            const result = spawnSync("nginx", ["-t", "-p", dir, "-c", file, "-e", path.join(dir, "error.log"), ...userDirective], { stdio: ["ignore", fd, fd] });
            fs.closeSync(fd);
            const output = fs.readFileSync(log, "utf8");
            assert.equal(result.status, 0, output);
            assert.match(output, /syntax is ok/);
            assert.match(output, /test is successful/);
        });

        it("prometheus.yml and alert-rules.yml: promtool check rules and check config", async () => {
            const data = manifest(await renderToTemp(stack), "ConfigMap", "prometheus-config").data as Record<string, string>;
            fs.writeFileSync(path.join(dir, "alert-rules.yml"), data["alert-rules.yml"]);
            const rules = spawnSync("promtool", ["check", "rules", "alert-rules.yml"], { cwd: dir, encoding: "utf8" });
            assert.equal(rules.status, 0, `${rules.stdout}${rules.stderr}`);

            // Debian's promtool is built without Kubernetes discovery: swap that block for file discovery
            // (test/prometheus.test.ts checks the block itself) and point rule_files at the local copy.
            const config = parseYaml(data["prometheus.yml"]);
            assert.deepEqual(config.rule_files, ["/etc/prometheus/alert-rules.yml"]);
            config.rule_files = ["alert-rules.yml"];
            for (const job of config.scrape_configs) {
                if (job.kubernetes_sd_configs) {
                    assert.deepEqual(job.kubernetes_sd_configs[0].namespaces.names, ["nsip"]);
                    delete job.kubernetes_sd_configs;
                    job.file_sd_configs = [{ files: ["targets.json"] }];
                }
            }
            fs.writeFileSync(path.join(dir, "targets.json"), "[]");
            fs.writeFileSync(path.join(dir, "prometheus.yml"), stringifyYaml(config));
            const check = spawnSync("promtool", ["check", "config", "prometheus.yml"], { cwd: dir, encoding: "utf8" });
            assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
        });

        it("redis.conf: redis-server accepts it (with a local data dir and auth file)", async () => {
            const conf = manifest(await renderToTemp(stack), "ConfigMap", "redis-config").data["redis.conf"] as string;
            fs.writeFileSync(path.join(dir, "auth.conf"), "requirepass test-password\n");
            const local = conf.replace(/^dir .*$/m, `dir ${dir}`).replace(/^include .*$/m, `include ${path.join(dir, "auth.conf")}`);
            fs.writeFileSync(path.join(dir, "redis.conf"), local);
            // --test-memory is not a config check; starting with port 0 (no listener) and shutting down at once is.
            const result = spawnSync("redis-server", [path.join(dir, "redis.conf"), "--port", "0", "--daemonize", "no", "--loglevel", "warning"], {
                encoding: "utf8",
                timeout: 3000,
                killSignal: "SIGTERM",
            });
            const output = `${result.stdout}${result.stderr}`;
            assert.doesNotMatch(output, /FATAL CONFIG FILE ERROR|Bad directive/, output);
        });
    });
}
