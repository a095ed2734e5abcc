import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.resolve(__dirname, "..", "tools", "dev-up.sh");

/**
 * Runs tools/dev-up.sh from a scratch checkout with stand-in `docker`, `node`, `npm` and `pulumi` on PATH. Each
 * stand-in appends "<name> <DOCKER_HOST> <args>" to calls.log, so the test sees which engine every client was
 * pointed at and what the container fallback ran.
 */
function runDevUp(opts: { env?: Record<string, string>; nodeTooOld?: boolean; contextHost?: string; engineDown?: boolean }) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dev-up-"));
    try {
        fs.mkdirSync(path.join(root, "tools"));
        fs.copyFileSync(SCRIPT, path.join(root, "tools", "dev-up.sh"));
        const bin = path.join(root, "bin");
        fs.mkdirSync(bin);
        const log = path.join(root, "calls.log");
        const stub = (name: string, body: string) =>
            fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} \${DOCKER_HOST:-unset} $*" >>"${log}"\n${body}\n`, { mode: 0o755 });
        stub("docker", [
            'case "$1 $2" in',
            `  "context inspect") echo "${opts.contextHost ?? "unix:///home/dev/.colima/default/docker.sock"}" ;;`,
            '  "info --format") echo "[name=seccomp,profile=builtin]" ;;',
            `  "info ") exit ${opts.engineDown ? 1 : 0} ;;`,
            "esac",
        ].join("\n"));
        stub("node", opts.nodeTooOld ? "exit 1" : "exit 0");
        stub("npm", "exit 0");
        stub("pulumi", "exit 0");
        const env: Record<string, string> = { PATH: `${bin}:/usr/bin:/bin`, HOME: root, ...opts.env };
        const result = spawnSync("bash", [path.join(root, "tools", "dev-up.sh")], { cwd: root, env, encoding: "utf8" });
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
        return { status: result.status, stderr: result.stderr, calls, root };
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

describe("tools/dev-up.sh", () => {
    it("points the daemon check and pulumi at the docker CLI context's endpoint when DOCKER_HOST is unset", () => {
        const run = runDevUp({});
        assert.strictEqual(run.status, 0, run.stderr);
        const host = "unix:///home/dev/.colima/default/docker.sock";
        assert.ok(run.calls.includes(`docker unset context inspect --format {{.Endpoints.docker.Host}}`), run.calls.join("\n"));
        assert.ok(run.calls.includes(`docker ${host} info`), "the check goes through the endpoint the provider will use");
        assert.ok(run.calls.includes(`pulumi ${host} up --stack dev --yes`), "pulumi (and so the Docker provider) inherits it");
    });

    it("keeps a DOCKER_HOST the user set", () => {
        const run = runDevUp({ env: { DOCKER_HOST: "unix:///run/user/1000/docker.sock" } });
        assert.strictEqual(run.status, 0, run.stderr);
        assert.ok(!run.calls.some((c) => c.includes("context inspect")));
        assert.ok(run.calls.includes("pulumi unix:///run/user/1000/docker.sock up --stack dev --yes"));
    });

    it("fails naming the endpoint when that engine does not answer, before running anything", () => {
        const run = runDevUp({ contextHost: "unix:///nowhere/docker.sock", engineDown: true });
        assert.notStrictEqual(run.status, 0);
        assert.match(run.stderr, /the Docker engine at unix:\/\/\/nowhere\/docker\.sock is not reachable/);
        assert.ok(!run.calls.some((c) => c.startsWith("npm ") || c.startsWith("pulumi ")));
    });

    it("passes shellcheck", () => {
        const result = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
        assert.strictEqual(result.status, 0, result.stdout);
    });
});
