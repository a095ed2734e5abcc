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
function runDevUp(opts: { env?: Record<string, string>; nodeTooOld?: boolean; contextHost?: string; engineDown?: boolean; rootless?: boolean }) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dev-up-"));
    try {
        fs.mkdirSync(path.join(root, "tools"));
        fs.copyFileSync(SCRIPT, path.join(root, "tools", "dev-up.sh"));
        const bin = path.join(root, "bin");
        fs.mkdirSync(bin);
        const log = path.join(root, "calls.log");
        // The engine's socket on this machine (stat reads its group); a plain file is enough for the stub engine.
        const socket = path.join(root, "docker.sock");
        fs.writeFileSync(socket, "");
        const stub = (name: string, body: string) =>
            fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} \${DOCKER_HOST:-unset} $*" >>"${log}"\n${body}\n`, { mode: 0o755 });
        stub("docker", [
            'case "$1 $2" in',
            `  "context inspect") echo "${opts.contextHost ?? `unix://${socket}`}" ;;`,
            `  "info --format") echo "[name=seccomp,profile=builtin${opts.rootless ? " name=rootless" : ""}]" ;;`,
            `  "run --rm") echo "docker-run-env MSYS_NO_PATHCONV=\${MSYS_NO_PATHCONV:-unset}" >>"${log}" ;;`,
            `  "info ") exit ${opts.engineDown ? 1 : 0} ;;`,
            "esac",
        ].join("\n"));
        stub("node", opts.nodeTooOld ? "exit 1" : "exit 0");
        stub("npm", "exit 0");
        stub("pulumi", "exit 0");
        const env: Record<string, string> = { PATH: `${bin}:/usr/bin:/bin`, HOME: root, ...opts.env };
        const result = spawnSync("bash", [path.join(root, "tools", "dev-up.sh")], { cwd: root, env, encoding: "utf8" });
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
        return { status: result.status, stderr: result.stderr, calls, root, socket };
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

describe("tools/dev-up.sh", () => {
    it("points the daemon check and pulumi at the docker CLI context's endpoint when DOCKER_HOST is unset", () => {
        const run = runDevUp({});
        assert.strictEqual(run.status, 0, run.stderr);
        const host = `unix://${run.socket}`;
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

    it("container fallback (no Node.js 20): mounts the context's socket and runs as the invoking user, so the checkout gets no root-owned files", () => {
        const run = runDevUp({ nodeTooOld: true });
        assert.strictEqual(run.status, 0, run.stderr);
        const dockerRun = run.calls.find((c) => c.includes(" run --rm "));
        assert.ok(dockerRun, run.calls.join("\n"));
        const args = dockerRun.split(" ");
        const after = (flag: string, from = 0) => args[args.indexOf(flag, from) + 1];
        assert.strictEqual(after("--user"), `${process.getuid!()}:${process.getgid!()}`);
        assert.strictEqual(after("--group-add"), String(process.getgid!()), "the group owning the engine socket (the stub's socket file is ours)");
        assert.ok(args.includes("HOME=/tmp/home"), "npm and pulumi get a writable home as a non-root user");
        assert.strictEqual(after("-v"), `${run.socket}:/var/run/docker.sock`, "the engine the context names, not the default socket");
        assert.strictEqual(after("-v", args.indexOf("-v") + 1), `${run.root}:/project`);
        assert.ok(args.includes("DOCKER_HOST=unix:///var/run/docker.sock"));
        assert.ok(run.calls.includes("docker-run-env MSYS_NO_PATHCONV=1"), "Git Bash leaves /project and the socket path alone");
    });

    it("container fallback on rootless Docker keeps container root, which already maps to the invoking user", () => {
        const run = runDevUp({ nodeTooOld: true, rootless: true });
        assert.strictEqual(run.status, 0, run.stderr);
        const dockerRun = run.calls.find((c) => c.includes(" run --rm "))!;
        assert.ok(!dockerRun.includes("--user"), dockerRun);
    });

    it("container fallback refuses an engine it cannot mount, saying what to install instead", () => {
        const run = runDevUp({ nodeTooOld: true, env: { DOCKER_HOST: "ssh://me@build-box" } });
        assert.notStrictEqual(run.status, 0);
        assert.match(run.stderr, /needs an engine socket, but DOCKER_HOST is ssh:\/\/me@build-box: install Node\.js 20 and the Pulumi CLI/);
    });

    it("passes shellcheck", () => {
        const result = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
        assert.strictEqual(result.status, 0, result.stdout);
    });
});
