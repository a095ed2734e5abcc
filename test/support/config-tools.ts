import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

/**
 * The real tools' verdicts on the config files the program ships in its ConfigMaps, and the
 * Kubernetes OpenAPI schema's verdict on its objects. Shared by the rendered-config tests and the
 * property-based config test; each check works in a directory the caller provides and owns.
 */

export interface ToolVerdict {
    ok: boolean;
    output: string;
}

/** `nginx -t` on the edge nginx.conf as rendered, with kube-dns swapped for loopback (nginx resolves the resolver's name while loading). */
export function nginxTest(conf: string, dir: string): ToolVerdict {
    const local = conf.replace(/resolver kube-dns\.kube-system\.svc\.cluster\.local /, "resolver 127.0.0.1 ");
    if (local === conf) return { ok: false, output: "the rendered conf does not name kube-dns as its resolver" };
    const file = path.join(dir, "nginx.conf");
    fs.writeFileSync(file, local);
    const userDirective = process.getuid?.() === 0 ? ["-g", "user nobody nogroup;"] : [];
    // The access log is /dev/stdout, which nginx re-opens by path: give it a file, as a container runtime gives it a pipe
    // (Node's own stdio pipes are sockets, which cannot be re-opened).
    const log = path.join(dir, "nginx-test.log");
    const fd = fs.openSync(log, "w");
    const result = spawnSync("nginx", ["-t", "-p", dir, "-c", file, "-e", path.join(dir, "error.log"), ...userDirective], { stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    const output = fs.readFileSync(log, "utf8");
    return { ok: result.status === 0 && /syntax is ok/.test(output) && /test is successful/.test(output), output };
}

/**
 * `promtool check rules` and `promtool check config` on the prometheus-config ConfigMap's files.
 * Debian's promtool is built without Kubernetes discovery: that block is swapped for file discovery
 * (test/prometheus.test.ts checks the block itself) and rule_files points at the local copy.
 */
export function promtoolCheck(files: Record<string, string>, dir: string, namespace: string): ToolVerdict {
    fs.writeFileSync(path.join(dir, "alert-rules.yml"), files["alert-rules.yml"]);
    const rules = spawnSync("promtool", ["check", "rules", "alert-rules.yml"], { cwd: dir, encoding: "utf8" });
    if (rules.status !== 0) return { ok: false, output: `${rules.stdout}${rules.stderr}` };

    const config = parseYaml(files["prometheus.yml"]);
    if (JSON.stringify(config.rule_files) !== JSON.stringify(["/etc/prometheus/alert-rules.yml"])) {
        return { ok: false, output: `unexpected rule_files ${JSON.stringify(config.rule_files)}` };
    }
    config.rule_files = ["alert-rules.yml"];
    for (const job of config.scrape_configs) {
        if (job.kubernetes_sd_configs) {
            const names = job.kubernetes_sd_configs[0].namespaces?.names;
            if (JSON.stringify(names) !== JSON.stringify([namespace])) return { ok: false, output: `job ${job.job_name} discovers in ${JSON.stringify(names)}, not ${namespace}` };
            delete job.kubernetes_sd_configs;
            job.file_sd_configs = [{ files: ["targets.json"] }];
        }
    }
    fs.writeFileSync(path.join(dir, "targets.json"), "[]");
    fs.writeFileSync(path.join(dir, "prometheus.yml"), stringifyYaml(config));
    const check = spawnSync("promtool", ["check", "config", "prometheus.yml"], { cwd: dir, encoding: "utf8" });
    return { ok: check.status === 0, output: `${rules.stdout}${check.stdout}${check.stderr}` };
}

/**
 * redis-server loads the redis.conf as rendered (with a local data dir and auth file), listening on
 * no port; `--test-memory` is not a config check, starting and being stopped at once is.
 */
export function redisCheck(conf: string, dir: string): ToolVerdict {
    fs.writeFileSync(path.join(dir, "auth.conf"), "requirepass test-password\n");
    const local = conf.replace(/^dir .*$/m, `dir ${dir}`).replace(/^include .*$/m, `include ${path.join(dir, "auth.conf")}`);
    fs.writeFileSync(path.join(dir, "redis.conf"), local);
    const result = spawnSync("redis-server", [path.join(dir, "redis.conf"), "--port", "0", "--daemonize", "no", "--loglevel", "warning"], {
        encoding: "utf8",
        timeout: 3000,
        killSignal: "SIGTERM",
    });
    const output = `${result.stdout}${result.stderr}`;
    return { ok: !/FATAL CONFIG FILE ERROR|Bad directive/.test(output), output };
}

type Model = new (data: unknown) => { validate(): void };

/** The kubernetes-models class for a manifest's apiVersion and kind (an ES module, hence the dynamic import). */
export async function modelClass(apiVersion: string, kind: string): Promise<Model> {
    const specifier = `kubernetes-models/${apiVersion}/${kind}`;
    const mod = (await import(specifier)) as Record<string, Model>;
    const cls = mod[kind];
    if (!cls) throw new Error(`${specifier} exports no ${kind}`);
    return cls;
}

/** `Kind/name: message` for every object the Kubernetes OpenAPI schema (kubernetes-models) rejects. */
export async function schemaFailures(objects: { apiVersion: string; kind: string; metadata?: { name?: string } }[]): Promise<string[]> {
    const failures: string[] = [];
    for (const object of objects) {
        try {
            new (await modelClass(object.apiVersion, object.kind))(object).validate();
        } catch (error) {
            failures.push(`${object.kind}/${object.metadata?.name}: ${(error as Error).message.slice(0, 400)}`);
        }
    }
    return failures;
}
